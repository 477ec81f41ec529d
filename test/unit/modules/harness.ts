// Table-driven fixture tests for modules (DESIGN.md, "Tests"). One YAML file per case under
// test/unit/modules/<module name>/<case>.yml:
//
//   description: what the case shows
//   args: { ... }                      # task arguments (after templating and prepare)
//   facts: { pkg_mgr: apt }            # optional, merged over BASE_FACTS
//   probe:                             # the captured output of the module's probe script
//     stdout: |
//       ...
//     rc: 0                            # optional, default 0
//   state: { ... }                     # optional: what the parser must make of it (deep equal)
//   changes:                           # what diff must return ([] = already converged)
//     - { summary: "mode 0644 → 0600", field: mode }   # each entry matched as a subset
//   explain: "user deploy exists"      # optional: substring of the no-op reason
//   result: { stat: { exists: true } } # optional: what module.result gives for `register` (subset)
//   apply:                             # the calls apply must make, in order (omit when changes: [])
//     - run: "usermod -s /bin/bash deploy"       # exact command
//     - run_match: "^useradd "                   # or a regex
//     - write_match: "^/run/x/.*\\.nft$"          # or a regex of the path
//     - probe_new_connection: true                # Host.probeNewConnection (fails when a reply
//                                                 # matches "probe_new_connection" with rc ≠ 0)
//     - write: /etc/motd                          # writeFile path
//       content: "hello\n"                        # optional exact content
//       mode: "0644"                              # optional
//   replies:                           # optional canned results for apply's commands, by regex
//     - { match: "^visudo", rc: 1, stderr: "syntax error" }
//   apply_error: "regex"               # optional: apply must throw an error matching this
//   validate_error: "regex"            # optional: validate must refuse the args (nothing else runs)
//   diff_error: "regex"                # optional: diff must fail the task with this (a read-only module's failure)
//
// The probe script itself is checked to be non-empty POSIX text; its real behaviour is covered by
// the e2e tests against lab hosts.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, it, expect } from "vitest";
import type { HostModule, Host, ExecOptions, ExecResult, WriteFileOptions, Change } from "../../../engine/core/module.js";
import { CommandError, ConnectionError, InputError } from "../../../engine/core/errors.js";
import { EMPTY_FACTS, type Facts } from "../../../engine/core/facts.js";
import { thrown } from "../../thrown.js";

export const BASE_FACTS: Facts = {
  ...EMPTY_FACTS,
  os_id: "debian",
  os_version: "12",
  os_family: "debian",
  os_pretty: "Debian GNU/Linux 12 (bookworm)",
  kernel: "6.1.0-18-amd64",
  arch: "x86_64",
  hostname: "web01",
  pkg_mgr: "apt",
  init: "sysv",
  cpus: 2,
  memory_mb: 2048,
  ipv4: "198.18.0.10",
  user: "root",
};

export type RecordedCall =
  { run: string; opts?: ExecOptions } | { write: string; content: string; opts?: WriteFileOptions } | { reconnect: number } | { probe_new_connection: number };

interface Reply {
  match: string;
  stdout?: string;
  stderr?: string;
  rc?: number;
}

/** A Host that records every call apply makes and answers from canned replies (default: rc 0). */
export class RecordingHost implements Host {
  readonly calls: RecordedCall[] = [];
  constructor(
    readonly facts: Facts = BASE_FACTS,
    private readonly replies: Reply[] = [],
    readonly name = "fixture-host",
  ) {}

  async run(cmd: string, opts?: ExecOptions): Promise<ExecResult> {
    this.calls.push(opts && Object.keys(opts).length ? { run: cmd, opts } : { run: cmd });
    const r = this.replies.find((x) => new RegExp(x.match).test(cmd));
    const res = { stdout: r?.stdout ?? "", stderr: r?.stderr ?? "", rc: r?.rc ?? 0 };
    if (res.rc !== 0 && opts?.check !== false) throw new CommandError(cmd, res.rc, res.stdout, res.stderr);
    return res;
  }

  async writeFile(path: string, content: string | Buffer, opts?: WriteFileOptions): Promise<{ backup?: string }> {
    this.calls.push({ write: path, content: content.toString(), ...(opts ? { opts } : {}) });
    return opts?.backup ? { backup: `${path}.keel-backup` } : {};
  }

  async reconnect(timeoutMs: number): Promise<void> {
    this.calls.push({ reconnect: timeoutMs });
  }

