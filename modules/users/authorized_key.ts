// users.authorized_key: SSH public keys in a user's authorized_keys file.
// Ansible twin: ansible.posix.authorized_key. Keys are compared by (type, body): a different comment
// is not drift, different options are. The file is rewritten whole and atomically (host.writeFile);
// lines that are not keys (comments, blanks) are kept. With manage_dir, ~/.ssh is 0700 and the file
// 0600, both owned by the user and its primary group.
import { defineModule, type Change } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import { refuseLineBreaksIn } from "../../engine/core/lines.js";
import { shJoin, shq } from "../../engine/core/shell.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { fileOf, getentOf, snip, statOf, type StatRec } from "../../engine/core/snippets.js";
import { statAhead } from "../../engine/core/prefetch.js";
import { parsePasswdLine, type StatInfo } from "./common.js";
import { urlLookup } from "../../engine/template/lookup-url.js";
import { describeKey, formatKey, keyId, parseKeyLine, type SshKey } from "./sshkeys.js";

export interface AuthorizedKeyArgs {
  user: string;
  key: string | string[];
  state?: "present" | "absent";
  exclusive?: boolean;
  key_options?: string;
  comment?: string;
  path?: string;
  manage_dir?: boolean;
  follow?: boolean;
  validate_certs?: boolean;
}

export interface AuthorizedKeyState {
  /** False when the user does not exist. */
  userExists: boolean;
  /** Primary group name of the user (for ownership). */
  group?: string;
  /** The authorized_keys path the probe resolved. */
  path?: string;
  /** With follow: where the path leads (readlink -f), which is what gets written. */
  real?: string;
  dir?: StatInfo;
  file?: StatInfo;
  /** File content; undefined when the file does not exist. */
  content?: string;
  /** Set when the dir or file exists but cannot be read (no become). */
  unreadable?: string;
  /**
   * The directory or the file is a symlink owned by someone other than root or the user keel runs
   * as (typically the account's own user). Following it as root would let that user have keel read
   * any file into the authorized_keys it owns, or chmod/chown any directory: refused.
   */
  untrustedLink?: { what: "directory" | "file"; uid: number };
}

interface KeyPlan {
  content: string;
  add: SshKey[];
  remove: SshKey[];
  options: { key: SshKey; before: string }[];
}

/**
 * What apply does for one change (the plan diff made): create ~/.ssh, fix the mode or owner of the
 * folder or the file, or rewrite the file with the planned keys.
 */
export type AuthorizedKeyOp =
  { op: "mkdir" } | { op: "chmod"; target: "dir" | "file"; mode: string } | { op: "chown"; target: "dir" | "file"; owner: string } | { op: "rewrite" };

