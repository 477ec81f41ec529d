// --shard K/N: a stable subset of hosts, by a hash of the host name, so N CI jobs split a fleet
// and a host always lands in the same shard whatever the inventory order.
import { createHash } from "node:crypto";

export function parseShard(spec: string): { index: number; total: number } | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(spec.trim());
  if (!m) return undefined;
  const index = Number(m[1]);
  const total = Number(m[2]);
  if (total < 1 || index < 1 || index > total) return undefined;
  return { index, total };
}

export function inShard(host: string, shard: { index: number; total: number }): boolean {
  const h = createHash("sha256").update(host).digest();
  return (h.readUInt32BE(0) % shard.total) + 1 === shard.index;
}
