// hardening.sshd_config: sshd settings through a drop-in, judged by the EFFECTIVE configuration
// and never at the cost of keel's own login (DESIGN.md, "Changes that can cut access").
//
// The probe finds keel's own login (user, client address, groups: from the SSH_CONNECTION of the
// session's process, also under sudo) and reads `sshd -T -C user=…,host=…,addr=…` for it, so Match
// blocks and every drop-in count, not only the main file. diff compares each wanted keyword with
// that effective value; a change that would refuse keel's login is `blocked` (never applied)
// unless admin_path_verified says another way in exists. apply: ensure the main file Includes the
// drop-in's folder, write the drop-in, `sshd -t`, re-read `sshd -T` to prove the values took
// effect and the login survives, reload sshd (systemd, else SIGHUP to its pid), then prove a NEW
// SSH connection works. Any failure restores the previous files (and reloads again if it had
// reloaded) and fails the task, naming what happened.
import { defineModule, type Change, type Host } from "../../engine/core/module.js";
import { InputError, ModuleError } from "../../engine/core/errors.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { snip } from "../../engine/core/snippets.js";
import { shq } from "../../engine/core/shell.js";
import { EFFECTIVE, LOGIN_SCRIPT, proveNewLogin } from "../../engine/core/sshd-access.js";
import {
  SSHD_KEYWORDS,
  effectiveText,
  includes,
  loginRefusal,
  overlay,
  parseEffective,
  renderDropin,
  wantedText,
  withInclude,
  type Login,
  type SettingValue,
} from "./sshd-logic.js";

export interface SshdArgs {
  settings: Record<string, SettingValue>;
  dropin?: string;
  config?: string;
  admin_path_verified?: boolean;
}

export interface SshdState {
  /** Path of the sshd binary; absent when sshd is not installed. */
  sshd?: string;
  login: Login;
  /** `sshd -T` for keel's login: lowercase keyword → values. Absent when it failed. */
  effective?: Record<string, string[]>;
  effectiveError?: string;
  main: { exists: boolean; text: string };
  dropin: { exists: boolean; text: string };
  /** Every other file sshd reads from the drop-in folder: path → text. */
  others: Record<string, string>;
}

interface Plan {
  dropin: string;
  main?: string;
  /** keel's login would be refused: the reason (apply refuses to act). */
  blocked?: string;
  /** Other files whose global lines set a managed keyword: path → text with those lines commented out. */
  neutralize: Record<string, string>;
}

const DROPIN = "/etc/ssh/sshd_config.d/00-keel-hardening.conf";
const CONFIG = "/etc/ssh/sshd_config";

export default defineModule<SshdArgs, SshdState, Plan>({
  name: "hardening.sshd_config",
  description:
    "Ensure sshd settings are in effect, through a drop-in checked with `sshd -t`, judged by the effective `sshd -T` for keel's own login (Match blocks and drop-ins included). A setting that would refuse keel's login is blocked; after a reload a new SSH connection must work, else the previous configuration is restored.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["settings"],
    properties: {
      settings: {
        type: "object",
        minProperties: 1,
        description:
          'sshd keywords and their values: `{ PermitRootLogin: "no", MaxAuthTries: 4, Ciphers: [aes256-gcm@openssh.com, …] }`. Lists are comma-joined (space-joined for Allow/Deny users and groups); booleans are yes/no.',
        additionalProperties: {
          anyOf: [{ type: "string" }, { type: "number" }, { type: "boolean" }, { type: "array", items: { type: "string" }, minItems: 1 }],
        },
      },
      dropin: {
        type: "string",
        pattern: "^/.*\\.conf$",
        default: DROPIN,
        description: "The drop-in keel writes (mode 0600); the main file must Include it (keel adds the Include when missing).",
      },
      config: { type: "string", pattern: "^/", default: CONFIG, description: "The main sshd configuration file." },
      admin_path_verified: {
        type: "boolean",
        default: false,
        description:
          "Apply even a setting that refuses keel's own login, because another way in exists (console, another admin account). The new-connection proof then only requires sshd to answer.",
      },
    },
  },

  validate(a) {
    for (const k of ["dropin", "config"] as const) {
      if (/[\n\r\0]/.test(a[k] ?? ""))
        throw new InputError(`${k} must be one line (no newline or NUL): it is written into sshd_config's Include line and used as a path`);
    }
    for (const [k, v] of Object.entries(a.settings ?? {})) {
      if (!SSHD_KEYWORDS[k.toLowerCase()])
        throw new InputError(
          `hardening.sshd_config does not manage the sshd keyword '${k}'`,
          undefined,
          `managed keywords: ${Object.values(SSHD_KEYWORDS).join(", ")}`,
        );
      for (const s of Array.isArray(v) ? v : [v]) {
        if (/[\n\r\0]/.test(String(s))) throw new InputError(`the value of ${k} must be one line (no newline or NUL)`);
        if (Array.isArray(v) && /[\s,]/.test(String(s))) throw new InputError(`each entry of ${k} must be one word without spaces or commas, got '${s}'`);
      }
    }
  },

  resource: (a) => `sshd ${Object.keys(a.settings).join(", ")}`,

  probe(a) {
    const script = [
      "LC_ALL=C; export LC_ALL",
      LOGIN_SCRIPT,
      `if [ -n "$_keel_sshd" ]; then`,
      snip.cmd("effective", EFFECTIVE),
      "fi",
      snip.readFile("main", a.config ?? CONFIG),
      snip.readFile("dropin", a.dropin ?? DROPIN),
      snip.cmd(
        "others",
        `for f in ${shq(dirOf(a.dropin ?? DROPIN))}/*.conf; do [ -f "$f" ] && [ "$f" != ${shq(a.dropin ?? DROPIN)} ] && { printf '==> %s\\n' "$f"; cat "$f"; printf '\\n'; }; done; true`,
      ),
    ].join("\n");
    return { script, parse: (out) => parseSshd(out) };
  },

  diff(st, a): Change<Plan>[] {
    const dropinPath = a.dropin ?? DROPIN;
    if (!st.sshd)
      throw new ModuleError("sshd is not installed on this host (no sshd binary): nothing to harden; deselect the ssh controls or install openssh-server");
    if (!st.effective)
      throw new ModuleError(
        `sshd -T failed for keel's login (${st.login.user}@${st.login.addr}): ${st.effectiveError || "no output"}; fix the current sshd configuration first`,
      );
    const eff = st.effective;
    const changes: Change<Plan>[] = [];
    for (const [k, v] of Object.entries(a.settings)) {
      const have = effectiveText(eff, k);
      const want = wantedText(k, v);
      if (have === want) continue;
      changes.push({
        summary: `${SSHD_KEYWORDS[k.toLowerCase()]} ${have || "(unset)"} → ${want} (effective for ${st.login.user}@${st.login.addr})`,
        field: k,
        before: have,
        after: want,
        // Where it was read: the effective configuration for keel's login, not a file's text.
        source: effectiveCommand(st.login),
      });
    }
    if (!changes.length) return [];
    const dropinText = renderDropin(st.dropin.exists ? st.dropin.text : undefined, a.settings);
    const needInclude = !includes(st.main.text, dropinPath);
    // Other global lines for the same keywords would win (first value) or override (MaxStartups, last
    // value): they are commented out, so the drop-in's value is the only one, whatever the keyword.
    const keys = Object.keys(a.settings).filter((k) => effectiveText(eff, k) !== wantedText(k, a.settings[k]!));
    const neutralize: Record<string, string> = {};
    const mainAfter = needInclude ? withInclude(st.main.text, dropinPath) : st.main.text;
    for (const [file, text] of [[a.config ?? CONFIG, mainAfter] as const, ...Object.entries(st.others)]) {
      const out = commentOut(text, keys);
      if (out.changed.length) {
        neutralize[file] = out.text;
        changes.push({
          summary: `${file}: comment out ${out.changed.join("; ")} (sets the same keyword)`,
          field: "conflict",
          diff: { path: file, before: text, after: out.text },
        });
      }
    }
    const cfg = a.config ?? CONFIG;
    const mainText = neutralize[cfg] ?? (needInclude ? mainAfter : undefined);
    delete neutralize[cfg];
    const plan: Plan = { dropin: dropinText, neutralize, ...(mainText !== undefined ? { main: mainText } : {}) };
    const now = loginRefusal(eff, st.login);
    const after = loginRefusal(overlay(eff, a.settings), st.login);
    if (after && !now) plan.blocked = after;
    changes[0]!.diff = { path: dropinPath, before: st.dropin.text, after: dropinText };
    if (needInclude) changes.push({ summary: `${a.config ?? CONFIG} does not Include ${dropinPath}; keel adds the Include`, field: "include" });
    if (plan.blocked) {
      changes.push({
        summary: a.admin_path_verified
          ? `keel's own login will be refused (${plan.blocked}); applied anyway: admin_path_verified`
          : `blocked: ${plan.blocked}; nothing will be changed`,
        field: "blocked",
        before: `${st.login.user}@${st.login.addr} can log in`,
        after: plan.blocked,
      });
    }
    for (const c of changes) c.data = plan;
    return changes;
  },

  explain(st, a) {
    return `${Object.keys(a.settings)
      .map((k) => `${SSHD_KEYWORDS[k.toLowerCase()]} ${effectiveText(st.effective ?? {}, k)}`)
      .join(", ")} (${effectiveCommand(st.login)})`;
  },

  async apply(host, a, changes, st) {
    const plan = changes[0]!.data!;
    const dropinPath = a.dropin ?? DROPIN;
    const config = a.config ?? CONFIG;
    if (plan.blocked && !a.admin_path_verified) {
      throw new ModuleError(
        `blocked: ${plan.blocked}. Nothing was changed. Connect as another user, or set admin_path_verified (hardening_ssh_admin_path_verified) when another way in exists`,
      );
    }
    if (!host.probeNewConnection) throw new ModuleError("this connection cannot prove a new login after the change; refusing to change sshd");
    const restore = async () => {
      for (const f of Object.keys(plan.neutralize)) await host.writeFile(f, st.others[f]!, { mode: "0600" });
      if (plan.main !== undefined) await host.writeFile(config, st.main.text, { mode: "0600" });
      if (st.dropin.exists) await host.writeFile(dropinPath, st.dropin.text, { mode: "0600" });
      else await host.run(`rm -f ${shq(dropinPath)}`);
    };
    if (plan.main !== undefined) await host.writeFile(config, plan.main, { mode: "0600" });
    for (const [f, text] of Object.entries(plan.neutralize)) await host.writeFile(f, text, { mode: "0600" });
    await host.run(`mkdir -p ${shq(dropinPath.slice(0, dropinPath.lastIndexOf("/")))}`);
    await host.writeFile(dropinPath, plan.dropin, { mode: "0600", owner: "root", group: "root" });
    const test = await host.run(`${shq(st.sshd!)} -t`, { check: false });
    if (test.rc !== 0) {
      await restore();
      throw new ModuleError(
        `sshd -t rejected the new configuration: ${test.stderr.trim() || `exit ${test.rc}`}. Restored the previous files; sshd was not reloaded`,
      );
    }
    const eff = await effectiveNow(host, st);
    const stuck = Object.entries(a.settings).filter(([k, v]) => effectiveText(eff, k) !== wantedText(k, v));
    if (stuck.length) {
      await restore();
      const list = stuck.map(([k, v]) => `${SSHD_KEYWORDS[k.toLowerCase()]} is ${effectiveText(eff, k) || "(unset)"}, not ${wantedText(k, v)}`).join("; ");
      throw new ModuleError(
        `after writing ${dropinPath}: ${list}. An earlier file or a Match block sets it first (sshd keeps the first value it reads); restored the previous files, sshd was not reloaded`,
      );
    }
    const refusal = loginRefusal(eff, st.login);
    if (refusal && !a.admin_path_verified) {
      await restore();
      throw new ModuleError(
        `blocked: ${refusal} (in the effective configuration after writing ${dropinPath}). Restored the previous files; sshd was not reloaded`,
      );
    }
    await reload(host);
    const proof = await proveNewLogin(host);
    if (proof.ok || (refusal && a.admin_path_verified && proof.failure === "auth"))
      return { msg: proof.ok ? proof.detail : `sshd answers and refuses keel's login as expected (admin_path_verified): ${proof.detail}` };
    await restore();
    await reload(host);
    const again = await proveNewLogin(host);
    throw new ModuleError(
      `a new SSH connection failed after reloading sshd (${proof.detail}). Restored the previous configuration and reloaded sshd; ${again.ok ? "a new connection works again" : `a new connection still fails: ${again.detail}`}`,
    );
  },
});

async function effectiveNow(host: Host, st: SshdState): Promise<Record<string, string[]>> {
  const l = st.login;
  const spec = `user=${l.user},host=${l.addr},addr=${l.addr}`;
  const r = await host.run(`${shq(st.sshd!)} -T -C ${shq(spec)}`, { check: false });
  if (r.rc !== 0) throw new ModuleError(`sshd -T failed after writing the drop-in: ${r.stderr.trim()}`);
  return parseEffective(r.stdout);
}

/** Reload sshd: systemd's unit, else SIGHUP to the pid in its pid file, else the init script. */
async function reload(host: Host): Promise<void> {
  if (host.facts.init === "systemd") await host.run("systemctl reload ssh.service 2>/dev/null || systemctl reload sshd.service");
  else
    await host.run(`if [ -s /run/sshd.pid ] && kill -0 "$(cat /run/sshd.pid)" 2>/dev/null; then kill -HUP "$(cat /run/sshd.pid)"; else service ssh reload; fi`);
}

export function parseSshd(out: string): SshdState {
  const recs = parseRecords(out);
  const login = findRec(recs, "login");
  const eff = findRec(recs, "cmd", "effective");
  const file = (id: string) => {
    const r = findRec(recs, "file", id);
    return { exists: r?.get("exists") === "1", text: r?.get("content") ?? "" };
  };
  const st: SshdState = {
    login: {
      ssh: login?.get("ssh") === "1",
      user: login?.get("user") ?? "",
      addr: login?.get("addr") ?? "",
      groups: (login?.get("groups") ?? "").split(/\s+/).filter(Boolean),
    },
    main: file("main"),
    dropin: file("dropin"),
    others: splitFiles(findRec(recs, "cmd", "others")?.get("out") ?? ""),
  };
  const sshd = login?.get("sshd");
  if (sshd) st.sshd = sshd;
  if (eff && eff.int("rc") === 0) st.effective = parseEffective(eff.get("out") ?? "");
  else if (eff) st.effectiveError = (eff.get("err") ?? "").trim();
  return st;
}

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}