export default defineModule<AuthorizedKeyArgs, AuthorizedKeyState, AuthorizedKeyOp>({
  name: "users.authorized_key",
  aliases: ["authorized_key", "ansible.posix.authorized_key"],
  description: "Ensure SSH public keys are (or are not) in a user's authorized_keys file, comparing keys by type and body.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["user", "key"],
    properties: {
      user: { type: "string", minLength: 1, description: "The user whose authorized_keys file is managed." },
      key: {
        anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }],
        description:
          "One or more public keys: a string with one key per line, or a list. A string starting with `http` is a URL (e.g. https://github.com/USER.keys): " +
          "the controller fetches it (GET, redirects followed; any status but 200 fails with Ansible's 'Error getting key from: URL') and takes its body as the keys, in check mode too.",
      },
      state: {
        enum: ["present", "absent"],
        default: "present",
        description: "present adds the keys (or fixes their options); absent removes them.",
      },
      exclusive: {
        type: "boolean",
        default: false,
        description: "Remove every other key from the file (lines that are not keys are kept).",
      },
      key_options: {
        type: "string",
        description: 'Options put before every key, e.g. `from="10.0.0.0/8",no-pty`. Overrides options written in `key`.',
      },
      comment: { type: "string", description: "Replace the comment of the keys written to the file." },
      path: {
        type: "string",
        description: "The authorized_keys file; a leading ~/ is the user's home. Default: ~user/.ssh/authorized_keys.",
      },
      manage_dir: {
        type: "boolean",
        default: true,
        description: "Create the file's directory (0700) and keep directory and file (0600) owned by the user.",
      },
      follow: {
        type: "boolean",
        default: false,
        description:
          "When the authorized_keys path is a symlink, write (and chmod/chown) the file it leads to and keep the link. false: a rewrite replaces the link with a file, as in Ansible. " +
          "A link owned by another user than root or keel's is refused either way.",
      },
      validate_certs: {
        type: "boolean",
        default: true,
        description: "With a key URL over https: check the server's certificate (false: do not, as Ansible's fetch_url).",
      },
    },
  },

  resource: (a) => `authorized_keys of ${a.user}`,
  // The file lies in the user's home, known only on the host, unless path is absolute.
  footprint: (a) => {
    const file = a.path?.startsWith("/") ? `file:${a.path.replace(/\/[^/]*$/, "") || "/"}` : "file:/";
    return { reads: ["accounts", file], writes: [file] };
  },

  validate(a) {
    // Both are written into every key's line: a line break would add a key line of its own.
    refuseLineBreaksIn(a, ["key_options", "comment"], "the authorized_keys file");
    if (!isKeyUrl(a.key)) desiredKeys(a);
  },

  // Ansible's `key.startswith("http")`: the key text is that URL's body (fetch_url; status 200 only).
  prepare(a) {
    if (!isKeyUrl(a.key)) return a;
    let body: string;
    try {
      const got = urlLookup([a.key], { validate_certs: a.validate_certs !== false, split_lines: false });
      body = String(got[0] ?? "");
    } catch (e) {
      throw new ModuleError(`Error getting key from: ${a.key} (${(e as Error).message})`);
    }
    const out = { ...a, key: body };
    desiredKeys(out);
    return out;
  },

  probe(a) {
    const file = a.path === undefined ? `"$_kh/.ssh/authorized_keys"` : a.path.startsWith("~/") ? `"$_kh"/${shq(a.path.slice(2))}` : shq(a.path);
    // The user's home comes from its passwd entry on the host, so the paths are shell words
    // ($_kf, $_kd) computed there; stat without follow says whether ~/.ssh or the file is a link.
    const script = [
      snip.getent("passwd", "passwd", a.user),
      // the passwd entry snip.getent left in $_keel_ge; its fields and the folder by expansion
      // (name:pw:uid:gid:gecos:home:shell; dirname's answer, trailing slashes included)
      `_ku_p=$_keel_ge`,
      `if [ -n "$_ku_p" ]; then`,
      `  _kh=\${_ku_p#*:*:*:*:*:}; _kh=\${_kh%%:*}`,
      `  _kf=${file}`,
      `  _kd=$_kf; while :; do case $_kd in ?*/) _kd=\${_kd%/} ;; *) break ;; esac; done`,
      `  case $_kd in */*) _kd=\${_kd%/*}; while :; do case $_kd in ?*/) _kd=\${_kd%/} ;; *) break ;; esac; done; [ -n "$_kd" ] || _kd=/ ;; *) _kd=. ;; esac`,
      // the primary group's name as `id -gn` prints it (the gid itself when no group has it), from
      // the user probe's own lookup: in a probe batch the batch's one `getent group` (prefetch.ts pgid)
      `  _ka_gid=\${_ku_p#*:*:*:}; _ka_gid=\${_ka_gid%%:*}`,
      snip.getent("pgroup", "group", { sh: '"$_ka_gid"' }, { primaryOf: a.user }),
      `  _ka_g=\${_keel_ge%%:*}; [ -n "$_ka_g" ] || _ka_g=$_ka_gid`,
      snip.begin("ak"),
      snip.field("pgroup", '"$_ka_g"'),
      snip.field("path", '"$_kf"'),
      // the login's uid from the shell's prelude when the probe runs without sudo (framing.ts LOGIN_ID)
      `  if [ -n "\${_keel_id-}" ]; then _ka_me=$_keel_uid; else _ka_me=$(id -u); fi`,
      snip.field("me", '"$_ka_me"'),
      ...(a.follow ? [snip.field("real", '"$(readlink -f -- "$_kf" 2>/dev/null)"')] : []),
      `  if [ -d "$_kd" ] && [ ! -x "$_kd" ]; then printf 'dirx=0\\n'; fi`,
      // one stat for both paths in a probe batch (engine/core/prefetch.ts)
      statAhead(['"$_kd"', '"$_kf"']),
      snip.statPair("dirlink", "dir", { sh: '"$_kd"' }),
      snip.statPair("filelink", "file", { sh: '"$_kf"' }),
      snip.readFile("file", { sh: '"$_kf"' }),
      `fi`,
    ].join("\n");
    return {
      script: script + "\n",
      parse(stdout) {
        const recs = parseRecords(stdout);
        const pw = parsePasswdLine(getentOf(recs, "passwd"));
        const ak = findRec(recs, "ak");
        if (!pw || !ak) return { userExists: false };
        const s: AuthorizedKeyState = { userExists: true, group: ak.get("pgroup"), path: ak.get("path") };
        const real = ak.get("real");
        if (real && real !== s.path) s.real = real;
        const info = (st: StatRec | undefined): StatInfo | undefined =>
          st ? { mode: st.mode ?? "", owner: st.owner ?? "", group: st.group ?? "" } : undefined;
        const dir = statOf(recs, "dir");
        if (dir?.type === "directory") s.dir = info(dir);
        const file = statOf(recs, "file");
        if (file?.type === "file") s.file = info(file);
        const f = fileOf(recs, "file");
        if (ak.get("dirx") === "0") s.unreadable = "directory";
        else if (f.type === "file") {
          if (f.unreadable) s.unreadable = "file";
          else if (f.content !== undefined) s.content = f.content.toString("utf8");
        }
        const me = ak.get("me");
        for (const what of ["dir", "file"] as const) {
          const l = statOf(recs, `${what}link`);
          if (l?.type === "link" && l.uid !== undefined && l.uid !== 0 && String(l.uid) !== me)
            s.untrustedLink = { what: what === "dir" ? "directory" : "file", uid: l.uid };
        }
        return s;
      },
    };
  },

  diff(s, a) {
    const keys = desiredKeys(a);
    if (!s.userExists || !s.path) {
      return [{ field: "user", summary: `user ${a.user} does not exist`, unknown: true }];
    }
    if (s.untrustedLink) {
      const dir = s.path.replace(/\/[^/]*$/, "") || "/";
      throw new ModuleError(
        `${s.untrustedLink.what === "directory" ? dir : s.path} is a symlink owned by uid ${s.untrustedLink.uid}; keel does not follow it ` +
          `(it could point at any file or directory); replace it with a real ${s.untrustedLink.what}, or set path: to where it points`,
      );
    }
    if (s.unreadable) {
      return [{ field: "content", summary: `cannot read ${s.path} (its ${s.unreadable} is not readable; run with become)`, unknown: true }];
    }
    const plan = planKeys(s.content, keys, a);
    const out: Change<AuthorizedKeyOp>[] = [];
    const changed = plan.add.length + plan.remove.length + plan.options.length > 0;
    const present = (a.state ?? "present") === "present";
    const managed = a.manage_dir !== false;
    const dir = s.path.replace(/\/[^/]*$/, "") || "/";
    const owner = { mode: "0700", owner: a.user, group: s.group ?? a.user };

    if (present && managed) {
      if (!s.dir && changed) {
        out.push({
          field: "dir",
          summary: `directory ${dir} absent → present (0700 ${owner.owner}:${owner.group})`,
          before: "absent",
          after: "present",
          data: { op: "mkdir" },
        });
      } else if (s.dir) out.push(...attrChanges("dir", dir, s.dir, owner));
      if (s.file) out.push(...attrChanges("file", s.real ?? s.path, s.file, { ...owner, mode: "0600" }));
    }
    const fileDiff = { path: s.real ?? s.path, before: s.content ?? "", after: plan.content };
    let first = true;
    const withDiff = (c: Change<AuthorizedKeyOp>): Change<AuthorizedKeyOp> => {
      const rewrite = { ...c, data: { op: "rewrite" as const } };
      if (first) {
        first = false;
        return { ...rewrite, diff: fileDiff };
      }
      return rewrite;
    };
    for (const k of plan.add) out.push(withDiff({ field: "keys", summary: `key ${describeKey(k)} added`, after: formatKey(k) }));
    for (const o of plan.options) {
      out.push(
        withDiff({
          field: "keys",
          summary: `key ${describeKey(o.key)} options ${JSON.stringify(o.before)} → ${JSON.stringify(o.key.options)}`,
          before: o.before,
          after: o.key.options,
        }),
      );
    }
    for (const k of plan.remove) out.push(withDiff({ field: "keys", summary: `key ${describeKey(k)} removed`, before: formatKey(k) }));
    return out;
  },

  explain(s, a) {
    if (!s.userExists) return `user ${a.user} does not exist`;
    const n = desiredKeys(a).length;
    return (a.state ?? "present") === "present"
      ? `${n} key${n === 1 ? "" : "s"} already in ${s.path}`
      : `${n === 1 ? "key is" : "keys are"} not in ${s.path ?? "authorized_keys"}`;
  },

  async apply(host, a, changes, s) {
    if (!s.userExists || !s.path) throw new ModuleError(`user ${a.user} does not exist; create it before adding SSH keys`);
    if (s.unreadable) throw new ModuleError(`cannot read ${s.path}: its ${s.unreadable} is not readable; run with become`);
    const group = s.group ?? a.user;
    const dir = s.path.replace(/\/[^/]*$/, "") || "/";
    const ops = changes.flatMap((c) => (c.data ? [c.data] : []));
    if (ops.some((o) => o.op === "mkdir")) {
      await host.run(`mkdir -p ${shq(dir)} && chown ${shq(`${a.user}:${group}`)} ${shq(dir)} && chmod 0700 ${shq(dir)}`);
    }
    const rewrite = ops.some((o) => o.op === "rewrite");
    // A rewritten file gets its mode and owner from writeFile; only fix attributes of a file kept as is.
    // The folder's attributes first, then the file's (diff lists them in that order).
    for (const o of ops) {
      if (o.op !== "chmod" && o.op !== "chown") continue;
      if (o.target === "file" && rewrite) continue;
      const target = o.target === "dir" ? dir : (s.real ?? s.path);
      if (o.op === "chmod") await host.run(shJoin(["chmod", o.mode, target]));
      else await host.run(shJoin(["chown", o.owner, target]));
    }
    if (rewrite) {
      const plan = planKeys(s.content, desiredKeys(a), a);
      const managed = a.manage_dir !== false;
      const opts = managed || !s.file ? { mode: "0600", owner: a.user, group } : { mode: s.file.mode, owner: s.file.owner, group: s.file.group };
      // follow: the link's target is written and the link kept (Ansible writes os.path.realpath).
      await host.writeFile(s.real ?? s.path, plan.content, opts);
    }
  },
});

