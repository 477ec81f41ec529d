// users.user: a local user account exists (or not) with the given properties.
// Ansible twin: ansible.builtin.user. Reads getent; acts through useradd/usermod/userdel.
//
// Secrets: the password hash is never put on a command line (it is set with `chpasswd -e` on stdin)
// and never shown: changes say "password hash differs" and mask before/after. The shadow entry is
// only probed when password, password_lock or expires is given; reading it needs root (become).
import { defineModule, type ApplyResult, type Change, type Host } from "../../engine/core/module.js";
import { shJoin, shq } from "../../engine/core/shell.js";
import { ArgError } from "../../engine/core/errors.js";
import { refuseLineBreaksIn } from "../../engine/core/lines.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { cmdOf, getentOf, snip } from "../../engine/core/snippets.js";
import {
  USER_EXTRA_PROPS,
  chageFlags,
  sshKeyProbe,
  sshKeyReadCommand,
  sshKeyResult,
  sshKeygenCommand,
  useraddExtra,
  validateExtra,
  type SshKeyState,
  type UserExtraArgs,
} from "./user-extra.js";
import { userResult } from "./user-result.js";
import { listArg, parseGroupLine, parsePasswdLine, parseShadowLine, type PasswdEntry, type ShadowEntry } from "./common.js";

export interface UserArgs extends UserExtraArgs {
  name: string;
  uid?: number;
  group?: string | number;
  groups?: string | string[];
  append?: boolean;
  shell?: string;
  home?: string;
  create_home?: boolean;
  move_home?: boolean;
  comment?: string;
  system?: boolean;
  password?: string;
  update_password?: "always" | "on_create";
  password_lock?: boolean;
  expires?: number;
  state?: "present" | "absent";
  remove?: boolean;
  force?: boolean;
}

export interface UserState {
  passwd?: PasswdEntry;
  /** Name of the primary group (getent group GID); undefined when the gid has no group entry. */
  primaryGroup?: string;
  /** Supplementary groups: `id -Gn` without the primary group. */
  groups?: string[];
  /** Undefined when not probed or unreadable (no become). */
  shadow?: ShadowEntry;
  /** Whether the shadow entry was asked for. */
  shadowProbed?: boolean;
  /** The home directory the task ends with (`home`, else the account's) and whether it exists; undefined when not probed. */
  home?: { path: string; exists: boolean };
  /** generate_ssh_key: the key pair's path and whether its files exist (probed only when asked). */
  sshKey?: SshKeyState;
}

const MASK = "********";
const DAY = 86400;

export default defineModule<UserArgs, UserState, UserOp>({
  name: "users.user",
  aliases: ["user"],
  description: "Ensure a local user account exists (or not) with the given properties, through useradd/usermod/userdel.",
  argAliases: { createhome: "create_home", user: "name" },
  args: {
    type: "object",
    additionalProperties: false,
    required: ["name"],
    properties: {
      name: { type: "string", minLength: 1, pattern: "^[^:\\s,]+$", description: "Login name of the user." },
      uid: { type: "integer", minimum: 0, description: "Numeric user id." },
      group: {
        anyOf: [{ type: "string" }, { type: "integer", minimum: 0 }],
        description: "Primary group, by name or gid. The group must exist.",
      },
      groups: {
        anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }],
        description:
          "Supplementary groups (a list, or a comma-separated string). With append: false the user ends up in exactly these; an empty list removes all.",
      },
      append: {
        type: "boolean",
        default: false,
        description: "Add the user to `groups` without removing it from other groups.",
      },
      shell: { type: "string", description: "Login shell." },
      home: { type: "string", description: "Home directory." },
      create_home: {
        type: "boolean",
        default: true,
        description: "Create the home directory when the user is created (useradd -m; false gives -M).",
      },
      move_home: {
        type: "boolean",
        default: false,
        description: "When `home` changes, move the contents of the old home (usermod -m).",
      },
      comment: { type: "string", description: "The GECOS field (full name), compared as a whole." },
      system: {
        type: "boolean",
        default: false,
        description: "Create a system account (useradd -r). Only used when the user is created.",
      },
      password: {
        type: "string",
        pattern: "^[^:\\n]*$",
        description: "A crypt(3) hash (e.g. from `mkpasswd -m sha-512`), compared with the /etc/shadow field. Never printed. Needs become to compare.",
      },
      update_password: {
        enum: ["always", "on_create"],
        default: "always",
        description: "always: set `password` when it differs; on_create: only when the user is created.",
      },
      password_lock: {
        type: "boolean",
        description: "Lock (usermod -L) or unlock (usermod -U) the password. The account itself stays usable with keys.",
      },
      expires: {
        type: "number",
        description: "Account expiry as epoch seconds (like Ansible; stored in /etc/shadow as days). A negative value removes the expiry.",
      },
      state: { enum: ["present", "absent"], default: "present", description: "Whether the account should exist." },
      remove: {
        type: "boolean",
        default: false,
        description: "With state: absent, also remove the home directory and mail spool (userdel -r).",
      },
      force: {
        type: "boolean",
        default: false,
        description: "With state: absent, remove the user even while logged in (userdel -f). With generate_ssh_key: replace an existing key.",
      },
      ...USER_EXTRA_PROPS,
    },
  },

  resource: (a) => `user ${a.name}`,
  // useradd/usermod also create or move the home (from /etc/skel) and the mail spool
  footprint: (a) => ({
    reads: ["accounts"],
    writes: ["accounts", "file:/home", "file:/var/mail", "file:/var/spool/mail", ...(a.home ? [`file:${a.home}`] : [])],
  }),

  validate(a) {
    validateExtra(a);
    // Fields of one /etc/passwd (or /etc/shadow) line: a line break would add an account line, a
    // colon would shift the fields.
    refuseLineBreaksIn(a, ["comment", "shell", "home", "password", "group", "groups"], "/etc/passwd");
    for (const k of ["comment", "shell", "home"] as const) {
      if (a[k]?.includes(":"))
        throw new ArgError(k, `argument '${k}' contains ':', the field separator of /etc/passwd`, `remove the ':' from ${JSON.stringify(a[k])}`);
    }
  },

  probe(a) {
    const wantShadow =
      a.password !== undefined ||
      a.password_lock !== undefined ||
      a.expires !== undefined ||
      a.password_expire_max !== undefined ||
      a.password_expire_min !== undefined;
    // The primary group and the group list only when the account exists; the shadow entry (root
    // only) only when a task argument needs it: its record's presence says it was probed.
    const lines = [
      snip.getent("passwd", "passwd", a.name),
      // the fields of the entry snip.getent left in $_keel_ge (name:pw:uid:gid:gecos:home:shell)
      `_ku_pw=$_keel_ge; _ku_gid=\${_ku_pw#*:*:*:}; _ku_gid=\${_ku_gid%%:*}`,
      `if [ -n "$_ku_gid" ]; then`,
      snip.getent("pgroup", "group", { sh: '"$_ku_gid"' }, { primaryOf: a.name }),
      snip.cmd("groups", `id -Gn ${shq(a.name)}`),
      // Ansible creates a missing home of an existing user (create_home, default yes): look at it
      a.home !== undefined ? `_ku_home=${shq(a.home)}` : `_ku_home=\${_ku_pw#*:*:*:*:*:}; _ku_home=\${_ku_home%%:*}`,
      snip.begin("home"),
      snip.field("path", '"$_ku_home"'),
      `if [ -e "$_ku_home" ] || [ -L "$_ku_home" ]; then echo exists=1; else echo exists=0; fi`,
      ...(wantShadow ? [snip.getent("shadow", "shadow", a.name)] : []),
      ...sshKeyProbe(a),
      "fi",
    ];
    return {
      script: lines.join("\n") + "\n",
      parse(stdout) {
        const recs = parseRecords(stdout);
        const passwd = parsePasswdLine(getentOf(recs, "passwd"));
        if (!passwd) return {};
        const pg = parseGroupLine(getentOf(recs, "pgroup"));
        const all = (cmdOf(recs, "groups")?.out ?? "").split(/\s+/).filter(Boolean);
        const s: UserState = {
          passwd,
          groups: all.filter((g) => g !== pg?.name),
        };
        if (pg) s.primaryGroup = pg.name;
        const home = findRec(recs, "home");
        if (home) s.home = { path: home.get("path") ?? "", exists: home.get("exists") === "1" };
        const key = findRec(recs, "sshkey");
        if (key)
          s.sshKey = {
            path: key.get("path") ?? "",
            key: key.get("key") === "1",
            pub: key.get("pub") === "1",
            pubkey: key.get("pubkey"),
            fingerprint: key.get("fp"),
          };
        if (findRec(recs, "getent", "shadow")) {
          s.shadowProbed = true;
          const sh = parseShadowLine(getentOf(recs, "shadow"));
          if (sh) s.shadow = sh;
        }
        return s;
      },
    };
  },

  diff(s, a) {
    const want = a.state ?? "present";
    if (want === "absent") {
      if (!s.passwd) return [];
      const how = [a.remove ? "home removed" : "", a.force ? "forced" : ""].filter(Boolean).join(", ");
      return [
        { field: "state", summary: `user ${a.name} present → absent${how ? ` (${how})` : ""}`, before: "present", after: "absent", data: { op: "delete" } },
      ];
    }
    if (!s.passwd) {
      return [{ field: "state", summary: `user ${a.name} absent → present`, before: "absent", after: describeNew(a), data: { op: "create" } }];
    }
    const p = s.passwd;
    const out: Change<UserOp>[] = [];
    // Each change of an existing account carries the exact usermod flags that fix it.
    const field = (name: string, before: unknown, after: unknown, flags: string[]) =>
      out.push({ field: name, summary: `${name} ${fmt(before)} → ${fmt(after)}`, before, after, data: { op: "usermod", flags } });
    const lockFlag = a.password_lock ? "-L" : "-U";
    const expiresFlags = (e: number) => ["-e", e < 0 ? "" : dayText(expiresDays(e))];

    if (a.uid !== undefined && p.uid !== a.uid) field("uid", p.uid, a.uid, ["-u", String(a.uid), ...(a.non_unique ? ["-o"] : [])]);
    if (a.group !== undefined) {
      const g = String(a.group);
      const differs = /^\d+$/.test(g) ? p.gid !== Number(g) : s.primaryGroup !== g;
      if (differs) field("group", s.primaryGroup ?? p.gid, g, ["-g", g]);
    }
    const gd = groupsDelta(s, a);
    if (gd) {
      out.push({
        field: "groups",
        summary: `groups ${[...gd.add.map((g) => `+${g}`), ...gd.remove.map((g) => `-${g}`)].join(" ")}`,
        before: s.groups ?? [],
        after: gd.after,
        data: { op: "usermod", flags: gd.append ? ["-a", "-G", gd.add.join(",")] : ["-G", gd.after.join(",")] },
      });
    }
    if (a.shell !== undefined && p.shell !== a.shell) field("shell", p.shell, a.shell, ["-s", a.shell]);
    if (a.home !== undefined && p.home !== a.home) field("home", p.home, a.home, ["-d", a.home, ...(a.move_home ? ["-m"] : [])]);
    if (a.comment !== undefined && p.comment !== a.comment) field("comment", p.comment, a.comment, ["-c", a.comment]);

    // Changes that cannot be compared (no become) are applied as asked: the commands then fail
    // with a clear permission error instead of silently doing nothing.
    const shadowUnknown = (what: string, data: UserOp): Change<UserOp> => ({
      field: what,
      summary: `${what} cannot be compared: the shadow entry of ${a.name} is not readable (run with become)`,
      unknown: true,
      data,
    });
    if (a.password !== undefined && (a.update_password ?? "always") === "always") {
      if (!s.shadow) out.push(shadowUnknown("password", { op: "password" }));
      // As Ansible compares: leading "!" (lock markers) stripped from both, so "!" and "*" (locked,
      // disabled) match an account holding exactly that, and a locked hash matches its unlocked self.
      else if (s.shadow.hash.replace(/^!+/, "") !== a.password.replace(/^!+/, "")) {
        out.push({ field: "password", summary: "password hash differs", before: MASK, after: MASK, data: { op: "password" } });
      }
    }
    if (a.password_lock !== undefined) {
      if (!s.shadow) out.push(shadowUnknown("password_lock", { op: "usermod", flags: [lockFlag] }));
      else {
        const locked = s.shadow.hash.startsWith("!");
        if (locked !== a.password_lock) {
          field("password_lock", locked ? "locked" : "unlocked", a.password_lock ? "locked" : "unlocked", [lockFlag]);
        }
      }
    }
    if (a.expires !== undefined) {
      if (!s.shadow) out.push(shadowUnknown("expires", { op: "usermod", flags: expiresFlags(a.expires) }));
      else {
        const wantDays = expiresDays(a.expires);
        if (s.shadow.expireDays !== wantDays) {
          out.push({
            field: "expires",
            summary: `expires ${dayText(s.shadow.expireDays)} → ${dayText(wantDays)}`,
            before: dayText(s.shadow.expireDays),
            after: dayText(wantDays),
            data: { op: "usermod", flags: expiresFlags(a.expires) },
          });
        }
      }
    }
    if (a.password_expire_max !== undefined || a.password_expire_min !== undefined) {
      const flags = chageFlags(a, s.shadow);
      if (!s.shadow) out.push(shadowUnknown("password_expire", { op: "chage", flags }));
      else if (flags.length) {
        const before = { min: s.shadow.minDays, max: s.shadow.maxDays };
        const after = { min: a.password_expire_min ?? before.min, max: a.password_expire_max ?? before.max };
        const txt = (v: { min: number; max: number }) => `min ${v.min} max ${v.max}`;
        out.push({ field: "password_expire", summary: `password age ${txt(before)} → ${txt(after)} days`, before, after, data: { op: "chage", flags } });
      }
    }
    // Ansible's "handle missing homedirs": an existing account's home (the new one when `home`
    // changes) is created from /etc/skel when it is missing, unless create_home is false. A
    // move_home of an existing old home creates it through usermod -m.
    const movesHome = a.move_home === true && a.home !== undefined && p.home !== a.home;
    if (s.home && !s.home.exists && s.home.path !== "" && a.create_home !== false && !movesHome) {
      out.push({
        field: "home_dir",
        summary: `home directory ${s.home.path} missing → created from /etc/skel`,
        before: "absent",
        after: "directory",
        data: { op: "mkhome", path: s.home.path },
      });
    }
    const k = s.sshKey;
    if (a.generate_ssh_key && k && (a.force || (!k.key && !k.pub))) {
      const what = k.key || k.pub ? "replaced (force)" : "missing → generated";
      out.push({ field: "ssh_key", summary: `ssh key ${k.path} ${what}`, before: k.key ? "present" : "absent", after: "present", data: { op: "sshkey" } });
    }
    return out;
  },

  explain(s, a) {
    if (!s.passwd) return `user ${a.name} is absent`;
    const p = s.passwd;
    return `user ${a.name} exists with uid ${p.uid}, group ${s.primaryGroup ?? p.gid}, shell ${p.shell}, home ${p.home}`;
  },

  async apply(host, a, changes, s) {
    const res = await applyUser(host, a, changes);
    if ((a.state ?? "present") === "absent") return res;
    // the account as apply left it, for the registered result (one getent)
    const p = parsePasswdLine((await host.run(shJoin(["getent", "passwd", a.name]), { check: false })).stdout.trim() || undefined);
    return { ...(res ?? {}), data: { ...(res?.data ?? {}), ...userResult(p, a, { check: false, existed: s.passwd !== undefined }) } };
  },

  result(s, a, _facts, mode) {
    // Ansible returns the key's path, public key and fingerprint whenever generate_ssh_key is set
    // (a key generated by apply: apply's result carries them).
    const key = a.generate_ssh_key && s.sshKey?.key ? sshKeyResult(s.sshKey) : {};
    return { ...userResult(s.passwd, a, { check: mode?.check === true, existed: s.passwd !== undefined }), ...key };
  },
});

async function applyUser(host: Host, a: UserArgs, changes: Change<UserOp>[]): Promise<ApplyResult | void> {
  const ops = changes.flatMap((c) => (c.data ? [c.data] : []));
  if (ops.some((o) => o.op === "delete")) {
    const cmd = ["userdel"];
    if (a.remove) cmd.push("-r");
    if (a.force) cmd.push("-f");
    await host.run(shJoin([...cmd, a.name]));
    return;
  }
  if (ops.some((o) => o.op === "create")) {
    const cmd = ["useradd"];
    if (a.uid !== undefined) cmd.push("-u", String(a.uid));
    cmd.push(...useraddExtra(a));
    if (a.group !== undefined) cmd.push("-g", String(a.group));
    const groups = listArg(a.groups);
    if (groups && groups.length) cmd.push("-G", groups.join(","));
    if (a.shell !== undefined) cmd.push("-s", a.shell);
    if (a.home !== undefined) cmd.push("-d", a.home);
    if (a.comment !== undefined) cmd.push("-c", a.comment);
    cmd.push(a.create_home === false ? "-M" : "-m");
    if (a.system) cmd.push("-r");
    if (a.expires !== undefined && a.expires >= 0) cmd.push("-e", dayText(expiresDays(a.expires)));
    await host.run(shJoin([...cmd, a.name]));
    if (a.password !== undefined) await setPassword(host, a.name, a.password);
    if (a.password_lock === true) await host.run(shJoin(["usermod", "-L", a.name]));
    const age = chageFlags(a);
    if (age.length) await host.run(shJoin(["chage", ...age, a.name]));
    return a.generate_ssh_key ? await generateKey(host, a) : undefined;
  }

  // An existing user: chpasswd for the hash, then one usermod with exactly the differing fields,
  // in the order diff listed them.
  const setsPassword = ops.some((o) => o.op === "password");
  if (setsPassword) await setPassword(host, a.name, a.password!);
  const mod = ops.flatMap((o) => (o.op === "usermod" ? o.flags : []));
  // Setting the hash drops a "!" lock; keep the account locked when the task asks for it.
  if (setsPassword && a.password_lock === true && !mod.includes("-L")) mod.push("-L");
  if (mod.length) await host.run(shJoin(["usermod", ...mod, a.name]));
  for (const o of ops) if (o.op === "mkhome") await host.run(mkhomeCommand(a.name, o.path));
  for (const o of ops) if (o.op === "chage" && o.flags.length) await host.run(shJoin(["chage", ...o.flags, a.name]));
  if (ops.some((o) => o.op === "sshkey")) return generateKey(host, a);
}