/** "==> path" headed sections → path → text. */
export function splitFiles(out: string): Record<string, string> {
  const files: Record<string, string> = {};
  let cur: string | undefined;
  for (const line of out.split("\n")) {
    const m = /^==> (.+)$/.exec(line);
    if (m) files[(cur = m[1]!)] = "";
    else if (cur !== undefined) files[cur] += `${line}\n`;
  }
  for (const k of Object.keys(files)) files[k] = files[k]!.replace(/\n\n$/, "\n");
  return files;
}

/** The text with global (before any Match) lines setting one of `keys` commented out. */
export function commentOut(text: string, keys: string[]): { text: string; changed: string[] } {
  const want = new Set(keys.map((k) => k.toLowerCase()));
  const changed: string[] = [];
  let inMatch = false;
  const lines = text.split("\n").map((l) => {
    const word =
      l
        .trim()
        .split(/[\s=]+/)[0]
        ?.toLowerCase() ?? "";
    if (word === "match") inMatch = true;
    if (inMatch || !want.has(word) || l.trim().startsWith("#")) return l;
    changed.push(l.trim());
    return `# ${l.trim()}  # disabled by keel (hardening.sshd_config): the hardening drop-in sets it`;
  });
  return { text: lines.join("\n"), changed };
}

/** The command whose output judged a setting, as an auditor would re-run it on the host. */
export function effectiveCommand(login: { user: string; addr: string }): string {
  return `sshd -T -C user=${login.user},host=${login.addr},addr=${login.addr}`;
}
