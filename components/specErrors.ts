import * as pulumi from "@pulumi/pulumi";
import { InvalidSpecError } from "./model/validation";

/**
 * Runs a planning step of the model; bad input ends the program as a RunError, which Pulumi reports
 * as the message alone, without a stack trace around the field names.
 */
export function planned<T>(step: () => T): T {
  try {
    return step();
  } catch (e) {
    if (e instanceof InvalidSpecError) throw new pulumi.RunError(e.message);
    throw e;
  }
}
