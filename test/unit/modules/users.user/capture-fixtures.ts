// Regenerates the fixture cases of users.*, system.command and system.shell from REAL probe output.
// Run as root on a Debian machine (it creates and deletes throwaway accounts named keeltest-*):
//
//   npx vite-node test/unit/modules/users.user/capture-fixtures.ts
//
// For each case: run the case's setup, run the module's real probe script with `sh` (or as the user
// `nobody`, to capture what a probe without become sees), and write the YAML case with the captured
// stdout/rc. Everything a case expects (changes, explain, apply calls) is written by hand below; the
// probe output is the only captured part. Existing accounts are never touched: setup refuses to run
// when a keeltest-* account already exists, and cleanup deletes only keeltest-* names.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { EMPTY_FACTS as BASE_FACTS } from "../../../../engine/core/facts.js";
import userMod from "../../../../modules/users/user.js";
import sudoersMod from "../../../../modules/users/sudoers.js";
import { HASH1, SUD, type Case } from "./capture-case.js";
import { ACCOUNT_CASES } from "./capture-cases-accounts.js";
import { ACCESS_CASES } from "./capture-cases-access.js";

export { HASH1, HASH2, KEY_A, KEY_B, KEY_C } from "./capture-case.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

const CASES: Case[] = [...ACCOUNT_CASES, ...ACCESS_CASES];

const GLOBAL_SETUP = `
set -e
for n in keeltest-u1 keeltest-u9; do if getent passwd $n >/dev/null; then echo "$n exists; clean up first" >&2; exit 1; fi; done
groupadd -g 2960 keeltest-ops
groupadd -g 2961 keeltest-dev
groupadd -g 2970 keeltest-u1
useradd -u 2970 -g keeltest-u1 -G keeltest-ops -s /bin/sh -m -c 'Keel Test' -e 2030-01-01 keeltest-u1
printf '%s\\n' 'keeltest-u1:${HASH1}' | chpasswd -e
groupadd -g 2951 keeltest-g1
`;

const GLOBAL_CLEANUP = `
for u in keeltest-u1 keeltest-u9; do getent passwd $u >/dev/null && userdel -r $u 2>/dev/null; done
for g in keeltest-u1 keeltest-u9 keeltest-g1 keeltest-g9 keeltest-ops keeltest-dev; do getent group $g >/dev/null && groupdel $g; done
rm -f ${SUD} /tmp/keeltest-created
true
`;

function sh(script: string): void {
  execFileSync("sh", ["-c", script], { stdio: ["ignore", "inherit", "inherit"] });
}

function probe(script: string, asNobody: boolean): { stdout: string; rc: number } {
  const r = asNobody
    ? spawnSync("runuser", ["-u", "nobody", "--", "sh", "-c", script], { encoding: "utf8", cwd: "/" })
    : spawnSync("sh", ["-c", script], { encoding: "utf8", cwd: "/" });
  return { stdout: r.stdout, rc: r.status ?? -1 };
}

function main(): void {
  if (process.getuid?.() !== 0) throw new Error("run as root: the capture creates throwaway keeltest-* accounts");
  sh(GLOBAL_CLEANUP);
  sh(GLOBAL_SETUP);
  const visudo = spawnSync("visudo", ["-cf", "-"], { input: "keeltest-u1 ALL=NOPASSWD: systemctl restart nginx\n", encoding: "utf8" });
  try {
    for (const c of CASES) {
      const snapshot = c.mod === userMod ? "cp -p /etc/shadow /tmp/keeltest-shadow" : ":";
      sh(snapshot);
      if (c.setup) sh(c.setup);
      const p = probe(c.mod.probe(c.args as never, BASE_FACTS).script, c.asNobody ?? false);
      if (c.mod === userMod) sh("cp -p /tmp/keeltest-shadow /etc/shadow && rm -f /tmp/keeltest-shadow");
      if (c.mod === sudoersMod) sh(`rm -f ${SUD}`);
      let body = stringify({ description: c.description, args: c.args, probe: p.rc === 0 ? { stdout: p.stdout } : p, ...c.expect }, { lineWidth: 0 });
      body = body.replace('"@@VISUDO_STDOUT@@"', JSON.stringify(visudo.stdout)).replace('"@@VISUDO_STDERR@@"', JSON.stringify(visudo.stderr));
      const dir = join(ROOT, c.mod.name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, `${c.file}.yml`),
        `# Probe output captured on Debian 12 by capture-fixtures.ts (real ${c.mod.name} probe${c.asNobody ? ", run as nobody" : ""}).\n${body}`,
      );
      console.log(`${c.mod.name}/${c.file}.yml`);
    }
  } finally {
    sh(GLOBAL_CLEANUP);
  }
}

main();