/** What apply does for one change (Change<UserOp>): the plan diff made, typed. */
export type UserOp =
  | { op: "delete" }
  | { op: "create" }
  | { op: "password" }
  | { op: "usermod"; flags: string[] }
  | { op: "mkhome"; path: string }
  | { op: "chage"; flags: string[] }
  | { op: "sshkey" };

/** generate_ssh_key's apply: ssh-keygen, then the key's path, public key and fingerprint for the result. */
async function generateKey(host: Host, a: UserArgs): Promise<ApplyResult> {
  await host.run(sshKeygenCommand(a.name, a));
  const r = findRec(parseRecords((await host.run(sshKeyReadCommand(a.name, a))).stdout), "sshkey");
  return { data: sshKeyResult({ path: r?.get("path") ?? "", pubkey: r?.get("pubkey"), fingerprint: r?.get("fp") }) };
}

/**
 * Ansible's create_homedir + chown_homedir: copy /etc/skel (symlinks kept; parents created), else an
 * empty directory; mode 0777 & ~UMASK of /etc/login.defs when it sets one; everything owned by the
 * user and its primary group. Nothing happens when the path appeared meanwhile.
 */
export function mkhomeCommand(name: string, path: string): string {
  const h = shq(path);
  return [
    `if [ ! -e ${h} ]; then`,
    `mkdir -p -- "$(dirname -- ${h})" && { if [ -d /etc/skel ]; then cp -R -P -p /etc/skel ${h}; else mkdir -- ${h}; fi; } &&`,
    `_m=$(sed -n 's/^UMASK[[:space:]]\\{1,\\}\\([0-9]\\{1,\\}\\)$/\\1/p' /etc/login.defs 2>/dev/null | tail -n 1) &&`,
    `{ [ -z "$_m" ] || chmod "$(printf '%o' $((0777 & ~0$_m)))" ${h}; } &&`,
    `chown -R ${shq(`${name}:`)} ${h}; fi`,
  ].join(" ");
}

interface GroupsDelta {
  append: boolean;
  add: string[];
  remove: string[];
  after: string[];
}

/** Supplementary-group difference, or undefined when `groups` is not given or already matches. */
export function groupsDelta(s: UserState, a: UserArgs): GroupsDelta | undefined {
  const listed = listArg(a.groups);
  if (listed === undefined) return undefined;
  // Like Ansible: a listed group that is the user's primary group is not a supplementary membership.
  const primary = new Set([s.primaryGroup, a.group !== undefined ? String(a.group) : undefined].filter(Boolean));
  const want = [...new Set(listed)].filter((g) => !primary.has(g));
  const cur = s.groups ?? [];
  const add = want.filter((g) => !cur.includes(g));
  const append = a.append === true;
  const remove = append ? [] : cur.filter((g) => !want.includes(g));
  if (!add.length && !remove.length) return undefined;
  const after = append ? [...cur, ...add] : want;
  return { append, add, remove, after };
}

/** Ansible's `expires` (epoch seconds, negative = never) → shadow days (null = never). */
export function expiresDays(expires: number): number | null {
  return expires < 0 ? null : Math.floor(expires / DAY);
}

/** Days since the epoch → "YYYY-MM-DD" (UTC); null → "never". */
export function dayText(days: number | null): string {
  if (days === null || days < 0) return "never";
  return new Date(days * DAY * 1000).toISOString().slice(0, 10);
}

function fmt(v: unknown): string {
  return v === "" ? '""' : String(v);
}

function describeNew(a: UserArgs): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const k of ["uid", "group", "groups", "shell", "home", "comment", "system"] as const) {
    if (a[k] !== undefined) o[k] = a[k];
  }
  if (a.password !== undefined) o.password = MASK;
  if (a.expires !== undefined) o.expires = dayText(expiresDays(a.expires));
  return o;
}

async function setPassword(host: { run: (c: string, o?: { stdin?: string }) => Promise<unknown> }, name: string, hash: string) {
  await host.run("chpasswd -e", { stdin: `${name}:${hash}\n` });
}
