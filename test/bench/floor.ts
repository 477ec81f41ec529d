// The floor of any SSH tool: plain ssh2 connecting to every host, checking its host key against
// known_hosts, running one command (`true`) on an exec channel and disconnecting, `concurrency`
// hosts at a time (as keel's --forks). No shell, no probe, no facts: what keel's drift would cost if
// keel itself cost nothing. Run as its own process, so it is measured exactly as keel is.
//
//   node dist/test/bench/floor.js INVENTORY_JSON
//   INVENTORY_JSON: {"hosts":[{"name","address","hostKey"}],"privateKey":PATH,"concurrency":N}
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import ssh2 from "ssh2";
import pLimit from "p-limit";

export interface FloorInput {
  hosts: { name: string; address: string; hostKey: string }[];
  privateKey: string;
  concurrency: number;
}

function once(host: FloorInput["hosts"][number], key: Buffer): Promise<void> {
  const want = Buffer.from(host.hostKey.split(" ")[1]!, "base64");
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    c.on("error", (e) => reject(new Error(`${host.name}: ${e.message}`)));
    c.on("ready", () => {
      c.exec("true", (err, ch) => {
        if (err) return reject(new Error(`${host.name}: ${err.message}`));
        ch.on("close", (code: number | null) => {
          c.end();
          if (code === 0) resolve();
          else reject(new Error(`${host.name}: true exited ${code}`));
        });
        ch.resume();
        ch.stderr.resume();
      });
    });
    c.connect({
      host: host.address,
      port: 22,
      username: "root",
      privateKey: key,
      readyTimeout: 60_000 /* CONNECT_TIMEOUT_S in ansible.ts */,
      hostVerifier: (k: Buffer) => k.equals(want),
    });
    c.setNoDelay(true);
  });
}

export async function floor(input: FloorInput): Promise<number> {
  const key = readFileSync(input.privateKey);
  const limit = pLimit(input.concurrency);
  const results = await Promise.allSettled(input.hosts.map((h) => limit(() => once(h, key))));
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  for (const f of failed) process.stderr.write(`floor: ${(f.reason as Error).message}\n`);
  return failed.length;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const input = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as FloorInput;
  floor(input).then(
    (failed) => {
      process.stdout.write(JSON.stringify({ hosts: input.hosts.length, failed }) + "\n");
      process.exit(failed ? 2 : 0);
    },
    (e: unknown) => {
      process.stderr.write(`floor: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
