// The lockout guard's second layer: apply a firewall change under a dead-man switch.
//   1. check the change (`nft -c -f` for nft); the tool's message and nothing applied when refused;
//   2. save what is there now as $d/restore.sh and check that it would load;
//   3. start a detached restore timer on the host (setsid'd sh + sleep: works without systemd);
//   4. apply in one step (for nft: ONE `nft -f` transaction);
//   5. prove a NEW SSH connection works; only then cancel the timer.
// If the proof fails keel restores at once through its existing connection; when that connection is
// gone too, the host restores itself when the timer fires and keel reconnects to report it.
import { randomBytes } from "node:crypto";
import type { Host } from "../../engine/core/module.js";
import { CommandError, KeelError, ModuleError } from "../../engine/core/errors.js";
import { shq } from "../../engine/core/shell.js";

export interface GuardedLoad {
  /** The nft script to load (one transaction). */
  script: string;
  /** What the apply touches, for messages: "table inet keel". */
  label: string;
  /** Save only this table (its restore replaces just it), or the whole ruleset. */
  scope: { family: string; name: string } | "ruleset";
  timeoutS: number;
}

/** A change of any firewall backend under the dead-man switch (nft, ufw, firewalld). */
export interface GuardedChange {
  /** Files written into the work directory $d first (name → content). */
  files: Record<string, string>;
  /** Shell (with $d set) that validates the change; exit ≠ 0: refused, its output shown, nothing applied. */
  check?: string;
  /** Shell that writes $d/restore.sh (the way back) and validates it; exit ≠ 0: cannot arm. */
  save: string;
  /** Shell that applies the change, in one step. */
  apply: string;
  /** The tool named in messages ("nft", "ufw", "firewall-cmd"). */
  tool: string;
  /** What changes, for messages: "table inet keel", "ufw rules". */
  label: string;
  /** What restore.sh brings back: "table inet keel", "ruleset", "ufw configuration". */
  restores: string;
  timeoutS: number;
}

export interface GuardedLoadResult {
  /** Milliseconds: the apply, and the proof of a new connection. */
  loadMs: number;
  proofMs: number;
}

const RUN_DIR = "/run/keel-firewall";

/** Shell that writes the restore script for `scope` to $d/restore.nft and checks it with nft -c. */
export function saveScript(scope: GuardedLoad["scope"]): string {
  if (scope === "ruleset") return `{ echo 'flush ruleset'; nft list ruleset; } > "$d/restore.nft" || exit 11`;
  const t = `${scope.family} ${scope.name}`;
  // A table that does not exist yet is restored by deleting it again.
  return [
    `printf '%s\\n' ${shq(`table ${t}`)} ${shq(`delete table ${t}`)} > "$d/restore.nft"`,
    `nft list table ${t} >> "$d/restore.nft" 2>/dev/null || true`,
  ].join("\n");
}

/** Shell that starts the restore timer and prints its process group id. */
export function timerScript(timeoutS: number): string {
  const body = `echo $$ > "$1/timer.pid"; sleep "$2"; if sh "$1/restore.sh" >"$1/restore.err" 2>&1; then date +%s > "$1/restored"; fi`;
  return [
    `if command -v setsid >/dev/null 2>&1; then setsid sh -c ${shq(body)} keel-deadman "$d" ${timeoutS} </dev/null >/dev/null 2>&1 &`,
    `else nohup sh -c ${shq(body)} keel-deadman "$d" ${timeoutS} </dev/null >/dev/null 2>&1 & fi`,
    `i=0; while [ ! -s "$d/timer.pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done`,
    `[ -s "$d/timer.pid" ] || { echo 'the restore timer did not start' >&2; exit 12; }`,
    `cat "$d/timer.pid"`,
  ].join("\n");
}

/**
 * Shell that stops the timer; prints "cancelled", or "fired" when it had already restored. With
 * keep, the directory stays: a command that reaches the host late (after a cut connection came
 * back) must not remove the marker keel reads after reconnecting.
 */
export function cancelScript(keep = false): string {
  return [
    `p=$(cat "$d/timer.pid" 2>/dev/null)`,
    `[ -n "$p" ] && kill -TERM -- "-$p" 2>/dev/null; [ -n "$p" ] && kill -TERM "$p" 2>/dev/null`,
    `if [ -e "$d/restored" ]; then echo fired; else echo cancelled; fi`,
    ...(keep ? [] : [`rm -rf "$d"`]),
  ].join("\n");
}

function toolMessage(e: unknown): string {
  if (e instanceof CommandError) return (e.stderr.trim() || e.stdout.trim() || e.message).split("\n").slice(0, 12).join("\n");
  return (e as Error).message;
}

/** Loads an nft script under the dead-man switch (the table, or the whole ruleset, is saved and restored). */
export function guardedLoad(host: Host, g: GuardedLoad): Promise<GuardedLoadResult> {
  return guardedChange(host, {
    files: { "new.nft": g.script },
    check: `nft -c -f "$d/new.nft"`,
    save: `${saveScript(g.scope)}\nnft -c -f "$d/restore.nft" || exit 13\nprintf 'nft -f "%s/restore.nft"\\n' "$d" > "$d/restore.sh"`,
    apply: `nft -f "$d/new.nft"`,
    tool: "nft",
    label: `new ${g.label}`,
    restores: g.scope === "ruleset" ? "ruleset" : g.label,
    timeoutS: g.timeoutS,
  });
}

