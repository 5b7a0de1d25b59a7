/*
 * Signature Version 4, checked as AWS checks a request (docs.aws.amazon.com, "Create a signed AWS
 * API request"): what moto skips, so that the tests know the files agent signs as an SDK does.
 */
import { createHash, createHmac } from "crypto";
import * as http from "http";

/** The access key id of a correctly signed request for `service`, else why it is refused. */
export function verifiedSigner(
  req: http.IncomingMessage,
  body: Buffer,
  service: string,
  secretOf: (accessKeyId: string) => string | undefined,
): { accessKeyId: string } | { refused: string } {
  const auth = new RegExp(
    `^AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/${service}/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$`,
  ).exec(req.headers.authorization ?? "");
  if (auth === null) return { refused: `MissingAuthenticationToken: ${req.headers.authorization}` };
  const [, accessKeyId, day, region, signedHeaders, signature] = auth;
  const secret = secretOf(accessKeyId);
  if (secret === undefined) return { refused: `UnrecognizedClientException: ${accessKeyId}` };
  const stamp = req.headers["x-amz-date"];
  if (typeof stamp !== "string" || !stamp.startsWith(day))
    return { refused: "IncompleteSignature: x-amz-date" };
  const names = signedHeaders.split(";");
  if (!names.includes("host") || !names.includes("x-amz-date")) {
    return { refused: "IncompleteSignature: host and x-amz-date must be signed" };
  }
  const canonical = [
    req.method,
    req.url?.split("?")[0],
    "",
    ...names.map((name) => `${name}:${String(req.headers[name]).trim()}`),
    "",
    signedHeaders,
    createHash("sha256").update(body).digest("hex"),
  ].join("\n");
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = [
    "AWS4-HMAC-SHA256",
    stamp,
    scope,
    createHash("sha256").update(canonical).digest("hex"),
  ].join("\n");
  let key: Buffer = Buffer.from(`AWS4${secret}`);
  for (const part of [day, region, service, "aws4_request"])
    key = createHmac("sha256", key).update(part).digest();
  const expected = createHmac("sha256", key).update(toSign).digest("hex");
  return expected === signature ? { accessKeyId } : { refused: "SignatureDoesNotMatch" };
}
