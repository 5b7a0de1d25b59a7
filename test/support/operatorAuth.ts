import { createNKey, signJwt } from "../../components/credentials/jwt";
import { accountClaims, operatorClaims, TierLimits } from "../../components/model/security/claims";
import { OperatorAuth } from "../../components/model/serverConfig";

/** A real operator with its system and application accounts, signed as the stack signs them. */
export function operatorAuth(appLimits: Record<string, TierLimits> = {}): OperatorAuth {
  const operator = createNKey("operator");
  const system = createNKey("account");
  const app = createNKey("account");
  return {
    operator: {
      jwt: signJwt("nats-global", operator.publicKey, operatorClaims(system.publicKey), operator.seed),
      systemAccount: system.publicKey,
      preload: {
        [system.publicKey]: signJwt("SYS", system.publicKey, accountClaims(false), operator.seed),
        [app.publicKey]: signJwt("APP", app.publicKey, accountClaims(appLimits), operator.seed),
      },
    },
  };
}
