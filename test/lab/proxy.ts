// A userland TCP proxy that adds latency to one lab host. The kernel here has no netem, so tests
// point keel at this proxy (on loopback, or on the bridge address) instead of the host itself.
// Every chunk is held for `delayMs` in each direction, so one round trip costs 2 × delayMs more.
import { createServer, connect, type Server, type Socket } from "node:net";
import { inLabNet } from "./config.js";
import { LabError } from "./util.js";

export interface DelayProxyOptions {
  /** Lab host address to forward to. */
  target: string;
  targetPort?: number;
  /** Added one-way delay per chunk, in milliseconds. */
  delayMs: number;
  /** 127.0.0.1 (default) or the bridge address 198.18.0.1. */
  listenHost?: string;
  /** 0 (default) picks a free port. */
  listenPort?: number;
}

export interface DelayProxy {
  host: string;
  port: number;
  delayMs: number;
  /** Live client connections. */
  connections(): number;
  close(): Promise<void>;
}

const isLoopback = (ip: string) => /^127\.\d+\.\d+\.\d+$/.test(ip);

export async function startDelayProxy(opts: DelayProxyOptions): Promise<DelayProxy> {
  const listenHost = opts.listenHost ?? "127.0.0.1";
  if (!inLabNet(opts.target)) throw new LabError(`delay proxy target ${opts.target} is not a lab address`);
  if (!isLoopback(listenHost) && !inLabNet(listenHost)) throw new LabError(`delay proxy must listen on loopback or a lab address, not ${listenHost}`);
  if (!(opts.delayMs >= 0)) throw new LabError(`delayMs must be >= 0, got ${opts.delayMs}`);
  const sockets = new Set<Socket>();
  // Chunks keep their order: all timers in one direction have the same duration.
  const pipeDelayed = (from: Socket, to: Socket) => {
    from.on("data", (chunk) => setTimeout(() => to.writable && to.write(chunk), opts.delayMs));
    from.on("end", () => setTimeout(() => to.end(), opts.delayMs));
    from.on("error", () => to.destroy());
    from.on("close", () => setTimeout(() => to.destroy(), opts.delayMs + 10));
  };
  const server: Server = createServer((client) => {
    const upstream = connect({ host: opts.target, port: opts.targetPort ?? 22 });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.setNoDelay(true);
    }
    pipeDelayed(client, upstream);
    pipeDelayed(upstream, client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.listenPort ?? 0, listenHost, () => resolve());
  });
  const addr = server.address();
  if (!addr || typeof addr === "string") throw new LabError("delay proxy has no address");
  return {
    host: listenHost,
    port: addr.port,
    delayMs: opts.delayMs,
    connections: () => [...sockets].length / 2,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A known_hosts line for reaching a host through the proxy (ssh names it "[host]:port"). */
export function proxyKnownHostsLine(proxy: DelayProxy, hostKey: string): string {
  return `[${proxy.host}]:${proxy.port} ${hostKey}\n`;
}
