import * as pulumi from "@pulumi/pulumi";

/** Each field of T may be a Pulumi Input. */
export type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };
