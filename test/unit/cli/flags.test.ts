// Every command that connects to hosts speaks one set of connection and selection flags, with
// ansible-playbook's short forms and the same meaning everywhere (issue 18). A command added later
// (audit, patch reports…) is held to it as soon as it declares any connection flag.
import { describe, it, expect } from "vitest";
import type { Command, Option } from "commander";
import { buildProgram } from "../../../engine/cli/main.js";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { askPasswords, connectionOptions, REPORT_HOST_TIMEOUT_S, type ConnectionFlags } from "../../../engine/cli/commands/flags.js";

const io = { out: () => undefined, err: () => undefined, isTTY: false, color: false };
const program = () => buildProgram({ io, exitCode: 0 });

/** The connection and selection flags: long name → ansible-playbook's short form (or null). */
const CONNECTION: Record<string, string | null> = {
  "--inventory": "-i",
  "--limit": "-l",
  "--user": "-u",
  "--private-key": null,
  "--connection": "-c",
  "--become": "-b",
  "--become-user": null,
  "--ask-pass": "-k",
  "--ask-become-pass": "-K",
  "--forks": "-f",
  "--timeout": "-T",
  "--command-timeout": null,
  "--host-timeout": null,
  "--accept-new-host-keys": null,
  "--verbose": "-v",
  "--ssh-common-args": null,
  "--ssh-extra-args": null,
  "--become-method": null,
  "--connection-password-file": null,
  "--become-password-file": null,
  // other names, as ansible-playbook has them (hidden from --help)
  "--inventory-file": null,
  "--key-file": null,
  "--conn-pass-file": null,
  "--become-pass-file": null,
  "--connect-timeout": null,
  "--vault-id": null,
  "--vault-password-file": null,
  "--vault-pass-file": null,
  "--ask-vault-pass": "-J",
};

/**
 * ansible-playbook 2.14's options (`ansible-playbook --help`), each with keel's answer: "connect"
 * (every connecting command takes it, same short form), "playbook" (commands that run a playbook),
 * or why keel has no such flag. The last test checks this list against the installed ansible-playbook.
 */
const ANSIBLE_PLAYBOOK: Record<string, string> = {
  "-i --inventory --inventory-file": "connect",
  "-l --limit": "connect",
  "-u --user": "connect",
  "-c --connection": "connect",
  "-T --timeout": "connect",
  "-k --ask-pass": "connect",
  "--private-key --key-file": "connect",
  "--connection-password-file --conn-pass-file": "connect",
  "--ssh-common-args": "connect",
  "--ssh-extra-args": "connect",
  "-b --become": "connect",
  "--become-method": "connect",
  "--become-user": "connect",
  "-K --ask-become-pass": "connect",
  "--become-password-file --become-pass-file": "connect",
  "-f --forks": "connect",
  "-v --verbose": "connect",
  "--vault-id": "connect",
  "--vault-password-file --vault-pass-file": "connect",
  "--ask-vault-password --ask-vault-pass": "connect",
  "-e --extra-vars": "playbook",
  "-t --tags": "playbook",
  "--skip-tags": "playbook",
  "-C --check": "playbook",
  "-D --diff": "playbook",
  "--scp-extra-args": "keel copies files over its own SSH channel, without scp",
  "--sftp-extra-args": "keel copies files over its own SSH channel, without sftp",
  "--flush-cache": "keel keeps no fact cache",
  "--force-handlers": "keel run only: a run option, not a connection flag",
  "--list-hosts": "a run option, not a connection flag",
  "--list-tags": "a run option, not a connection flag",
  "--list-tasks": "keel run only: a run option, not a connection flag",
  "--start-at-task": "keel run only: a run option, not a connection flag",
  "--step": "interactive, not for a report",
  "--syntax-check": "keel loads and checks every playbook before touching a host",
  "-M --module-path": "keel's modules are built in (modules/index.ts)",
  "--version": "keel --version",
  "-h --help": "every command has --help",
};
const PLAYBOOK: Record<string, string | null> = { "--extra-vars": "-e", "--tags": "-t", "--skip-tags": null, "--check": "-C", "--diff": "-D" };

