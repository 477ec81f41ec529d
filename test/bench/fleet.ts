// A benchmark fleet: scratch lab hosts (numbered from 901, listed in no shared inventory, so the
// e2e tests other people run on lab01..labN are not disturbed), grown as the curve needs more,
// with one inventory and one known_hosts per size. Always stop it (stopFleet) when done.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { labPaths, startScratchHosts, stopScratchHosts, type ScratchHost } from "../lab/index.js";

export interface Fleet {
  hosts: ScratchHost[];
  dir: string;
}

export interface FleetView {
  /** The first n hosts' names. */
  names: string[];
  hosts: ScratchHost[];
  inventory: string;
  knownHosts: string;
  privateKey: string;
}

export function newFleet(dir: string): Fleet {
  return { hosts: [], dir };
}

/** Make the fleet at least n hosts large (starting `parallel` at a time). */
export async function growFleet(f: Fleet, n: number, parallel = 8): Promise<void> {
  if (f.hosts.length >= n) return;
  const added = await startScratchHosts(n - f.hosts.length, { parallel });
  f.hosts.push(...added);
}

export async function stopFleet(f: Fleet): Promise<void> {
  const hosts = f.hosts;
  f.hosts = [];
  if (hosts.length) await stopScratchHosts(hosts);
}

/**
 * The first n hosts as an inventory usable by both keel and Ansible: the lab key, strict host key
 * checking against a known_hosts of exactly these hosts, python3 given (no interpreter discovery).
 */
export function fleetView(f: Fleet, n: number): FleetView {
  if (f.hosts.length < n) throw new Error(`fleet has ${f.hosts.length} hosts, ${n} wanted`);
  const hosts = f.hosts.slice(0, n);
  const key = labPaths().key;
  const knownHosts = join(f.dir, `known_hosts-${n}`);
  writeFileSync(knownHosts, hosts.map((h) => `${h.name},${h.address} ${h.hostKey}\n`).join(""));
  const inventory = join(f.dir, `inventory-${n}.yml`);
  writeFileSync(
    inventory,
    [
      `# benchmark fleet: ${n} scratch lab hosts`,
      "all:",
      "  vars:",
      "    ansible_user: root",
      `    ansible_ssh_private_key_file: ${key}`,
      `    keel_known_hosts: ${knownHosts}`,
      `    ansible_ssh_common_args: "-o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes"`,
      "    ansible_python_interpreter: /usr/bin/python3",
      "  hosts:",
      ...hosts.map((h) => `    ${h.name}:\n      ansible_host: ${h.address}`),
    ].join("\n") + "\n",
  );
  return { names: hosts.map((h) => h.name), hosts, inventory, knownHosts, privateKey: key };
}
