// A second, private network behind a jump host, for bastion tests: the bridge keelbk0 carries
// 198.19.254.0/24 and the machine has NO address on it. The jump host gets a second interface
// (eth1, 198.19.254.1) on it; each target's eth0 is moved from keelbr0 to keelbk0 and its lab
// address replaced by 198.19.254.(10+i), so the target answers only through the jump host. Only
// scratch hosts may be used (a shared lab host moved off keelbr0 would vanish for everyone).
// Kept apart from the shared keelbr0 setup; `teardownBackNet` removes all of it.
import { existsSync } from "node:fs";
import { LAB_PREFIX, SCRATCH_BASE, assertLabAddress, type LabHostName } from "./config.js";
import { LabError, run } from "./util.js";

export const BACK_BRIDGE = "keelbk0";
/** Inside the lab range (198.18.0.0/15), far from the addresses hosts get on keelbr0. */
export const BACK_NET = "198.19.254";
export const BACK_PREFIX = 24;

export interface BackNet {
  jump: LabHostName;
  /** The jump host's address on the back network. */
  jumpBackAddress: string;
  /** Each target's only address now. */
  targets: { host: LabHostName; address: string }[];
}

const jumpVeth = (jump: LabHostName) => `kbk${jump.index}`;

/** Builds the back network: `jump` keeps its keelbr0 address; `targets` move behind it. */
export async function setupBackNet(jump: LabHostName, targets: LabHostName[]): Promise<BackNet> {
  for (const h of [jump, ...targets])
    if (h.index < SCRATCH_BASE) throw new LabError(`${h.name} is not a scratch host: only scratch hosts may be moved to the back network`);
  if ((await run("ip", ["link", "show", BACK_BRIDGE], { check: false })).code === 0)
    throw new LabError(`${BACK_BRIDGE} already exists: another bastion test is running, or a crashed one left it (ip link del ${BACK_BRIDGE})`);
  const jumpBackAddress = assertLabAddress(`${BACK_NET}.1`);
  await run("ip", ["-b", "-"], {
    input:
      [
        `link add ${BACK_BRIDGE} type bridge`,
        // no IPv6 link-local address either: the machine has no address at all on this bridge
        `link set ${BACK_BRIDGE} addrgenmode none`,
        `link set ${BACK_BRIDGE} up`,
        `link add ${jumpVeth(jump)} type veth peer name eth1 netns ${jump.netns}`,
        `link set ${jumpVeth(jump)} addrgenmode none`,
        `link set ${jumpVeth(jump)} master ${BACK_BRIDGE} up`,
      ].join("\n") + "\n",
  });
  await run("ip", ["-n", jump.netns, "-b", "-"], { input: [`addr add ${jumpBackAddress}/${BACK_PREFIX} dev eth1`, "link set eth1 up"].join("\n") + "\n" });
  const out: BackNet = { jump, jumpBackAddress, targets: [] };
  for (const [i, t] of targets.entries()) {
    const address = assertLabAddress(`${BACK_NET}.${10 + i}`);
    await run("ip", ["link", "set", t.veth, "nomaster"]);
    await run("ip", ["link", "set", t.veth, "master", BACK_BRIDGE]);
    await run("ip", ["-n", t.netns, "-b", "-"], {
      input: [`addr del ${t.address}/${LAB_PREFIX} dev eth0`, `addr add ${address}/${BACK_PREFIX} dev eth0`].join("\n") + "\n",
    });
    out.targets.push({ host: t, address });
  }
  return out;
}

/** Removes the bridge and the jump host's second interface (the targets are stopped by the caller). Idempotent. */
export async function teardownBackNet(jump?: LabHostName): Promise<void> {
  if (jump && (await run("ip", ["link", "show", jumpVeth(jump)], { check: false })).code === 0)
    await run("ip", ["link", "del", jumpVeth(jump)], { check: false });
  if ((await run("ip", ["link", "show", BACK_BRIDGE], { check: false })).code === 0) await run("ip", ["link", "del", BACK_BRIDGE], { check: false });
  if (existsSync(`/sys/class/net/${BACK_BRIDGE}`)) throw new LabError(`could not remove ${BACK_BRIDGE}`);
}
