import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import { AccountLinks } from "../../model/regionAccounts";
import { configFiles, readLinksFile, setLinksFile, writeFinalConfig } from "./configFiles";
import { reloadServer } from "./processes";

export interface LinkedServer {
  dir: string;
  monitorUrl: string;
}

export interface AccountLinksInputs {
  /** Whose links these are (a virtual stream's name); one file per owner on every server. */
  owner: string;
  binary: string;
  servers: LinkedServer[];
  links: AccountLinks;
}

const RELOAD_TIMEOUT_MS = 10_000;

/** Writes (or removes) the owner's links on every server, and makes the running ones reload. */
async function applyLinks(inputs: AccountLinksInputs, links: AccountLinks | undefined): Promise<void> {
  // A server whose folder is gone has nothing to link; it gets every link when it is created again.
  const present = inputs.servers.filter((s) => fs.existsSync(configFiles(s.dir).base));
  for (const server of present) {
    const previous = readLinksFile(server.dir, inputs.owner);
    setLinksFile(server.dir, inputs.owner, links);
    try {
      writeFinalConfig(inputs.binary, server.dir);
    } catch (error) {
      setLinksFile(server.dir, inputs.owner, previous);
      throw error;
    }
  }
  await Promise.all(present.map((s) => reloadServer(s.dir, s.monitorUrl, RELOAD_TIMEOUT_MS)));
}

/**
 * One owner's exports and imports between the application account and the region accounts, on
 * every local server, applied by config reload: no server restarts, and other owners' links stay
 * as they are.
 */
export const accountLinksProvider: pulumi.dynamic.ResourceProvider<AccountLinksInputs, AccountLinksInputs> = {
  async create(inputs) {
    await applyLinks(inputs, inputs.links);
    return { id: inputs.owner, outs: inputs };
  },

  async read(id, props) {
    if (props === undefined) throw new Error(`account links ${id} cannot be imported`);
    // Drift: a server whose file is gone or edited shows what it has, and the next update rewrites it.
    const empty: AccountLinks = { exports: [], imports: {} };
    const found = props.servers.map((s) => readLinksFile(s.dir, props.owner) ?? empty);
    const differing = found.find((links) => JSON.stringify(links) !== JSON.stringify(props.links));
    const actual = { ...props, links: differing ?? props.links };
    return { id, props: actual, inputs: actual };
  },

  async diff(_id, olds, news) {
    const changed = (["owner", "binary", "servers", "links"] as const).filter(
      (key) => JSON.stringify(olds[key]) !== JSON.stringify(news[key]),
    );
    return { changes: changed.length > 0, replaces: changed.includes("owner") ? ["owner"] : [] };
  },

  async update(_id, olds, news) {
    const gone = olds.servers.filter((s) => !news.servers.some((n) => n.dir === s.dir));
    await applyLinks({ ...olds, servers: gone }, undefined);
    await applyLinks(news, news.links);
    return { outs: news };
  },

  async delete(_id, props) {
    await applyLinks(props, undefined);
  },
};

/** `pulumi-nodejs:dynamic/local:AccountLinks`. */
export class AccountLinksResource extends pulumi.dynamic.Resource {
  declare readonly links: pulumi.Output<AccountLinks>;

  constructor(
    name: string,
    args: { [K in keyof AccountLinksInputs]: pulumi.Input<AccountLinksInputs[K]> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(accountLinksProvider, name, args, opts, "local", "AccountLinks");
  }
}
