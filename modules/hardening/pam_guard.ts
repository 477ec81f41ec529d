// The guard around every PAM change (hardening.pam_profile, hardening.pamd): DESIGN.md's pattern
// for changes that can cut access. Before acting, it saves the files the change may touch under
// /var/backups/keel-pam.ID with a restore script, and arms a dead-man timer on the host that runs
// the script unless disarmed. After acting it checks that every PAM module the edited files name
// is installed, proves that a NEW SSH login works and that become (sudo, itself a PAM client)
// still works; only then is the timer disarmed. Any failure restores the files at once and fails
// the task with what happened.
import { randomBytes } from "node:crypto";
import type { Host } from "../../engine/core/module.js";
import { ModuleError } from "../../engine/core/errors.js";
import { shq } from "../../engine/core/shell.js";
import { proveNewLogin } from "./proof.js";

export interface GuardedFile {
  /** The file on the host. */
  path: string;
  /** Whether it exists now; a file that does not is removed by the restore. */
  exists: boolean;
  /** Its current text (saved byte for byte). */
  text: string;
  /** The name of its copy in the backup directory. */
  saveAs: string;
}

export interface GuardOptions {
  /** Seconds after which the host restores the files unless keel proved a login first. */
  deadmanSeconds: number;
  /** Shell words (globs allowed) of the files whose PAM modules must all be installed afterwards. */
  stackFiles: string;
}

/**
 * Save `files`, arm the dead-man timer, run `act` (it returns a reason when what it did is wrong),
 * check the modules, prove a new login and become, disarm. Returns the proof's words.
 */
export async function guardedPamChange(host: Host, files: GuardedFile[], o: GuardOptions, act: () => Promise<string | undefined>): Promise<string> {
  if (!host.probeNewConnection) throw new ModuleError("this connection cannot prove a new login after the change; refusing to change PAM");
  const id = randomBytes(4).toString("hex");
  const dir = `/var/backups/keel-pam.${id}`;
  const ok = `/run/keel-pam-ok.${id}`;
  const restoreLines = ["#!/bin/sh", "# Written by keel: puts the PAM files back as they were."];
  await host.run(`mkdir -p -m 0700 ${shq(dir)}`);
  for (const f of files) {
    if (f.exists) {
      await host.writeFile(`${dir}/${f.saveAs}`, f.text, { mode: "0644" });
      restoreLines.push(`cp ${shq(`${dir}/${f.saveAs}`)} ${shq(f.path)}`);
    } else restoreLines.push(`rm -f ${shq(f.path)}`);
  }
  await host.writeFile(`${dir}/restore.sh`, `${restoreLines.join("\n")}\n`, { mode: "0700" });
  await host.run(
    `nohup sh -c ${shq(`sleep ${o.deadmanSeconds}; [ -e ${ok} ] || sh ${dir}/restore.sh`)} >/dev/null 2>&1 </dev/null & echo $! > ${shq(`${dir}/deadman.pid`)}`,
  );
  const fail = async (why: string): Promise<never> => {
    await host.run(`sh ${shq(`${dir}/restore.sh`)}`);
    await disarm(host, dir, ok);
    throw new ModuleError(`${why}. Restored the previous PAM files (saved in ${dir})`);
  };
  let why: string | undefined;
  try {
    why = await act();
  } catch (e) {
    why = e instanceof Error ? e.message : String(e);
  }
  if (why) return fail(why);
  const missingSo = await host.run(
    `for m in $(grep -ho 'pam_[A-Za-z0-9_]*\\.so' ${o.stackFiles} | sort -u); do ls /lib/*/security/$m /usr/lib/*/security/$m /lib/security/$m 2>/dev/null | grep -q . || echo "$m"; done`,
    { check: false },
  );
  if (missingSo.stdout.trim()) return fail(`the PAM stack names modules that are not installed: ${missingSo.stdout.trim().split("\n").join(", ")}`);
  const proof = await proveNewLogin(host);
  if (!proof.ok) return fail(`a new SSH login failed after the PAM change: ${proof.detail}`);
  const sudo = await host.run("true", { check: false });
  if (sudo.rc !== 0) return fail(`become failed after the PAM change: ${sudo.stderr.trim()}`);
  await disarm(host, dir, ok);
  return proof.detail;
}

/** Stop the dead-man timer (its shell and sleep) and mark success. */
async function disarm(host: Host, dir: string, ok: string): Promise<void> {
  await host.run(
    `touch ${shq(ok)}; p=$(cat ${shq(`${dir}/deadman.pid`)} 2>/dev/null); [ -n "$p" ] && { pkill -P "$p" sleep 2>/dev/null; kill "$p" 2>/dev/null; }; true`,
    { check: false },
  );
}