/** Applies `g` under the dead-man switch; throws ModuleError saying what happened otherwise. */
export async function guardedChange(host: Host, g: GuardedChange): Promise<GuardedLoadResult> {
  if (!host.probeNewConnection)
    throw new ModuleError(
      `cannot prove access after changing the firewall of ${host.name} (this connection type cannot open a second one); nothing was changed`,
    );
  const d = `${RUN_DIR}/${Date.now()}-${randomBytes(4).toString("hex")}`;
  const pre = `d=${shq(d)}; `;
  await host.run(`umask 077; mkdir -p ${shq(d)}`);
  for (const [name, content] of Object.entries(g.files)) await host.writeFile(`${d}/${name}`, content, { mode: "0600" });
  if (g.check) {
    const check = await host.run(`${pre}${g.check}`, { check: false });
    if (check.rc !== 0) {
      await host.run(`rm -rf ${shq(d)}`, { check: false });
      throw new ModuleError(
        `${g.tool} refused the ${g.label}; nothing was applied:\n${(check.stderr.trim() || check.stdout.trim()).split("\n").slice(0, 12).join("\n")}`,
      );
    }
  }
  const save = await host.run(`${pre}${g.save}`, { check: false });
  if (save.rc !== 0) {
    await host.run(`rm -rf ${shq(d)}`, { check: false });
    throw new ModuleError(
      `cannot arm the dead-man switch: the current ${g.restores} cannot be saved and reloaded (${save.stderr.trim().split("\n")[0] || `exit ${save.rc}`}); nothing was changed`,
    );
  }
  await host.run(`${pre}${timerScript(g.timeoutS)}`);
  const armed = Date.now();
  const t0 = Date.now();
  try {
    await host.run(`${pre}${g.apply}`, { timeoutMs: 20_000 });
  } catch (e) {
    if (e instanceof CommandError) {
      // nft -f is one transaction; other tools may have half-applied: restore before reporting.
      await host.run(`${pre}sh "$d/restore.sh" >/dev/null 2>&1; ${cancelScript()}`, { check: false });
      throw new ModuleError(`${g.tool} refused to apply the ${g.label}; the previous ${g.restores} is in place:\n${toolMessage(e)}`);
    }
    return await recover(host, g, d, armed, `the connection broke while applying the ${g.label} (${(e as Error).message})`);
  }
  const loadMs = Date.now() - t0;
  const t1 = Date.now();
  try {
    await host.probeNewConnection(Math.min(10_000, Math.round((g.timeoutS * 1000) / 3)));
  } catch (e) {
    return await recover(host, g, d, armed, `after applying the ${g.label}, a NEW SSH connection failed (${(e as Error).message})`);
  }
  const proofMs = Date.now() - t1;
  const c = await host.run(`${pre}${cancelScript()}`);
  if (c.stdout.trim() === "fired") {
    throw new ModuleError(
      `the dead-man switch fired before keel could confirm the ${g.label} (it took longer than rollback_timeout: ${g.timeoutS} s); the host restored its previous ${g.restores}`,
    );
  }
  return { loadMs, proofMs };
}

/** Brings the old ruleset back (now, through the old connection, or by waiting for the timer) and throws the story. */
async function recover(host: Host, g: GuardedChange, d: string, armed: number, what: string): Promise<never> {
  const pre = `d=${shq(d)}; `;
  const old = g.restores;
  try {
    const r = await host.run(`${pre}sh "$d/restore.sh" && ${cancelScript(true)}`, { timeoutMs: 5_000 });
    await host.run(`rm -rf ${shq(d)}`, { check: false });
    const secs = Math.round((Date.now() - armed) / 100) / 10;
    throw new ModuleError(
      r.stdout.trim() === "fired"
        ? `${what}; the host's dead-man switch restored the previous ${old} after ${g.timeoutS} s, and keel's existing connection came back (${secs} s after arming)`
        : `${what}; keel restored the previous ${old} at once through its existing connection (${secs} s after arming the dead-man switch) and stopped the timer`,
    );
  } catch (e) {
    if (e instanceof ModuleError) throw e;
  }
  // The existing connection is gone too: the timer on the host restores; wait for it and come back.
  const left = g.timeoutS * 1000 - (Date.now() - armed);
  try {
    await host.reconnect(Math.max(0, left) + 30_000);
  } catch (e) {
    throw new ModuleError(
      `${what}; keel lost its connection, and the host did not become reachable again ${g.timeoutS + 30} s after the dead-man switch was armed (${e instanceof KeelError ? e.message : String(e)})`,
    );
  }
  const back = Math.round((Date.now() - armed) / 100) / 10;
  const r = await host.run(`${pre}cat "$d/restored" 2>/dev/null; cat "$d/restore.err" 2>/dev/null; rm -rf "$d"`, { check: false }).catch(() => undefined);
  const fired = !!r && /^\d+/.test(r.stdout.trim());
  throw new ModuleError(
    fired
      ? `${what}; keel lost its connection; the host's dead-man switch restored the previous ${g.restores} after ${g.timeoutS} s and keel reconnected ${back} s after arming it`
      : `${what}; keel lost its connection and reconnected ${back} s later, but the dead-man switch did not report a restore${r?.stdout.trim() ? `: ${r.stdout.trim()}` : ""}; check the host's ruleset`,
  );
}
