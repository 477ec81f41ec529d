// ssh_config as OpenSSH reads it (first value wins, Host patterns, Include, Match, tokens) and the
// routes built from it (HostName, User, Port, IdentityFile, ProxyJump chains, ProxyCommand).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../../engine/core/errors.js";
import { HONOURED_OPTIONS, loadSshConfig, lookupSshConfig, parseSshConfigFile, patternListMatches } from "../../../engine/transport/ssh-config.js";
import { parseJumpSpec, resolveEndpoint } from "../../../engine/transport/route.js";
import { parseSshArgs } from "../../../engine/transport/ssh-args.js";
import { sshOptionOf } from "../../../engine/inventory/hostspec.js";

const home = mkdtempSync(join(tmpdir(), "keel-sshcfg-"));
mkdirSync(join(home, ".ssh", "conf.d"), { recursive: true });
afterAll(() => rmSync(home, { recursive: true, force: true }));

let n = 0;
function cfg(text: string) {
  const f = join(home, `config-${n++}`);
  writeFileSync(f, text);
  return loadSshConfig(f, home);
}
const opt = (c: ReturnType<typeof lookupSshConfig>, k: string) => c.opts.get(k)?.value;

describe("ssh_config lookup", () => {
  it("first obtained value wins, across Host blocks, as ssh", () => {
    const c = cfg(`Host web*\n  User deploy\n  Port 2222\nHost *\n  User root\n  Port 22\n  ConnectTimeout 7\n`);
    const w = lookupSshConfig(c, "web1");
    expect([opt(w, "user"), opt(w, "port"), opt(w, "connecttimeout")]).toEqual(["deploy", "2222", "7"]);
    const d = lookupSshConfig(c, "db1");
    expect([opt(d, "user"), opt(d, "port")]).toEqual(["root", "22"]);
    expect(w.opts.get("user")?.source).toMatch(/config-\d+:2$/);
  });

  it("patterns: several per line, commas, ?, negation excludes whatever else matches", () => {
    const c = cfg(`Host a b,c?x !cbx\n  HostName matched\n`);
    for (const [h, m] of [
      ["a", true],
      ["b", true],
      ["c1x", true],
      ["cbx", false],
      ["cx", false],
      ["A", true],
    ] as const) {
      expect(opt(lookupSshConfig(c, h), "hostname"), h).toBe(m ? "matched" : undefined);
    }
    expect(patternListMatches(["*", "!*.internal"], "x.internal")).toBe(false);
    expect(patternListMatches(["!a"], "b")).toBe(false); // a negation alone matches nothing
  });

  it("keywords are case-insensitive, `=` separates too, quoted values keep spaces; IdentityFile accumulates", () => {
    const c = cfg(`HOST h\n  identityfile="~/.ssh/id %h"\n  IdentityFile ~/.ssh/second\nHost *\n  IdentityFile ~/.ssh/third\n`);
    const l = lookupSshConfig(c, "h");
    expect(l.identityFiles.map((o) => o.value)).toEqual(["~/.ssh/id %h", "~/.ssh/second", "~/.ssh/third"]);
  });

  it("command-line options come before the file", () => {
    const c = cfg(`Host h\n  User fromfile\n  ProxyJump fromfile\n`);
    const l = lookupSshConfig(c, "h", [{ key: "user", value: "cli", source: "x" }]);
    expect(opt(l, "user")).toBe("cli");
    expect(opt(l, "proxyjump")).toBe("fromfile");
  });

  it("ProxyJump and ProxyCommand compete: the first one prevents the other", () => {
    const c = cfg(`Host h\n  ProxyCommand nc %h %p\nHost *\n  ProxyJump b\n`);
    const l = lookupSshConfig(c, "h");
    expect(opt(l, "proxycommand")).toBe("nc %h %p");
    expect(l.opts.has("proxyjump")).toBe(false);
  });

  it("Include: globs relative to ~/.ssh, spliced in place, inside a Host block only for that block", () => {
    writeFileSync(join(home, ".ssh", "conf.d", "10-a.conf"), `Host inc\n  User included\n`);
    writeFileSync(join(home, ".ssh", "conf.d", "20-b.conf"), `Port 2022\n`);
    const c = cfg(`Include conf.d/*.conf\nHost other\n  Include conf.d/20-b.conf\n`);
    expect(opt(lookupSshConfig(c, "inc"), "user")).toBe("included");
    // 20-b.conf at top level applies to every host (it has no Host line of its own)
    expect(opt(lookupSshConfig(c, "zzz"), "port")).toBe("2022");
    const c2 = cfg(`Host other\n  Include conf.d/20-b.conf\n`);
    expect(opt(lookupSshConfig(c2, "zzz"), "port")).toBeUndefined();
    expect(opt(lookupSshConfig(c2, "other"), "port")).toBe("2022");
  });

  it("Match host / originalhost / user / all / final are evaluated; Match exec stops with file:line", () => {
    const c = cfg(
      `Host short\n  HostName long.example.com\nMatch host *.example.com user root\n  Port 2200\nMatch originalhost short\n  User root\nMatch final all\n  ConnectTimeout 3\n`,
    );
    const l = lookupSshConfig(c, "short", [], "root");
    expect([opt(l, "port"), opt(l, "user"), opt(l, "connecttimeout")]).toEqual(["2200", "root", "3"]);
    expect(opt(lookupSshConfig(c, "short", [], "bob"), "port")).toBeUndefined();
    try {
      cfg(`Host a\n  User x\n\nMatch exec "test -f /x"\n  User y\n`);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).message).toMatch(/Match exec .* not supported/);
      expect((e as InputError).pos?.line).toBe(4);
    }
  });

  it("an option keel cannot honour stops only the hosts it applies to, naming file:line", () => {
    const c = cfg(`# comment\n\nHost legacy\n  HostKeyAlias old\nHost *\n  ForwardAgent yes\n  SendEnv LANG\n`);
    expect(() => lookupSshConfig(c, "other")).not.toThrow();
    try {
      lookupSshConfig(c, "legacy");
      expect.unreachable();
    } catch (e) {
      expect((e as InputError).message).toMatch(/:4: HostKeyAlias old applies to host legacy/);
      expect((e as InputError).pos?.line).toBe(4);
    }
  });

  it("line numbers survive comments, blank lines and indented blocks", () => {
    const lines = parseSshConfigFile(`# a\n\nHost x\n  # b\n  User u\n\n  Port 1\nHost y\n`, "f");
    expect(lines.map((l) => [l.key, l.line])).toEqual([
      ["host", 3],
      ["host", 8],
    ]);
    expect(lines[0]!.body!.map((l) => [l.key, l.line])).toEqual([
      ["user", 5],
      ["port", 7],
    ]);
  });
});

