import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import { MappingTable } from "../../model/mappings";
import { configFiles, readMappingFile, setMappingFile, writeFinalConfig } from "./configFiles";
import { reloadServer } from "./processes";

export interface MappedServer {
  dir: string;
  monitorUrl: string;
}

export interface AccountMappingsInputs {
  /** Whose mappings these are (a virtual stream's name); one file per owner on every server. */
  owner: string;
  binary: string;
  servers: MappedServer[];
  mappings: MappingTable;
}

const RELOAD_TIMEOUT_MS = 10_000;

/** Writes (or removes) the owner's mappings on every server, and makes the running ones reload. */
async function applyMappings(inputs: AccountMappingsInputs, table: MappingTable | undefined): Promise<void> {
  // A server whose folder is gone has nothing to map; it gets every mapping when it is created again.
  const present = inputs.servers.filter((s) => fs.existsSync(configFiles(s.dir).base));
  for (const server of present) {
    const previous = readMappingFile(server.dir, inputs.owner);
    setMappingFile(server.dir, inputs.owner, table);
    try {
      writeFinalConfig(inputs.binary, server.dir);
    } catch (error) {
      setMappingFile(server.dir, inputs.owner, previous);
      throw error;
    }
  }
  await Promise.all(present.map((s) => reloadServer(s.dir, s.monitorUrl, RELOAD_TIMEOUT_MS)));
}

/**
 * The application account's subject mappings of one owner on every local server, applied by config
 * reload: no server restarts, and other owners' mappings stay as they are.
 */
export const accountMappingsProvider: pulumi.dynamic.ResourceProvider<
  AccountMappingsInputs,
  AccountMappingsInputs
> = {
  async create(inputs) {
    await applyMappings(inputs, inputs.mappings);
    return { id: inputs.owner, outs: inputs };
  },

  async read(id, props) {
    if (props === undefined) throw new Error(`account mappings ${id} cannot be imported`);
    // Drift: a server whose file is gone or edited shows what it has, and the next update rewrites it.
    const found = props.servers.map((s) => readMappingFile(s.dir, props.owner) ?? {});
    const differing = found.find((table) => JSON.stringify(table) !== JSON.stringify(props.mappings));
    const actual = { ...props, mappings: differing ?? props.mappings };
    return { id, props: actual, inputs: actual };
  },

  async diff(_id, olds, news) {
    const changed = (["owner", "binary", "servers", "mappings"] as const).filter(
      (key) => JSON.stringify(olds[key]) !== JSON.stringify(news[key]),
    );
    return { changes: changed.length > 0, replaces: changed.includes("owner") ? ["owner"] : [] };
  },

  async update(_id, olds, news) {
    const gone = olds.servers.filter((s) => !news.servers.some((n) => n.dir === s.dir));
    await applyMappings({ ...olds, servers: gone }, undefined);
    await applyMappings(news, news.mappings);
    return { outs: news };
  },

  async delete(_id, props) {
    await applyMappings(props, undefined);
  },
};

/** `pulumi-nodejs:dynamic/local:AccountMappings`. */
export class AccountMappings extends pulumi.dynamic.Resource {
  declare readonly mappings: pulumi.Output<MappingTable>;

  constructor(
    name: string,
    args: { [K in keyof AccountMappingsInputs]: pulumi.Input<AccountMappingsInputs[K]> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(accountMappingsProvider, name, args, opts, "local", "AccountMappings");
  }
}
