// The host key policy of one host, in the order Ansible builds ssh's command line (OpenSSH takes
// the first value): [ssh_connection] ssh_args, host_key_checking (host variable before
// ansible.cfg/environment), the host's ssh args, --accept-new-host-keys, then "yes".
import { describe, it, expect } from "vitest";
import { hostKeyPolicyOf, knownHostsFileOf, uncheckedHosts } from "../../../engine/run/connect.js";
import { uncheckedWarning } from "../../../engine/cli/commands/hostkeys.js";
import type { HostSpec } from "../../../engine/core/host.js";
import { hostSpec } from "./fakes.js";

const spec = (over: Partial<HostSpec> = {}): HostSpec => hostSpec("h", over);

describe("host key policy precedence", () => {
  it.each([
    ["nothing said: yes", {}, {}, "yes"],
    ["--accept-new-host-keys", {}, { acceptNewHostKeys: true }, "accept-new"],
    ["host args accept-new", { strictHostKeyChecking: "accept-new" }, {}, "accept-new"],
    ["host args no", { strictHostKeyChecking: "no" }, {}, "no"],
    ["host args yes + --accept-new-host-keys", { strictHostKeyChecking: "yes" }, { acceptNewHostKeys: true }, "accept-new"],
    ["host_key_checking False (cfg/env) beats host args yes", { strictHostKeyChecking: "yes" }, { hostKeyChecking: false }, "no"],
    ["host_key_checking True changes nothing", {}, { hostKeyChecking: true }, "yes"],
    ["host variable true beats cfg False", { hostKeyChecking: true }, { hostKeyChecking: false }, "yes"],
    ["host variable false beats cfg True", { hostKeyChecking: false }, { hostKeyChecking: true }, "no"],
    ["ssh_args no beats everything", { hostKeyChecking: true, strictHostKeyChecking: "yes" }, { sshArgs: "-C -o StrictHostKeyChecking=no" }, "no"],
    ["ssh_args yes beats host_key_checking False", {}, { sshArgs: "-o StrictHostKeyChecking=yes", hostKeyChecking: false }, "yes"],
    ["ssh_args without the option: host's applies", { strictHostKeyChecking: "accept-new" }, { sshArgs: "-o ControlMaster=auto" }, "accept-new"],
  ] as const)("%s", (_n, s, o, want) => {
    expect(hostKeyPolicyOf(spec(s as Partial<HostSpec>), o)).toBe(want);
  });

  it("ssh_args' UserKnownHostsFile comes before the host's", () => {
    expect(knownHostsFileOf(spec({ knownHostsFile: "/a" }), { sshArgs: "-o UserKnownHostsFile=/dev/null" })).toBe("/dev/null");
    expect(knownHostsFileOf(spec({ knownHostsFile: "/a" }), {})).toBe("/a");
  });

  it("unchecked hosts: ssh hosts with policy no (local ones never check keys); the warning names them once", () => {
    const specs = [
      spec({ name: "a", strictHostKeyChecking: "no" }),
      spec({ name: "b" }),
      spec({ name: "c", connection: "local", strictHostKeyChecking: "no" }),
    ];
    expect(uncheckedHosts(specs, {})).toEqual(["a"]);
    expect(uncheckedHosts(specs, { hostKeyChecking: false })).toEqual(["a", "b"]);
    expect(uncheckedWarning([])).toBe("");
    expect(uncheckedWarning(["a"])).toBe("warning: host key checking is disabled for 1 host (a): their identity is not verified and no key is recorded\n");
    const many = Array.from({ length: 25 }, (_, i) => `h${i}`);
    expect(uncheckedWarning(many)).toMatch(/for 25 hosts \(h0, .*, h19 and 5 more\)/);
  });
});