/** Ansible's test for a key URL: a string starting with "http". */
export function isKeyUrl(key: string | string[]): key is string {
  return typeof key === "string" && key.startsWith("http");
}

/** The keys the task names, with key_options / comment applied. Throws ArgError on a line that is not a key. */
export function desiredKeys(a: AuthorizedKeyArgs): SshKey[] {
  const lines = (Array.isArray(a.key) ? a.key : [a.key]).flatMap((k) => String(k).split("\n"));
  const out: SshKey[] = [];
  const seen = new Set<string>();
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (/^https?:\/\//.test(line)) {
      throw new ArgError(
        "key",
        `users.authorized_key: a key URL must be the whole key string, as Ansible fetches only a key that starts with http (${line})`,
        "give the URL alone as key: (one URL per task), or put the key text in the playbook",
      );
    }
    const k = parseKeyLine(line);
    if (!k)
      throw new ArgError(
        "key",
        `users.authorized_key: not an SSH public key: ${JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}…` : line)}`,
        "give the public key line as ssh-keygen writes it: TYPE BASE64 [comment]",
      );
    if (a.key_options !== undefined) k.options = a.key_options;
    if (a.comment !== undefined) k.comment = a.comment;
    if (seen.has(keyId(k))) continue;
    seen.add(keyId(k));
    out.push(k);
  }
  return out;
}

/** Pure: what the file becomes, and which keys are added, removed or get new options. */
export function planKeys(content: string | undefined, keys: SshKey[], a: AuthorizedKeyArgs): KeyPlan {
  const present = (a.state ?? "present") === "present";
  const want = new Map(keys.map((k) => [keyId(k), k]));
  const lines = content === undefined || content === "" ? [] : content.replace(/\n$/, "").split("\n");
  const plan: KeyPlan = { content: "", add: [], remove: [], options: [] };
  const kept: string[] = [];
  const found = new Set<string>();
  for (const line of lines) {
    const k = parseKeyLine(line);
    if (!k) {
      kept.push(line);
      continue;
    }
    const id = keyId(k);
    const w = want.get(id);
    if (found.has(id) && w) {
      // A duplicate of a managed key: drop it so the key appears once.
      plan.remove.push(k);
      continue;
    }
    if (present && w) {
      found.add(id);
      if (w.options !== k.options) {
        plan.options.push({ key: w, before: k.options });
        kept.push(formatKey(w));
      } else kept.push(line);
    } else if ((!present && w) || (present && a.exclusive)) {
      plan.remove.push(k);
    } else kept.push(line);
  }
  if (present) {
    for (const k of keys) {
      if (!found.has(keyId(k))) {
        plan.add.push(k);
        kept.push(formatKey(k));
      }
    }
  }
  plan.content = kept.length ? `${kept.join("\n")}\n` : "";
  return plan;
}

function attrChanges(what: "dir" | "file", path: string, cur: StatInfo, want: StatInfo): Change<AuthorizedKeyOp>[] {
  const out: Change<AuthorizedKeyOp>[] = [];
  if (cur.mode !== want.mode) {
    out.push({
      field: what,
      summary: `mode of ${path} ${cur.mode} → ${want.mode}`,
      before: cur.mode,
      after: want.mode,
      data: { op: "chmod", target: what, mode: want.mode },
    });
  }
  const co = `${cur.owner}:${cur.group}`;
  const wo = `${want.owner}:${want.group}`;
  if (co !== wo) out.push({ field: what, summary: `owner of ${path} ${co} → ${wo}`, before: co, after: wo, data: { op: "chown", target: what, owner: wo } });
  return out;
}
