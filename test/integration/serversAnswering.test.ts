import { ChildProcess, spawn } from "child_process";
import * as net from "net";
import { serversAnsweringProvider } from "../../components/platforms/serversAnswering";
import { tool } from "../support/tools";

// Apart from every other suite's ports.
const NATS_PORT = 29222;
const HTTP_PORT = 29223;
const CLOSED_PORT = 29224;

const gate = (addresses: string[], timeoutMs: number) =>
  serversAnsweringProvider.create!({ addresses, incarnations: addresses, timeoutMs });

describe("the gate that waits for servers a cloud starts on its own time", () => {
  let server: ChildProcess | undefined;
  let impostor: net.Server | undefined;
  afterEach(() => {
    server?.kill("SIGKILL");
    impostor?.close();
  });

  it("waits for a nats-server that starts after it began, and lets through once it answers", async () => {
    const waiting = gate([`127.0.0.1:${NATS_PORT}`], 30_000);
    server = spawn(tool("nats-server"), ["-a", "127.0.0.1", "-p", String(NATS_PORT)], { stdio: "ignore" });
    await expect(waiting).resolves.toMatchObject({ id: `127.0.0.1:${NATS_PORT}` });
  }, 40_000);

  it("gives up after its bound, naming each server that did not answer and why", async () => {
    impostor = net.createServer((socket) => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
    await new Promise<void>((resolve) => impostor!.listen(HTTP_PORT, "127.0.0.1", resolve));
    const error = await gate([`127.0.0.1:${CLOSED_PORT}`, `127.0.0.1:${HTTP_PORT}`], 1_000).catch(
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      new RegExp(
        `127.0.0.1:${CLOSED_PORT}: ECONNREFUSED[\\s\\S]*127.0.0.1:${HTTP_PORT}: answers, but not as nats-server`,
      ),
    );
    expect((error as Error).message).toContain("the next `pulumi up` waits again");
  }, 30_000);
});
