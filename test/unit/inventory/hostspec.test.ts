// HostSpec: keel's connection names and Ansible's aliases map to the same fields.
import { describe, expect, it } from "vitest";
import type { HostSpec } from "../../../engine/core/host.js";
import { loadInventory } from "../../../engine/inventory/index.js";
import { knownHostsFromSshArgs } from "../../../engine/inventory/hostspec.js";
import { tempInventory } from "./helpers.js";

const CASES: [name: string, host: string, vars: Record<string, unknown>, expected: Partial<HostSpec>][] = [
  ["defaults", "web1", {}, { address: "web1", port: 22, connection: "ssh", become: false, becomeUser: "root", becomeMethod: "sudo", user: undefined }],
  [
    "ansible aliases",
    "web1",
    { ansible_host: "198.18.0.5", ansible_port: 2222, ansible_user: "deploy", ansible_ssh_private_key_file: "/k/id", ansible_password: "pw" },
    { address: "198.18.0.5", port: 2222, user: "deploy", privateKeyFile: "/k/id", password: "pw" },
  ],
  [
    "keel names",
    "web1",
    { host: "198.18.0.6", port: 2200, user: "ops", private_key_file: "/k/ops", password: "x", connect_timeout: 7 },
    { address: "198.18.0.6", port: 2200, user: "ops", privateKeyFile: "/k/ops", password: "x", connectTimeoutMs: 7000 },
  ],
  ["keel name wins over alias", "web1", { port: 2200, ansible_port: 2222 }, { port: 2200 }],
  [
    "old ssh aliases",
    "web1",
    { ansible_ssh_host: "h", ansible_ssh_port: "2022", ansible_ssh_user: "u", ansible_ssh_pass: "p" },
    { address: "h", port: 2022, user: "u", password: "p" },
  ],
  [
    "become aliases",
    "web1",
    { ansible_become: "yes", ansible_become_user: "app", ansible_become_method: "sudo", ansible_become_pass: "s" },
    { become: true, becomeUser: "app", becomePassword: "s" },
  ],
  ["become keel names", "web1", { become: true, become_user: "db", become_password: "t" }, { become: true, becomeUser: "db", becomePassword: "t" }],
  ["become_password alias", "web1", { ansible_become_password: "q" }, { becomePassword: "q" }],
  ["connection local", "web1", { ansible_connection: "local" }, { connection: "local" }],
  ["smart means ssh", "web1", { ansible_connection: "smart" }, { connection: "ssh" }],
  ["paramiko means ssh", "web1", { ansible_connection: "paramiko" }, { connection: "ssh" }],
  ["localhost is local", "localhost", {}, { connection: "local" }],
  ["localhost with an address is ssh", "localhost", { ansible_port: 2222 }, { connection: "ssh", port: 2222 }],
  ["known_hosts", "web1", { known_hosts: "/etc/keel/kh" }, { knownHostsFile: "/etc/keel/kh" }],
  ["keel_known_hosts", "web1", { keel_known_hosts: "/kh2" }, { knownHostsFile: "/kh2" }],
  [
    "UserKnownHostsFile in ssh args",
    "web1",
    { ansible_ssh_common_args: "-o StrictHostKeyChecking=yes -o UserKnownHostsFile=/lab/known_hosts" },
    { knownHostsFile: "/lab/known_hosts" },
  ],
  ["StrictHostKeyChecking=no in ssh args", "web1", { ansible_ssh_common_args: "-o StrictHostKeyChecking=no" }, { strictHostKeyChecking: "no" }],
  ["StrictHostKeyChecking=off (extra args)", "web1", { ansible_ssh_extra_args: "-oStrictHostKeyChecking=off" }, { strictHostKeyChecking: "no" }],
  ["StrictHostKeyChecking=accept-new", "web1", { ansible_ssh_common_args: "-o 'StrictHostKeyChecking accept-new'" }, { strictHostKeyChecking: "accept-new" }],
  ["StrictHostKeyChecking=ask cannot ask: yes", "web1", { ansible_ssh_common_args: "-o StrictHostKeyChecking=ask" }, { strictHostKeyChecking: "yes" }],
  [
    "common args come before extra args (ssh takes the first)",
    "web1",
    { ansible_ssh_common_args: "-o StrictHostKeyChecking=accept-new", ansible_ssh_extra_args: "-o StrictHostKeyChecking=no" },
    { strictHostKeyChecking: "accept-new" },
  ],
  ["ansible_host_key_checking: false", "web1", { ansible_host_key_checking: false }, { hostKeyChecking: false }],
  ["ansible_ssh_host_key_checking: 'no'", "web1", { ansible_ssh_host_key_checking: "no" }, { hostKeyChecking: false }],
  ["ansible_ssh_timeout", "web1", { ansible_ssh_timeout: 3 }, { connectTimeoutMs: 3000 }],
  ["python interpreter is ignored", "web1", { ansible_python_interpreter: "/usr/bin/python3" }, { connection: "ssh" }],
  [
    "templated connection vars",
    "web1.dc1",
    {
      domain: "example.com",
      ansible_host: "{{ inventory_hostname_short }}.{{ domain }}",
      ansible_port: "{{ 2000 + 22 }}",
      ansible_user: "{{ deploy_user | default('deploy') }}",
    },
    { address: "web1.example.com", port: 2022, user: "deploy" },
  ],
];

describe("HostSpec", () => {
  it.each(CASES)("%s", async (_name, host, vars, expected) => {
    const dir = tempInventory({ "h.json": JSON.stringify({ all: { hosts: { [host]: vars } } }) });
    const inv = await loadInventory(["h.json"], { cwd: dir });
    const spec = inv.host(host);
    for (const [k, v] of Object.entries(expected)) expect(spec[k as keyof HostSpec], k).toEqual(v);
    expect(spec.name).toBe(host);
    expect(spec.vars).toEqual(vars);
    expect(spec.groups).toEqual(["ungrouped"]);
  });

  it("groups are sorted and include ancestors, not all", async () => {
    const dir = tempInventory({ "h.ini": "[web]\nw1\n[eu]\nw1\n[prod:children]\nweb\n" });
    const inv = await loadInventory(["h.ini"], { cwd: dir });
    expect(inv.host("w1").groups).toEqual(["eu", "prod", "web"]);
  });

  it.each([
    ["-o UserKnownHostsFile=/a", "/a"],
    ["-oUserKnownHostsFile=/b -o Foo=1", "/b"],
    ["-o 'UserKnownHostsFile=/c'", "/c"],
    ["-o userknownhostsfile /d", "/d"],
    ["-o StrictHostKeyChecking=no", undefined],
  ])("known_hosts from ssh args %j", (args, path) => {
    expect(knownHostsFromSshArgs({ ansible_ssh_common_args: args })).toBe(path);
  });
});
