/*
 * A small client of the Kubernetes API for the platform tests' own controllers (nodes, kubelet,
 * load balancers, volumes): plain HTTPS with the API server's CA and a bearer token.
 */
import * as https from "https";

export interface ApiServerAccess {
  /** e.g. https://127.0.0.1:16443 */
  url: string;
  token: string;
  /** PEM of the CA that signed the API server's certificate. */
  ca: string;
}

export class KubeError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    generation?: number;
    resourceVersion?: string;
    ownerReferences?: { kind: string; name: string }[];
  };
  // The tests read what they need of each kind; the API server checks the rest.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  status?: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [field: string]: any;
};

const PATCH_TYPES = {
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
};

export class KubeApi {
  constructor(readonly access: ApiServerAccess) {}

  request<T>(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<T> {
    const url = new URL(path, this.access.url);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        {
          method,
          ca: this.access.ca,
          timeout: 10_000,
          headers: {
            authorization: `Bearer ${this.access.token}`,
            accept: "application/json",
            ...(payload !== undefined
              ? { "content-type": contentType, "content-length": Buffer.byteLength(payload) }
              : {}),
          },
        },
        (res) => {
          let text = "";
          res.on("data", (chunk) => (text += chunk));
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              const json = (res.headers["content-type"] ?? "").startsWith("application/json");
              resolve((json ? JSON.parse(text) : text) as T);
            } else {
              let message = text;
              try {
                message = (JSON.parse(text) as { message?: string }).message ?? text;
              } catch {
                // Not JSON: the body as it is.
              }
              reject(new KubeError(status, `${method} ${path}: ${status} ${message}`));
            }
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
      req.on("error", reject);
      req.end(payload);
    });
  }

  get<T = KubeObject>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  /** The object at `path`, or undefined when there is none. */
  async find<T = KubeObject>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (e) {
      if (e instanceof KubeError && e.status === 404) return undefined;
      throw e;
    }
  }

  async list(path: string): Promise<KubeObject[]> {
    return (await this.get<{ items: KubeObject[] }>(path)).items;
  }

  create<T = KubeObject>(path: string, object: unknown): Promise<T> {
    return this.request<T>("POST", path, object);
  }

  patch<T = KubeObject>(path: string, patch: unknown, type: keyof typeof PATCH_TYPES = "merge"): Promise<T> {
    return this.request<T>("PATCH", path, patch, PATCH_TYPES[type]);
  }

  /** Deletes the object at `path`; one already gone counts as deleted. */
  async delete(path: string, options: { gracePeriodSeconds?: number } = {}): Promise<void> {
    try {
      await this.request("DELETE", path, { kind: "DeleteOptions", apiVersion: "v1", ...options });
    } catch (e) {
      if (!(e instanceof KubeError && e.status === 404)) throw e;
    }
  }
}