  async probeNewConnection(timeoutMs: number): Promise<void> {
    this.calls.push({ probe_new_connection: timeoutMs });
    const r = this.replies.find((x) => x.match === "probe_new_connection");
    if (r && (r.rc ?? 0) !== 0) throw new ConnectionError(r.stderr ?? "connection timed out", "timeout", this.name);
  }
}

interface FixtureCase {
  description?: string;
  args: Record<string, unknown>;
  facts?: Partial<Facts>;
  probe: { stdout: string; rc?: number };
  state?: unknown;
  changes: Partial<Change>[];
  explain?: string;
  result?: Record<string, unknown>;
  apply?: (
    { run: string } | { run_match: string } | { write_match: string } | { probe_new_connection: true } | { write: string; content?: string; mode?: string }
  )[];
  replies?: Reply[];
  apply_error?: string;
  validate_error?: string;
  diff_error?: string;
}

/** Runs every fixture case in `dir` against `mod`. Every module must have an "already converged" case. */
export function runModuleFixtures(mod: HostModule, dir: string): void {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".yml"))
    .sort();
  describe(`module ${mod.name} fixtures`, () => {
    it("has an already-converged case (changes: [])", () => {
      const cases = files.map((f) => parse(readFileSync(join(dir, f), "utf8")) as FixtureCase);
      expect(cases.some((c) => Array.isArray(c.changes) && c.changes.length === 0)).toBe(true);
    });
    for (const f of files) {
      it(f.replace(/\.yml$/, ""), async () => {
        const c = parse(readFileSync(join(dir, f), "utf8")) as FixtureCase;
        const facts: Facts = { ...BASE_FACTS, ...(c.facts ?? {}) } as Facts;
        if (c.validate_error !== undefined) {
          expect(() => mod.validate?.(c.args as never)).toThrow(new RegExp(c.validate_error));
          return;
        }
        // Fixture args are the prepared ones; validate sees the task's args, before prepare.
        if (!mod.prepare) mod.validate?.(c.args as never);
        const probe = mod.probe(c.args as never, facts);
        expect(probe.script.trim().length).toBeGreaterThan(0);
        const state = probe.parse(c.probe.stdout ?? "", c.probe.rc ?? 0);
        if (c.state !== undefined) expect(state).toEqual(c.state);
        if (c.result !== undefined) expect(mod.result?.(state, c.args as never, facts)).toMatchObject(c.result);
        if (c.diff_error !== undefined) {
          expect(() => mod.diff(state, c.args as never, facts)).toThrow(new RegExp(c.diff_error));
          // A mistake in the arguments is validate's (at load, before any host is touched); what diff
          // refuses is what it found on the host, so it is never an InputError.
          expect(thrown(() => mod.diff(state, c.args as never, facts))).not.toBeInstanceOf(InputError);
          return;
        }
        const changes = mod.diff(state, c.args as never, facts);
        expect(changes.length, `changes: ${JSON.stringify(changes.map((x) => x.summary))}`).toBe(c.changes.length);
        c.changes.forEach((want, i) => expect(changes[i]).toMatchObject(want));
        if (changes.length === 0) {
          if (c.explain !== undefined) expect(mod.explain?.(state, c.args as never) ?? "").toContain(c.explain);
          return;
        }
        const host = new RecordingHost(facts, c.replies ?? []);
        if (c.apply_error !== undefined) {
          await expect(mod.apply(host, c.args as never, changes, state)).rejects.toThrow(new RegExp(c.apply_error));
          await expect(mod.apply(new RecordingHost(facts, c.replies ?? []), c.args as never, changes, state)).rejects.not.toBeInstanceOf(InputError);
          return;
        }
        await mod.apply(host, c.args as never, changes, state);
        if (c.apply !== undefined) {
          expect(host.calls.length, `calls: ${JSON.stringify(host.calls)}`).toBe(c.apply.length);
          c.apply.forEach((want, i) => {
            const got = host.calls[i]!;
            if ("run" in want) expect(got).toMatchObject({ run: want.run });
            else if ("run_match" in want) expect("run" in got && new RegExp(want.run_match).test(got.run), JSON.stringify(got)).toBe(true);
            else if ("write_match" in want) expect("write" in got && new RegExp(want.write_match).test(got.write), JSON.stringify(got)).toBe(true);
            else if ("probe_new_connection" in want) expect("probe_new_connection" in got, JSON.stringify(got)).toBe(true);
            else {
              expect(got).toMatchObject({ write: want.write });
              if (want.content !== undefined) expect((got as { content: string }).content).toBe(want.content);
              if (want.mode !== undefined) expect((got as { opts?: WriteFileOptions }).opts?.mode).toBe(want.mode);
            }
          });
        }
      });
    }
  });
}
