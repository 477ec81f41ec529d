// Every command that connects to hosts speaks one set of connection and selection flags, with
// ansible-playbook's short forms and the same meaning everywhere (issue 18). A command added later
// (audit, patch reports…) is held to it as soon as it declares any connection flag.
import { describe, it, expect } from "vitest";
import type { Command, Option } from "commander";
import { buildProgram } from "../../../engine/cli/main.js";
import { connectionOptions, REPORT_HOST_TIMEOUT_S, type ConnectionFlags } from "../../../engine/cli/commands/flags.js";

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
};
const PLAYBOOK: Record<string, string | null> = { "--extra-vars": "-e", "--tags": "-t", "--skip-tags": null, "--check": "-C", "--diff": "-D" };

const byLong = (c: Command) => new Map(c.options.map((o: Option) => [o.long ?? "", o]));
/** Every command and subcommand (`patch report`), named by its path. */
const all = (p: Command): Command[] => p.commands.flatMap((c) => [c, ...all(c)]);
const path = (c: Command): string => (c.parent && c.parent.parent ? `${path(c.parent)} ${c.name()}` : c.name());
const connecting = (p: Command) => all(p).filter((c) => Object.keys(CONNECTION).some((l) => l !== "--inventory" && l !== "--limit" && byLong(c).has(l)));

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