const byLong = (c: Command) => new Map(c.options.map((o: Option) => [o.long ?? "", o]));
/** Every command and subcommand (`patch report`), named by its path. */
const all = (p: Command): Command[] => p.commands.flatMap((c) => [c, ...all(c)]);
const path = (c: Command): string => (c.parent && c.parent.parent ? `${path(c.parent)} ${c.name()}` : c.name());
/** Flags only a command that connects has (not -i/-l or the vault flags, which `keel inventory` has too). */
const CONNECTS = ["--user", "--private-key", "--connection", "--become", "--ask-pass", "--forks", "--timeout", "--host-timeout", "--accept-new-host-keys"];
const connecting = (p: Command) => all(p).filter((c) => CONNECTS.some((l) => byLong(c).has(l)));

describe("shared connection flags", () => {
  it("run, drift and facts are connecting commands (a command cannot opt out by dropping them all)", () => {
    expect(connecting(program()).map(path)).toEqual(expect.arrayContaining(["run", "drift", "facts"]));
  });

  it("every connecting command declares every flag, with the same short form, argument and help", () => {
    const cmds = connecting(program());
    const ref = byLong(cmds.find((c) => c.name() === "run")!);
    for (const c of cmds) {
      const opts = byLong(c);
      for (const [long, short] of Object.entries(CONNECTION)) {
        const o = opts.get(long);
        expect(o, `${c.name()} lacks ${long}`).toBeDefined();
        expect(o!.short ?? null, `${c.name()} ${long}`).toBe(short);
        expect(o!.flags, `${c.name()} ${long}`).toBe(ref.get(long)!.flags);
        expect(o!.description, `${c.name()} ${long}`).toBe(ref.get(long)!.description);
      }
    }
  });

  it("every connection flag of ansible-playbook is accepted by every connecting command, under each of its names and short form", () => {
    for (const c of connecting(program())) {
      const opts = [...byLong(c).values()];
      for (const [names, what] of Object.entries(ANSIBLE_PLAYBOOK)) {
        if (what !== "connect") continue;
        const [first, ...rest] = names.split(" ");
        const short = first!.startsWith("--") ? undefined : first;
        const longs = short ? rest : [first!, ...rest];
        for (const long of longs) {
          const o = opts.find((x) => x.long === long);
          expect(o, `${path(c)} lacks ${long}`).toBeDefined();
          if (short && long === longs[0]) expect(o!.short, `${path(c)} ${long}`).toBe(short);
        }
      }
    }
  });

  it("the list of ansible-playbook's options above is ansible-playbook's (when it is installed)", () => {
    let help: string;
    try {
      help = execFileSync("ansible-playbook", ["--help"], { encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ANSIBLE_NOCOLOR: "1" } });
    } catch {
      return; // not installed here (CI installs it: .ci/run)
    }
    const seen = new Set<string>();
    for (const line of help.split("\n")) {
      const m = /^ {2}(-[^ ].*?)(?: {2,}|$)/.exec(line);
      if (!m) continue;
      const names = m[1]!.split(", ").map((x) => x.split(" ")[0]!);
      seen.add(names.join(" "));
    }
    expect([...seen].sort()).toEqual(Object.keys(ANSIBLE_PLAYBOOK).sort());
  });

  it("--key-file, --inventory-file and the password files mean what ansible-playbook's do", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-flags-"));
    const pw = join(dir, "become.txt");
    writeFileSync(pw, "s3cret\n");
    const script = join(dir, "conn.sh");
    writeFileSync(script, "#!/bin/sh\necho from-script\n", { mode: 0o755 });
    for (const c of connecting(program())) {
      c.parseOptions(["--key-file", "/k/id", "--inventory-file", "a.yml", "-i", "b.yml", "--become-pass-file", pw, "--conn-pass-file", script]);
      const f = c.opts() as ConnectionFlags;
      const s = connectionOptions(f);
      expect(s.run.privateKeyFile, path(c)).toBe("/k/id");
      expect(s.inventory.sort(), path(c)).toEqual(["a.yml", "b.yml"]);
      await askPasswords(f, s, io);
      expect([s.run.becomePassword, s.run.password], path(c)).toEqual(["s3cret", "from-script"]);
      expect(s.secrets.sort(), path(c)).toEqual(["from-script", "s3cret"]);
    }
  });

  it("--ssh-common-args and --ssh-extra-args are checked before any host is touched and apply to every host", () => {
    for (const c of connecting(program())) {
      c.parseOptions(["--ssh-common-args", "-o StrictHostKeyChecking=accept-new", "--ssh-extra-args", "-o UserKnownHostsFile=/tmp/kh"]);
      expect(connectionOptions(c.opts() as ConnectionFlags).run.sshArgs, path(c)).toBe("-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=/tmp/kh");
    }
    const c = connecting(program()).find((x) => x.name() === "drift")!;
    c.parseOptions(["--ssh-common-args", "-o Ciphers=aes128-foo"]);
    expect(() => connectionOptions(c.opts() as ConnectionFlags)).toThrow(
      /^--ssh-common-args sets -o Ciphers=aes128-foo: Ciphers aes128-foo: OpenSSH knows no algorithm 'aes128-foo'/,
    );
  });

  it("commands that run a playbook share -e -t --skip-tags -C -D", () => {
    for (const c of all(program()).filter((x) => byLong(x).has("--extra-vars") || ["run", "drift"].includes(x.name()))) {
      for (const [long, short] of Object.entries(PLAYBOOK)) {
        expect(byLong(c).get(long)?.short ?? null, `${c.name()} ${long}`).toBe(short);
      }
    }
  });

  it("the same arguments mean the same settings in every connecting command", () => {
    const argv = [
      "-i",
      "a.yml",
      "-i",
      "b.yml",
      "-l",
      "web*",
      "-u",
      "deploy",
      "--private-key",
      "/k/id",
      "-c",
      "ssh",
      "-b",
      "--become-user",
      "app",
      "-f",
      "7",
      "-T",
      "3",
      "--command-timeout",
      "4",
      "--host-timeout",
      "9",
      "--accept-new-host-keys",
      "-vv",
    ];
    const settings = connecting(program()).map((c) => {
      c.parseOptions(argv);
      return { name: c.name(), s: connectionOptions(c.opts() as ConnectionFlags) };
    });
    for (const { name, s } of settings) {
      expect({ name, inventory: s.inventory, limit: s.limit, verbose: s.verbose, run: s.run }, name).toEqual({
        name,
        inventory: ["a.yml", "b.yml"],
        limit: "web*",
        verbose: 2,
        run: {
          limit: "web*",
          forks: 7,
          tags: [],
          skipTags: [],
          user: "deploy",
          privateKeyFile: "/k/id",
          connection: "ssh",
          become: true,
          becomeUser: "app",
          acceptNewHostKeys: true,
          connectTimeoutMs: 3000,
          commandTimeoutMs: 4000,
          hostTimeoutMs: 9000,
        },
      });
    }
  });

  it("report commands have a default per-host deadline, documented in --help; run has none", () => {
    const p = program();
    for (const c of connecting(p)) {
      c.parseOptions([]);
      const s = connectionOptions(c.opts() as ConnectionFlags);
      if (c.name() === "run") expect(s.run.hostTimeoutMs).toBe(0);
      else {
        expect(s.run.hostTimeoutMs, c.name()).toBe(REPORT_HOST_TIMEOUT_S * 1000);
        expect(c.helpInformation(), c.name()).toMatch(new RegExp(`--host-timeout <sec>[\\s\\S]*default: "${REPORT_HOST_TIMEOUT_S}"`));
      }
    }
  });

  it.each([
    [["-f", "0"], /--forks must be a positive whole number/],
    [["-T", "0"], /--timeout must be a number of seconds greater than 0/],
    [["--host-timeout", "-1"], /--host-timeout must be a number of seconds \(0 for none\)/],
    [["-T", "5", "--connect-timeout", "5"], /not both/],
  ])("%j is refused the same way everywhere", (argv, re) => {
    for (const c of connecting(program())) {
      c.parseOptions(argv);
      expect(() => connectionOptions(c.opts() as ConnectionFlags), c.name()).toThrow(re);
    }
  });
});
