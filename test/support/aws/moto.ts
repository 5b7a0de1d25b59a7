/*
 * moto, the AWS API emulator (PyPI moto[server], installed by scripts/setup-platforms.sh), for the
 * platform tests: one server for every region and service, with the calls the tests make
 * themselves (its EC2 query API and Route 53 REST API, unsigned: moto does not check signatures).
 * It starts through motoServer.py, which frees a terminated instance's private IP as EC2 does.
 */
import * as fs from "fs";
import * as path from "path";
import {
  DetachedProcess,
  livePids,
  spawnDetached,
  stopProcess,
} from "../../../components/platforms/local/procfs";
import { PLATFORM_BIN } from "../kubernetes/controlPlane";
import { eventually } from "../monitor";
import { killLeftovers } from "../platforms/leftovers";

export class Moto {
  private process: DetachedProcess | undefined;

  constructor(
    readonly port: number,
    private readonly logFile: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await killLeftovers(
      "moto",
      livePids("python3", (arg) => arg === String(this.port)),
    );
    fs.mkdirSync(path.dirname(this.logFile), { recursive: true });
    this.process = spawnDetached(
      [
        path.join(PLATFORM_BIN, "moto-python"),
        path.join(__dirname, "motoServer.py"),
        "-H",
        "127.0.0.1",
        "-p",
        String(this.port),
      ],
      this.logFile,
    );
    await eventually(
      "moto answering",
      async () => ((await fetch(`${this.url}/moto-api/data.json`)).ok ? true : undefined),
      60_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${fs.readFileSync(this.logFile, "utf8").slice(-2000)}`);
    });
  }

  async stop(): Promise<void> {
    const running = this.process;
    await stopProcess(() => (running?.ended() === undefined ? running?.pid : undefined), 5_000);
  }

  /** An EC2 query API call in `region`; the response's XML. */
  async ec2(region: string, action: string, params: Record<string, string> = {}): Promise<string> {
    const body = new URLSearchParams({ Action: action, Version: "2016-11-15", ...params });
    const response = await fetch(this.url, {
      method: "POST",
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/${region}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`EC2 ${action}: ${response.status} ${text}`);
    return text;
  }

  /** An IAM query API call (IAM is global: us-east-1); the response's XML. */
  async iam(action: string, params: Record<string, string> = {}): Promise<string> {
    const body = new URLSearchParams({ Action: action, Version: "2010-05-08", ...params });
    const response = await fetch(this.url, {
      method: "POST",
      headers: {
        authorization:
          "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0",
        "content-type": "application/x-www-form-urlencoded",
      },
      body,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`IAM ${action}: ${response.status} ${text}`);
    return text;
  }

  /** A Route 53 REST call (moto tells services apart by the credential's scope); the response's XML. */
  route53(path: string, init: { method?: string; body?: string } = {}): Promise<Response> {
    return fetch(`${this.url}${path}`, {
      ...init,
      headers: {
        "content-type": "text/xml",
        authorization:
          "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/route53/aws4_request, SignedHeaders=host, Signature=0",
      },
    });
  }

  /** Creates a public hosted zone; its id (without the /hostedzone/ prefix). */
  async createHostedZone(name: string): Promise<string> {
    const response = await this.route53("/2013-04-01/hostedzone", {
      method: "POST",
      body: `<?xml version="1.0" encoding="UTF-8"?><CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Name>${name}</Name><CallerReference>${Date.now()}</CallerReference></CreateHostedZoneRequest>`,
    });
    const text = await response.text();
    const id = /<Id>\/hostedzone\/([^<]+)<\/Id>/.exec(text)?.[1];
    if (!response.ok || id === undefined) throw new Error(`CreateHostedZone: ${response.status} ${text}`);
    return id;
  }
}

/** Every `<tag>` value in an API answer. */
export const tagged = (xml: string, tag: string): string[] =>
  [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, "g"))].map((m) => m[1]);
