// What e2e tests import: whether the lab is up, its hosts and inventories, and `keel(...)`, which
// runs the built CLI. Use `describeLab` for suites that need lab hosts: it skips them (the global
// setup has already said why, once) when this machine cannot run the lab.
//
//   import { describeLab, keel, lab, INVENTORY } from "./lab.js";
//   describeLab("users.user", () => {
//     it("converges", async () => {
//       const r = await keel(["run", "playbook.yml", "-i", INVENTORY, "--limit", lab().hosts[0].name]);
//       expect(r.code).toBe(0);
//     });
//   });
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, inject, it } from "vitest";
import { startScratchHosts, stopScratchHosts, type LabHost, type LabState, type ScratchHost } from "../lab/index.js";
import { repoRoot } from "../lab/util.js";
export { spawnAsync } from "../spawn.js";

export * from "../lab/index.js";

export type LabContext = { available: true; state: LabState } | { available: false; reason: string };

declare module "vitest" {
  export interface ProvidedContext {
    keelLab: LabContext;
  }
}

const ctx: LabContext = inject("keelLab") ?? { available: false, reason: "the e2e global setup did not run" };

export const ROOT = repoRoot();
export const KEEL_BIN = join(ROOT, "bin/keel.js");

export function labAvailable(): boolean {
  return ctx.available;
}

/** Why the lab is not available (undefined when it is). */
export function labSkipReason(): string | undefined {
  return ctx.available ? undefined : ctx.reason;
}

/** `describe` when the lab is up, `describe.skip` otherwise. */
export const describeLab = (ctx.available ? describe : describe.skip) as typeof describe;
/** `it` when the lab is up, `it.skip` otherwise. */
export const itLab = (ctx.available ? it : it.skip) as typeof it;

/**
 * `n` scratch hosts for the tests of the enclosing describe (call it inside a `describeLab`): started
 * together under one lab lock before the first test, stopped after the last. Returns a getter that
 * throws when the hosts are not up (their start failed). The hooks live here rather than in
 * test/lab/, which the lab CLI imports without vitest.
 */
export function useScratchHosts(n: number): () => ScratchHost[] {
  let hosts: ScratchHost[] = [];
  beforeAll(async () => {
    hosts = await startScratchHosts(n);
  }, 120_000);
  afterAll(async () => {
    const up = hosts;
    hosts = [];
    if (up.length) await stopScratchHosts(up);
  });
  return () => {
    if (hosts.length !== n) throw new Error(`the ${n} scratch host(s) of this suite are not up (see the beforeAll error)`);
    return hosts;
  };
}

/** One scratch host for the enclosing describe (useScratchHosts(1)). */
export function useScratchHost(): () => ScratchHost {
  const hosts = useScratchHosts(1);
  return () => hosts()[0]!;
}

/** The lab as the global setup brought it up; throws when it is not available. */
export function lab(): LabState {
  if (!ctx.available) throw new Error(`the lab is not available: ${ctx.reason}`);
  return ctx.state;
}

/** Paths of the lab's inventories, key and known_hosts ("" when the lab is not available). */
export const INVENTORY = ctx.available ? ctx.state.inventoryYaml : "";
export const INVENTORY_INI = ctx.available ? ctx.state.inventoryIni : "";
export const PRIVATE_KEY = ctx.available ? ctx.state.privateKey : "";
export const KNOWN_HOSTS = ctx.available ? ctx.state.knownHosts : "";

/**
 * The environment of an `ansible`/`ansible-playbook` run compared with keel: nothing inherited
 * from the caller's ANSIBLE_* (CI must compare with the same settings as this machine), HOME in
 * the test's own folder, the lab's host keys checked strictly, python3 on the host, no colour.
 */
export function ansibleEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    ANSIBLE_SSH_ARGS: `-o UserKnownHostsFile=${KNOWN_HOSTS} -o StrictHostKeyChecking=yes`,
    ANSIBLE_PYTHON_INTERPRETER: "/usr/bin/python3",
    ANSIBLE_NOCOLOR: "1",
    ...extra,
  };
}
/** The lab's hosts (empty when the lab is not available). */
export const HOSTS: LabHost[] = ctx.available ? ctx.state.hosts : [];

export interface ProcResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time in milliseconds. */
  ms: number;
}

export interface KeelOptions {
  cwd?: string;
  env?: Record<string, string>;
  input?: string;
  timeoutMs?: number;
}

function spawnCollect(cmd: string, args: string[], opts: KeelOptions): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: "1", ...opts.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 170_000);
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", (e) => (clearTimeout(timer), reject(e)));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal === "SIGKILL" ? 137 : 1), stdout, stderr, ms: Date.now() - t0 });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
  });
}

/** Run the built keel CLI (`node bin/keel.js ARGS`) from the repo root, NO_COLOR set. */
export function keel(args: string[], opts: KeelOptions = {}): Promise<ProcResult> {
  return spawnCollect(process.execPath, [KEEL_BIN, ...args], opts);
}

/**
 * Run a command on a lab host with the system ssh client, the lab key and the lab known_hosts
 * (BatchMode, strict host key checking): an independent check of what keel did. A scratch host
 * is checked against its own known_hosts.
 */
export function ssh(
  host: LabHost | ScratchHost | string,
  command: string,
  opts: KeelOptions & { user?: string; port?: number; address?: string; knownHosts?: string; connectTimeout?: number } = {},
): Promise<ProcResult> {
  const st = lab();
  const h = typeof host === "string" ? st.hosts.find((x) => x.name === host || x.address === host) : host;
  if (!h) throw new Error(`no lab host ${String(host)}`);
  const args = [
    "-i",
    st.privateKey,
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    `UserKnownHostsFile=${opts.knownHosts ?? (h as Partial<ScratchHost>).knownHosts ?? st.knownHosts}`,
    "-o",
    `ConnectTimeout=${opts.connectTimeout ?? 10}`,
    "-o",
    "LogLevel=ERROR",
    "-p",
    String(opts.port ?? 22),
    `${opts.user ?? "root"}@${opts.address ?? h.address}`,
    command,
  ];
  return spawnCollect("ssh", args, opts);
}
