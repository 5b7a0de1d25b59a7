import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";

export interface DataDirState {
  path: string;
}

/**
 * The directory that holds a stack's local servers. Servers depend on it, so it is created before
 * them and removed after them: `pulumi destroy` leaves nothing on disk.
 */
export const dataDirProvider: pulumi.dynamic.ResourceProvider<DataDirState, DataDirState> = {
  async create(inputs) {
    fs.mkdirSync(inputs.path, { recursive: true });
    return { id: inputs.path, outs: inputs };
  },
  async read(id, props) {
    return fs.existsSync(id) ? { id, props } : {};
  },
  async diff(_id, olds, news) {
    const moved = olds.path !== news.path;
    return { changes: moved, replaces: moved ? ["path"] : [] };
  },
  async delete(id) {
    fs.rmSync(id, { recursive: true, force: true });
  },
};

/** `pulumi-nodejs:local:DataDir`. */
export class DataDir extends pulumi.dynamic.Resource {
  declare readonly path: pulumi.Output<string>;

  constructor(name: string, args: { path: pulumi.Input<string> }, opts?: pulumi.CustomResourceOptions) {
    super(dataDirProvider, name, args, opts, "local", "DataDir");
  }
}
