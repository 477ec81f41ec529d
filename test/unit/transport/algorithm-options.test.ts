// ssh's algorithm options (Ciphers, KexAlgorithms, MACs, HostKeyAlgorithms, PubkeyAcceptedAlgorithms)
// from an ssh_config file or -o: the list OpenSSH makes of them (+, -, ^, patterns), per host with
// the first value winning, restricted to what keel's SSH client implements, and what the handshake
// then offers. Where this machine's ssh is OpenSSH 9.2 (Debian 12, as CI), `ssh -G -F FILE host`
// is the reference for every list.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../../engine/core/errors.js";
import { ALGORITHM_OPTIONS, OPENSSH, algorithmChoice, assembleAlgorithms, keyTypeAllowed } from "../../../engine/transport/algorithm-options.js";
import { loadSshConfig } from "../../../engine/transport/ssh-config.js";
import { resolveEndpoint } from "../../../engine/transport/route.js";
import { parseSshArgs } from "../../../engine/transport/ssh-args.js";
import { implementedAlgorithms, sshAlgorithms } from "../../../engine/transport/ssh-algorithms.js";
import { offeredAlgorithms } from "../../../engine/transport/ssh.js";

const home = mkdtempSync(join(tmpdir(), "keel-algos-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));
let n = 0;
function file(text: string): string {
  const f = join(home, `config-${n++}`);
  writeFileSync(f, text);
  return f;
}
const thrown = (f: () => unknown): InputError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error("did not throw");
};

describe("OpenSSH's list for one option value", () => {
  it("a plain list replaces the default; + appends; ^ puts first; - removes (patterns); duplicates dropped", () => {
    expect(assembleAlgorithms("ciphers", "aes256-ctr,aes128-ctr", "x")).toEqual(["aes256-ctr", "aes128-ctr"]);
    expect(assembleAlgorithms("ciphers", "+aes128-cbc", "x")).toEqual([...OPENSSH.cipher.default, "aes128-cbc"]);
    expect(assembleAlgorithms("ciphers", "^aes256-ctr", "x")).toEqual(["aes256-ctr", ...OPENSSH.cipher.default.filter((c) => c !== "aes256-ctr")]);
    expect(assembleAlgorithms("ciphers", "-aes*-ctr", "x")).toEqual(["chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com"]);
    expect(assembleAlgorithms("macs", "-umac*", "x")).toEqual(OPENSSH.hmac.default.filter((m) => !m.startsWith("umac")));
    expect(assembleAlgorithms("kexalgorithms", "curve25519-sha256,curve25519-sha256", "x")).toEqual(["curve25519-sha256"]);
    // the key options take patterns in every form, expanded in OpenSSH's own order
    expect(assembleAlgorithms("hostkeyalgorithms", "rsa-sha2-*", "x")).toEqual([
      "rsa-sha2-256",
      "rsa-sha2-256-cert-v01@openssh.com",
      "rsa-sha2-512",
      "rsa-sha2-512-cert-v01@openssh.com",
    ]);
    expect(assembleAlgorithms("pubkeyacceptedkeytypes", "+ssh-rsa", "x")).toEqual([...OPENSSH.pubkey.default, "ssh-rsa"]);
  });

  it("stops where ssh stops: an unknown name, a pattern in Ciphers/MACs/KexAlgorithms, a negation outside '-', an empty result", () => {
    const e = thrown(() => assembleAlgorithms("ciphers", "aes128-ctr,aes512-ctr", "/h/.ssh/config:3", { file: "/h/.ssh/config", line: 3, col: 1 }));
    expect(e.message).toBe("Ciphers aes128-ctr,aes512-ctr: OpenSSH knows no algorithm 'aes512-ctr'");
    expect(e.pos).toEqual({ file: "/h/.ssh/config", line: 3, col: 1 });
    expect(e.hint).toMatch(/Bad SSH2 cipher spec.*aes128-ctr/);
    expect(thrown(() => assembleAlgorithms("ciphers", "aes*", "x")).message).toMatch(/knows no algorithm 'aes\*'/);
    expect(thrown(() => assembleAlgorithms("macs", "+", "x")).message).toMatch(/an empty list/);
    expect(thrown(() => assembleAlgorithms("hostkeyalgorithms", "!ssh-rsa,ssh-ed25519", "x")).message).toMatch(/negated name/);
    expect(thrown(() => assembleAlgorithms("hostkeyalgorithms", "foo*", "x")).message).toMatch(/knows no algorithm 'foo\*'/);
    expect(thrown(() => assembleAlgorithms("kexalgorithms", "-*", "x")).message).toMatch(/removes every algorithm/);
    expect(thrown(() => assembleAlgorithms("ciphers", "", "x")).message).toMatch(/an empty list/);
  });

  const ssh = spawnSync("ssh", ["-V"], { encoding: "utf8" });
  const is92 = /OpenSSH_9\.2p1/.test(`${ssh.stderr}`);
  it.skipIf(!is92)("gives the lists `ssh -G -F FILE host` prints (OpenSSH 9.2 on this machine)", () => {
    const values: [string, string][] = [
      ["Ciphers", "aes256-ctr,aes128-ctr"],
      ["Ciphers", "+3des-cbc"],
      ["Ciphers", "-chacha20*"],
      ["Ciphers", "^aes256-gcm@openssh.com,aes128-ctr"],
      ["MACs", "-umac*,hmac-sha1*"],
      ["MACs", "hmac-sha2-512,hmac-sha2-256"],
      ["KexAlgorithms", "+diffie-hellman-group14-sha1"],
      ["KexAlgorithms", "-sntrup*,ecdh-*"],
      ["HostKeyAlgorithms", "+ssh-rsa"],
      ["HostKeyAlgorithms", "ssh-ed25519*,rsa-sha2-*"],
      ["HostKeyAlgorithms", "-*-cert-v01@openssh.com,sk-*"],
      ["PubkeyAcceptedAlgorithms", "^ssh-rsa"],
      ["PubkeyAcceptedKeyTypes", "ecdsa-sha2-nistp256,ssh-ed25519"],
    ];
    for (const [name, value] of values) {
      const f = file(`Host *\n  ${name} ${value}\n`);
      const r = spawnSync("ssh", ["-G", "-F", f, "target"], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      const canonical = ALGORITHM_OPTIONS[name.toLowerCase()]!.canonical;
      const line = r.stdout.split("\n").find((l) => l.startsWith(`${canonical} `));
      expect(assembleAlgorithms(name.toLowerCase(), value, "x").join(","), `${name} ${value}`).toBe(line?.split(" ")[1]);
    }
    // and where ssh refuses the line, keel refuses it too
    for (const [name, value] of [
      ["Ciphers", "aes512-ctr"],
      ["MACs", "hmac-sha2-*"],
      ["HostKeyAlgorithms", "!ssh-rsa,ssh-ed25519"],
      ["Ciphers", "+"],
    ]) {
      const f = file(`Host *\n  ${name} ${value}\n`);
      expect(spawnSync("ssh", ["-G", "-F", f, "target"], { encoding: "utf8" }).status, `${name} ${value}`).not.toBe(0);
      expect(() => assembleAlgorithms(name!.toLowerCase(), value!, "x"), `${name} ${value}`).toThrow(InputError);
    }
  });
});

describe("per host, from the ssh_config file and -o", () => {
  it("the first value for the host wins; PubkeyAcceptedKeyTypes and PubkeyAcceptedAlgorithms are one option; -o comes first", () => {
    const f = file(
      [
        "Host old",
        "  KexAlgorithms +diffie-hellman-group14-sha1",
        "  HostKeyAlgorithms +ssh-rsa",
        "  PubkeyAcceptedKeyTypes +ssh-rsa",
        "Host strict*",
        "  Ciphers aes256-gcm@openssh.com,aes256-ctr",
        "  MACs hmac-sha2-512-etm@openssh.com,umac-128-etm@openssh.com",
        "Host *",
        "  Ciphers aes128-ctr",
        "  PubkeyAcceptedAlgorithms ssh-ed25519",
        "",
      ].join("\n"),
    );
    const cfg = loadSshConfig(f, home);
    const old = resolveEndpoint("old", cfg, [], {}, 0, home).algorithms!;
    expect(old.kex).toEqual([...sshAlgorithms().kex.filter((k) => OPENSSH.kex.default.includes(k)), "diffie-hellman-group14-sha1"]);
    expect(old.serverHostKey).toEqual([
      "ssh-ed25519",
      "ecdsa-sha2-nistp256",
      "ecdsa-sha2-nistp384",
      "ecdsa-sha2-nistp521",
      "rsa-sha2-512",
      "rsa-sha2-256",
      "ssh-rsa",
    ]);
    expect(old.cipher).toEqual(["aes128-ctr"]); // from Host *
    expect(old.pubkey).toEqual(["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
    const strict = resolveEndpoint("strict1", cfg, [], {}, 0, home).algorithms!;
    // umac is not in keel's client: offered without it, never anything outside the list
    expect(strict).toEqual({ cipher: ["aes256-gcm@openssh.com", "aes256-ctr"], hmac: ["hmac-sha2-512-etm@openssh.com"], pubkey: ["ssh-ed25519"] });
    const other = resolveEndpoint("web", cfg, [], {}, 0, home).algorithms!;
    expect(other).toEqual({ cipher: ["aes128-ctr"], pubkey: ["ssh-ed25519"] });
    // -o before the file, as Ansible puts ssh_args and ansible_ssh_common_args on ssh's command line
    const cli = parseSshArgs("-o Ciphers=chacha20-poly1305@openssh.com -o PubkeyAcceptedKeyTypes=-ssh-ed25519", "ansible_ssh_common_args", (m) => {
      throw new Error(m);
    });
    const withCli = resolveEndpoint("strict1", cfg, cli.opts, {}, 0, home).algorithms!;
    expect(withCli.cipher).toEqual(["chacha20-poly1305@openssh.com"]);
    expect(withCli.pubkey).toEqual(["ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256"]);
    // a host no algorithm option applies to keeps keel's defaults
    expect(resolveEndpoint("x", loadSshConfig(file("Host y\n  Ciphers aes128-ctr\n"), home), [], {}, 0, home).algorithms).toBeUndefined();
  });

  it("jump hosts get their own lists", () => {
    const cfg = loadSshConfig(file("Host gw\n  KexAlgorithms curve25519-sha256\nHost t\n  ProxyJump gw\n  Ciphers aes256-ctr\n"), home);
    const ep = resolveEndpoint("t", cfg, [], {}, 0, home);
    expect(ep.algorithms).toEqual({ cipher: ["aes256-ctr"] });
    expect(ep.via?.kind === "jump" && ep.via.host.algorithms).toEqual({ kex: ["curve25519-sha256"] });
  });

  it("a list with nothing keel implements is an error at its file:line naming the algorithms; a bad name too", () => {
    const f = file("Host a\n  MACs umac-64-etm@openssh.com,umac-128@openssh.com\nHost b\n  Ciphers aes128-ctr,blowfish-cbc\n");
    const cfg = loadSshConfig(f, home);
    const e = thrown(() => resolveEndpoint("a", cfg, [], {}, 0, home));
    expect(e.message).toBe(
      `MACs umac-64-etm@openssh.com,umac-128@openssh.com leaves only algorithms keel's SSH client does not implement (umac-64-etm@openssh.com,umac-128@openssh.com)`,
    );
    expect(e.pos).toEqual({ file: f, line: 2, col: 1 });
    expect(e.hint).toMatch(/^keel implements hmac-sha2-256-etm@openssh.com,/);
    expect(thrown(() => resolveEndpoint("b", cfg, [], {}, 0, home)).message).toMatch(
      /^Ciphers aes128-ctr,blowfish-cbc: OpenSSH knows no algorithm 'blowfish-cbc'/,
    );
    // only the host the line applies to fails
    expect(resolveEndpoint("c", cfg, [], {}, 0, home).algorithms).toBeUndefined();
  });

  it("-o: checked when the arguments are read, with the setting named; honoured instead of refused", () => {
    const fail = (m: string, hint: string): never => {
      throw new Error(`${m} | ${hint}`);
    };
    expect(parseSshArgs("-o Ciphers=aes128-ctr -o HostKeyAlgorithms=+ssh-rsa", "args", fail).opts.map((o) => [o.key, o.value])).toEqual([
      ["ciphers", "aes128-ctr"],
      ["hostkeyalgorithms", "+ssh-rsa"],
    ]);
    expect(() => parseSshArgs("-o KexAlgorithms=sntrup761x25519-sha512@openssh.com", "args", fail)).toThrow(
      /^sets -o KexAlgorithms=sntrup761x25519-sha512@openssh.com: KexAlgorithms sntrup761x25519-sha512@openssh.com leaves only algorithms keel's SSH client does not implement .* \| keel implements curve25519/,
    );
    expect(() => parseSshArgs("-o MACs=hmac-sha3", "args", fail)).toThrow(/OpenSSH knows no algorithm 'hmac-sha3'/);
  });

  it("PubkeyAcceptedAlgorithms: keys of other types are not offered; a partial RSA choice keel cannot keep is refused", () => {
    expect(keyTypeAllowed("ssh-ed25519", ["ssh-ed25519"])).toBe(true);
    expect(keyTypeAllowed("ecdsa-sha2-nistp256", ["ssh-ed25519"])).toBe(false);
    expect(keyTypeAllowed("ssh-rsa", ["rsa-sha2-512", "rsa-sha2-256"])).toBe(true);
    expect(keyTypeAllowed("ssh-rsa", ["ssh-ed25519"])).toBe(false);
    expect(keyTypeAllowed("ssh-rsa", undefined)).toBe(true);
    const e = thrown(() =>
      algorithmChoice(
        new Map([["pubkeyacceptedalgorithms", { key: "pubkeyacceptedalgorithms", value: "rsa-sha2-512", source: "f:1" }]]),
        implementedAlgorithms(),
      ),
    );
    expect(e.message).toMatch(/allows only rsa-sha2-512 for RSA keys/);
    expect(e.hint).toMatch(/both rsa-sha2-256 and rsa-sha2-512, or no RSA algorithm/);
  });

  it("the handshake offers the lists as set; known key types go first only without HostKeyAlgorithms (as OpenSSH)", () => {
    const d = offeredAlgorithms(undefined, ["ssh-rsa"]) as Record<string, string[]>;
    expect(d.serverHostKey!.slice(0, 3)).toEqual(["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
    expect(d.cipher).toEqual(sshAlgorithms().cipher);
    const s = offeredAlgorithms({ serverHostKey: ["ssh-ed25519"], cipher: ["aes256-ctr"], kex: ["curve25519-sha256"], hmac: ["hmac-sha2-256"] }, [
      "ssh-rsa",
    ]) as Record<string, string[]>;
    expect(s).toEqual({ kex: ["curve25519-sha256"], cipher: ["aes256-ctr"], hmac: ["hmac-sha2-256"], compress: ["none"], serverHostKey: ["ssh-ed25519"] });
  });
});