describe("routes", () => {
  it("HostName (with %h), User, Port and IdentityFile tokens; the inventory's user and port come first", () => {
    const c = cfg(`Host web*\n  HostName %h.example.com\n  User deploy\n  Port 2222\n  IdentityFile ~/.ssh/%r@%h\n`);
    const ep = resolveEndpoint("web1", c, [], {}, 0, home);
    expect(ep).toMatchObject({ address: "web1.example.com", port: 2222, user: "deploy", identityFiles: [join(home, ".ssh/deploy@web1.example.com")] });
    expect(resolveEndpoint("web1", c, [], { user: "admin", port: 22, identityFile: "/k" }, 0, home)).toMatchObject({
      port: 22,
      user: "admin",
      identityFiles: ["/k", join(home, ".ssh/admin@web1.example.com")],
    });
    expect(() => resolveEndpoint("web1", cfg(`Host *\n  IdentityFile ~/.ssh/%C\n`), [], {}, 0, home)).toThrow(/token %C .* not supported/);
  });

  it("ProxyJump: the jump host is resolved through its own Host block; a,b chains; the first hop's own ProxyJump", () => {
    const c = cfg(
      [
        "Host bastion",
        "  HostName 198.18.0.5",
        "  User jump",
        "  IdentityFile /keys/bastion",
        "  UserKnownHostsFile /kh/bastion",
        "Host outer",
        "  HostName 198.18.0.6",
        "  ProxyJump gate",
        "Host *.internal",
        "  ProxyJump bastion",
        "",
      ].join("\n"),
    );
    const ep = resolveEndpoint("db.internal", c, [], {}, 0, home);
    expect(ep.via).toMatchObject({
      kind: "jump",
      host: { name: "bastion", address: "198.18.0.5", port: 22, user: "jump", identityFiles: ["/keys/bastion"], knownHostsFile: "/kh/bastion" },
    });
    const chain = resolveEndpoint("t", c, [{ key: "proxyjump", value: "root@outer:2200,bastion", source: "-J" }], {}, 0, home);
    // t through bastion, bastion through outer (root, port 2200), outer through gate (its own ProxyJump)
    expect(chain.via).toMatchObject({
      kind: "jump",
      host: {
        name: "bastion",
        via: { kind: "jump", host: { name: "outer", address: "198.18.0.6", port: 2200, user: "root", via: { kind: "jump", host: { name: "gate" } } } },
      },
    });
    // a loop is an error, not a hang
    expect(() => resolveEndpoint("l1", cfg(`Host l1\n  ProxyJump l2\nHost l2\n  ProxyJump l1\n`), [], {}, 0, home)).toThrow(/more than 8 jump hosts/);
    expect(resolveEndpoint("db.internal", c, [{ key: "proxyjump", value: "none", source: "x" }], {}, 0, home).via).toBeUndefined();
  });

  it("ProxyCommand gets its tokens expanded", () => {
    const ep = resolveEndpoint("h", cfg(`Host h\n  HostName 10.1.2.3\n  User u\n  ProxyCommand ssh -W %h:%p -l %r gw\n`), [], {}, 0, home);
    expect(ep.via).toEqual({ kind: "command", command: "ssh -W 10.1.2.3:22 -l u gw", source: expect.stringMatching(/:4$/) });
  });

  it("jump host specs: user@host:port, ssh:// URIs, bracketed IPv6; junk is an error", () => {
    const o = { key: "proxyjump", value: "", source: "s" };
    expect(parseJumpSpec("a@b:2", o)).toEqual({ user: "a", host: "b", port: 2 });
    expect(parseJumpSpec("ssh://b", o)).toEqual({ host: "b" });
    expect(parseJumpSpec("[fd00::1]:2222", o)).toEqual({ host: "fd00::1", port: 2222 });
    expect(() => parseJumpSpec("a b", o)).toThrow(/not a jump host/);
    expect(() => parseJumpSpec("b:70000", o)).toThrow(/out of range/);
  });

  it("ssh arguments: -o forms, -J, -F, harmless options skipped, the rest refused", () => {
    const fail = (m: string): never => {
      throw new Error(m);
    };
    const a = parseSshArgs(`-C -o ControlMaster=auto -o "ProxyCommand ssh -W %h:%p gw" -oServerAliveInterval=5 -J j1,j2 -F /cfg -o Port 2200`, "args", fail);
    expect(a.opts.map((o) => [o.key, o.value])).toEqual([
      ["proxycommand", "ssh -W %h:%p gw"],
      ["serveraliveinterval", "5"],
      ["proxyjump", "j1,j2"],
      ["port", "2200"],
    ]);
    expect(a.configFile).toBe("/cfg");
    expect(() => parseSshArgs("-o Ciphers=aes512-ctr", "args", fail)).toThrow(/Ciphers aes512-ctr: OpenSSH knows no algorithm 'aes512-ctr'/);
    expect(() => parseSshArgs("-L 80:x:80", "args", fail)).toThrow(/'-L'/);
  });

  it("algorithm options are honoured (engine/transport/algorithm-options.ts, test/unit/transport/algorithm-options.test.ts): old hosts' usual lines and restrictions alike", () => {
    const fail = (m: string, hint: string): never => {
      throw new Error(`${m} | ${hint}`);
    };
    // as real inventories write it for old hosts
    expect(
      parseSshArgs("-o PubkeyAcceptedKeyTypes=+ssh-rsa -o HostKeyAlgorithms=+ssh-rsa -o PubkeyAcceptedAlgorithms=+ssh-rsa", "args", fail).opts.map(
        (o) => o.key,
      ),
    ).toEqual(["pubkeyacceptedkeytypes", "hostkeyalgorithms", "pubkeyacceptedalgorithms"]);
    expect(parseSshArgs("-o KexAlgorithms=+diffie-hellman-group1-sha1 -o Ciphers=-aes128-ctr", "args", fail).opts.map((o) => o.value)).toEqual([
      "+diffie-hellman-group1-sha1",
      "-aes128-ctr",
    ]);
    expect(() => parseSshArgs("-o HostKeyAlgorithms=ssh-ed25519-cert-v01@openssh.com", "args", fail)).toThrow(/does not implement/);
  });

  it("option names with digits (ForwardX11) are read whole, not cut at the digit", () => {
    const fail = (m: string, hint: string): never => {
      throw new Error(`${m} | ${hint}`);
    };
    expect(parseSshArgs("-o ForwardX11=no -o ForwardX11Trusted=no", "args", fail).opts).toEqual([]);
    expect(sshOptionOf(["-o ForwardX11=yes -o Port=2222"], "ForwardX11")).toBe("yes");
    expect(() => parseSshArgs("-o Tunnel=yes", "args", fail)).toThrow(
      /sets -o Tunnel=yes, which keel does not honour \| keel opens no tun device: remove the option, or write -o Tunnel=no/,
    );
  });

  it("an option keel does not honour is accepted with its OpenSSH default value, which is what keel does (issue 16 audit: VerifyHostKeyDNS=no)", () => {
    const fail = (m: string, hint: string): never => {
      throw new Error(`${m} | ${hint}`);
    };
    const defaults =
      "-o VerifyHostKeyDNS=no -o HostbasedAuthentication=no -o ProxyUseFdpass=no -o Tunnel=no -o PermitLocalCommand=no -o EnableSSHKeysign=no " +
      "-o ClearAllForwardings=yes -o GatewayPorts=no -o AddressFamily=any -o ForkAfterAuthentication=no -o StdinNull=no -o SessionType=default " +
      "-o CanonicalizeHostname=no -o NoHostAuthenticationForLocalhost=no -o PKCS11Provider=none -o KnownHostsCommand=none -o RemoteCommand=none -o verifyhostkeydns=False";
    expect(parseSshArgs(defaults, "args", fail).opts).toEqual([]);
    expect(parseSshArgs("-o VerifyHostKeyDNS no -o Port=2222", "args", fail).opts.map((o) => o.key)).toEqual(["port"]);
    // any other value would check or route the connection otherwise: still refused, naming the default
    expect(() => parseSshArgs("-o VerifyHostKeyDNS=yes", "args", fail)).toThrow(
      "sets -o VerifyHostKeyDNS=yes, which keel does not honour | keel does not look host keys up in DNS (SSHFP): remove the option, or write -o VerifyHostKeyDNS=no (the default)",
    );
    expect(() => parseSshArgs("-o AddressFamily=inet", "args", fail)).toThrow(/AddressFamily=inet, which keel does not honour/);
    expect(() => parseSshArgs("-o RemoteCommand=uptime", "args", fail)).toThrow(/RemoteCommand=uptime, which keel does not honour \| keel runs its own shell/);
    expect(() => parseSshArgs("-o ProxyUseFdpass=yes", "args", fail)).toThrow(/ProxyUseFdpass=yes/);
  });

  it("one table of honoured options: each is taken from a config file and from -o of ssh arguments alike", () => {
    const fail = (m: string): never => {
      throw new Error(m);
    };
    expect(HONOURED_OPTIONS.size).toBe(12);
    for (const key of HONOURED_OPTIONS) {
      const value = key === "stricthostkeychecking" ? "accept-new" : "v1";
      const l = lookupSshConfig(cfg(`Host h\n  ${key} ${value}\n`), "h");
      expect(key === "identityfile" ? l.identityFiles[0]?.value : opt(l, key), key).toBe(value);
      expect(
        parseSshArgs(`-o ${key}=${value}`, "args", fail).opts.map((o) => [o.key, o.value]),
        key,
      ).toEqual([[key, value]]);
    }
  });

  it("every refused option is named as ssh_config spells it, whatever case the file uses", () => {
    for (const kw of ["BindAddress", "CertificateFile", "RemoteCommand", "CanonicalizeHostname"]) {
      const c = cfg(`Host h\n  ${kw.toLowerCase()} x1\n`);
      expect(() => lookupSshConfig(c, "h"), kw).toThrow(new RegExp(`:2: ${kw} x1 applies to host h`));
    }
    // the default value changes nothing and is not refused
    expect(() => lookupSshConfig(cfg(`Host h\n  CanonicalizeHostname no\n`), "h")).not.toThrow();
  });
});
