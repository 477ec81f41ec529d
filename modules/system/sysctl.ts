// system.sysctl: ensure a kernel parameter is persisted in a sysctl.d file and set in the running
// kernel. Arguments follow Ansible's ansible.posix.sysctl.
//
// The probe reads the live value and every file the boot-time loader reads, so a key persisted in
// two places is reported. Load order (sysctl.d(5), procps sysctl(8) --system):
//   * *.conf in /etc/sysctl.d, /run/sysctl.d, /usr/local/lib/sysctl.d, /usr/lib/sysctl.d, /lib/sysctl.d;
//     a file name present in several of them is taken from the first (so /etc overrides /usr/lib);
//   * all of them are applied sorted by file name, whatever their directory; a later file wins;
//   * /etc/sysctl.conf: with procps (`sysctl --system`, the SysV boot path on Debian) it is applied
//     last and wins over everything; with systemd-sysctl it is read only through Debian's
//     /etc/sysctl.d/99-sysctl.conf symlink, i.e. at position "99-sysctl.conf".
// Hence a key in /etc/sysctl.conf beats the default 99-keel.conf under both ("99-k" < "99-s").
// When another file wins with a different value, that is a change apply cannot make for you:
// apply writes its own file, sets the live value, then fails naming the overriding file.
import { defineModule, type Change, type FileWrite } from "../../engine/core/module.js";
import { InputError, ModuleError } from "../../engine/core/errors.js";
import { refuseLineBreaks } from "../../engine/core/lines.js";
import { shq } from "../../engine/core/shell.js";
import { allRecs, findRec, parseRecords } from "../../engine/core/record.js";
import { fileOf, snip } from "../../engine/core/snippets.js";

export interface SysctlArgs {
  name: string;
  value?: string | number;
  state?: "present" | "absent";
  sysctl_file?: string;
  reload?: boolean;
  sysctl_set?: boolean;
  ignoreerrors?: boolean;
}

export interface SysctlSetting {
  file: string;
  line: number;
  value: string;
  /** Load-order key: the file name for sysctl.d files; later ranks win. */
  rank: string;
}

export interface SysctlState {
  /** The running kernel's value (whitespace normalised); absent when the key does not exist. */
  live?: string;
  /** Every persisted assignment of the key, in load order: the last one is what boot applies. */
  settings: SysctlSetting[];
  /** The managed file: absent when it does not exist, else its lines. */
  target?: string[];
  /** Load-order key of /etc/sysctl.conf: last for procps, its symlink's name for systemd, absent if not read. */
  etcConfRank?: string;
}

/** Sorts after every file name: /etc/sysctl.conf under procps. */
const LAST = "\uffff";

export const SYSCTL_DIRS = ["/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d"];
const DEFAULT_FILE = "/etc/sysctl.d/99-keel.conf";

/** What apply does for a change: write the file's new content, set the live value, or refuse an override. */
type SysctlOp = { content: string; create?: boolean } | { live: string } | { override: SysctlSetting };

export default defineModule<SysctlArgs, SysctlState, SysctlOp>({
  name: "system.sysctl",
  aliases: ["sysctl", "ansible.posix.sysctl"],
  description:
    "Ensure a kernel parameter is set in a sysctl.d file and in the running kernel. The probe also reads every other sysctl " +
    "file in load order, so a value overridden elsewhere is reported instead of missed.",
  argAliases: { key: "name", val: "value" },
  args: {
    type: "object",
    additionalProperties: false,
    required: ["name"],
    properties: {
      name: { description: "The parameter, dotted (`net.ipv4.ip_forward`).", type: "string", pattern: "^[A-Za-z0-9_][A-Za-z0-9_.*/:@-]*$" },
      value: {
        description: "The value (required with state present). Compared with whitespace normalised, so `4096 87380 6291456` matches tabs.",
        type: ["string", "number"],
      },
      state: {
        description: "`present`: persisted (and live, see reload); `absent`: removed from sysctl_file (the live value is left alone).",
        enum: ["present", "absent"],
        default: "present",
      },
      sysctl_file: { description: "The file keel manages.", type: "string", pattern: "^/", default: DEFAULT_FILE },
      reload: {
        description: "Also make the running kernel's value match (`sysctl -w name=value`, only this key). A differing live value is a change of its own.",
        type: "boolean",
        default: true,
      },
      sysctl_set: {
        description: "Ansible's flag to verify and set the live value; keel does this whenever reload is true, so this matters only with reload: false.",
        type: "boolean",
        default: false,
      },
      ignoreerrors: {
        description:
          "Ignore a key the running kernel does not have (Ansible's sysctl -e): it is persisted and nothing is set live. keel reloads only this key, so other keys' errors never reach it.",
        type: "boolean",
        default: false,
      },
    },
  },

  // The probe reads every file the boot-time loader reads; apply writes its own file and the live value.
  footprint: (args) => ({
    reads: ["sysctl", "file:/etc/sysctl.conf", ...SYSCTL_DIRS.map((d) => `file:${d}`), `file:${args.sysctl_file ?? DEFAULT_FILE}`],
    writes: ["sysctl", `file:${args.sysctl_file ?? DEFAULT_FILE}`],
  }),

  resource(args) {
    return `sysctl ${args.name}`;
  },

  validate(args) {
    // name = value is one line of the sysctl file: a line break would set a parameter of its own.
    refuseLineBreaks("value", args.value === undefined ? undefined : String(args.value), args.sysctl_file ?? DEFAULT_FILE);
    if ((args.state ?? "present") === "present" && args.value === undefined)
      throw new InputError(`sysctl ${args.name}: value is required with state: present`, undefined, "add value: …, or set state: absent");
  },

  probe(args, facts) {
    const file = args.sysctl_file ?? DEFAULT_FILE;
    const key = shq(args.name);
    const proc = shq(`/proc/sys/${procPath(args.name)}`);
    const dirs = SYSCTL_DIRS.map((d) => `${d}/*.conf`).join(" ");
    // @live value (sysctl, else /proc/sys); one @conf record per configuration file with its
    // non-comment lines as "N:text" (grep -n); the managed file itself as @file target.
    // The shell's own read does what cat, grep and readlink did (each exec costs the host about a
    // millisecond, on every host of every run): the live value from /proc/sys (sysctl -n when the
    // file gives nothing), the non-comment lines as grep -n -v -E '^[[:space:]]*([#;]|$)' prints
    // them, and readlink -f only where it can name /etc/sysctl.conf (a link; a file of that name is
    // resolved by the shell).
    const script = [
      "LC_ALL=C; export LC_ALL",
      `_ks_nl='`,
      `'`,
      // Not the shell's read for /proc/sys: dash reads a byte at a time, and a /proc/sys file read
      // at a non-zero offset gives nothing, so `read` saw "16" as "1" (os_hardening's
      // net.ipv6.conf.default.max_addresses, 2026-12-04). sysctl -n / cat read the value whole.
      `if v=$(sysctl -n ${key} 2>/dev/null) || { [ -r ${proc} ] && v=$(cat ${proc}); }; then`,
      snip.begin("live"),
      snip.field("value", '"$v"'),
      "fi",
      `for f in ${dirs} /etc/sysctl.conf; do`,
      '  [ -f "$f" ] || continue',
      snip.begin("conf"),
      snip.field("path", '"$f"'),
      // a file that is not a link: its folder's physical path (cd -P and pwd -P are the shell's
      // own) and its name, as readlink -f gives it; a link: readlink -f itself
      `  case $f in */sysctl.conf) if [ -L "$f" ]; then _ks_real=$(readlink -f "$f"); else _ks_real=$(cd -P -- "\${f%/*}/" 2>/dev/null && pwd -P) && _ks_real=\${_ks_real%/}/\${f##*/} || _ks_real=$(readlink -f "$f"); fi ;; *) if [ -L "$f" ]; then _ks_real=$(readlink -f "$f"); else _ks_real=$f; fi ;; esac`,
      snip.field("real", '"$_ks_real"'),
      `  _ks_n=0; _ks_t=; { while IFS= read -r _ks_l || [ -n "$_ks_l" ]; do _ks_n=$((_ks_n + 1))`,
      `    case \${_ks_l#"\${_ks_l%%[![:space:]]*}"} in ''|'#'*|';'*) ;; *) _ks_t="$_ks_t$_ks_n:$_ks_l$_ks_nl" ;; esac`,
      `  done < "$f"; } 2>/dev/null`,
      `  printf 'lines:b64='; if [ -n "$_ks_t" ]; then ${snip.b64Value('"$_ks_t"')}; fi; printf '\\n'`,
      "done",
      snip.readFile("target", file),
    ].join("\n");
    const order = facts.init === "systemd" ? "systemd" : "procps";
    return { script, parse: (stdout) => parseSysctl(stdout, args.name, order) };
  },

  predict: (stdout, args, _facts, writes) => predictSysctl(stdout, args.sysctl_file ?? DEFAULT_FILE, writes),

  diff(st, args) {
    const file = args.sysctl_file ?? DEFAULT_FILE;
    const key = args.name;
    const changes: Change<SysctlOp>[] = [];
    const lines = st.target ?? [];
    const own = lines.map((l, i) => ({ i, a: assignment(l) })).filter((x) => x.a && keyMatches(x.a.key, key));
    if (args.state === "absent") {
      if (own.length > 0) {
        const after = lines.filter((_, i) => !own.some((o) => o.i === i));
        changes.push({
          summary: `${key} set to ${norm(own[own.length - 1]!.a!.value)} in ${file}, to remove`,
          field: "file",
          before: norm(own[own.length - 1]!.a!.value),
          after: undefined,
          diff: { path: file, before: text(lines), after: text(after) },
          data: { content: text(after) },
        });
      }
      return changes;
    }
    if (args.value === undefined) throw new ModuleError(`sysctl ${key}: value is required with state: present`);
    const want = norm(String(args.value));
    const have = own.length > 0 ? norm(own[own.length - 1]!.a!.value) : undefined;
    if (have !== want || own.length > 1) {
      const after = setLine(
        lines,
        own.map((o) => o.i),
        key,
        want,
      );
      // With reload: false the running kernel is left alone (e.g. kernel-wide keys on a host that
      // shares its kernel): say what it runs with now, never pretend the new value is live.
      const boot = !(args.reload ?? true) && !args.sysctl_set ? `; takes effect at next boot (live value ${st.live ?? "unknown"})` : "";
      changes.push({
        summary: (have === undefined ? `${key} not set in ${file} (→ ${want})` : `${key} = ${have} in ${file} → ${want}`) + boot,
        field: "file",
        before: have,
        after: want,
        source: own.length > 0 ? `${file}:${own[own.length - 1]!.i + 1}` : file,
        diff: { path: file, before: text(lines), after: text(after) },
        data: { content: text(after), create: st.target === undefined },
      });
    }
    // Files loaded after ours (or shadowing it by name) decide the boot value.
    const ownRank = rankOf(file, st);
    const later = st.settings.filter((s) => s.file !== file && (ownRank === undefined || s.rank >= ownRank));
    const winner = later[later.length - 1];
    if (winner && winner.value !== want) {
      const relation = ownRank !== undefined ? `which overrides ${file}` : `and ${file} is not read at boot`;
      changes.push({
        summary: `${key} also set to ${norm(winner.value)} in ${winner.file}, ${relation}`,
        field: "persisted",
        before: norm(winner.value),
        after: want,
        source: `${winner.file}:${winner.line}`,
        data: { override: winner },
      });
    }
    if ((args.reload ?? true) || args.sysctl_set) {
      // ignoreerrors: Ansible's `sysctl -e` skips a key the running kernel does not have
      if (st.live !== want && !(st.live === undefined && args.ignoreerrors === true)) {
        changes.push({
          summary: st.live === undefined ? `${key} unknown to the running kernel (→ ${want})` : `${key} live ${st.live} → ${want}`,
          field: "live",
          before: st.live,
          after: want,
          source: `/proc/sys/${key.replace(/\./g, "/")}`,
          data: { live: want },
        });
      }
    }
    return changes;
  },

  explain(st, args) {
    const file = args.sysctl_file ?? DEFAULT_FILE;
    if (args.state === "absent") return `${args.name} not set in ${file}`;
    const others = st.settings.filter((s) => s.file !== file).map((s) => `${s.file} (${s.value})`);
    const want = norm(String(args.value));
    const persistedOnly = !(args.reload ?? true) && !args.sysctl_set;
    const live =
      st.live === undefined
        ? persistedOnly
          ? "; the running kernel has no such key (live value unknown)"
          : ""
        : !persistedOnly || st.live === want
          ? " and live"
          : `; live value ${st.live}: takes effect at next boot`;
    return `${args.name} = ${want} in ${file}${live}${others.length ? `; also set in ${others.join(", ")}` : ""}`;
  },

  async apply(host, args, changes) {
    const file = args.sysctl_file ?? DEFAULT_FILE;
    let out = "";
    const ops = changes.map((c) => c.data!);
    // a new file gets 0644; an existing one keeps its mode and owner, as Ansible's atomic_move keeps
    // them (dev-sec os_hardening makes 90-dev-sec.conf 0440 first, then sets its keys in it)
    for (const d of ops) if ("content" in d) await host.writeFile(file, d.content, d.create ? { mode: "0644" } : {});
    const live = ops.find((d) => "live" in d);
    if (live) out += (await host.run(`sysctl -w ${shq(`${args.name}=${live.live}`)}`)).stdout;
    const over = ops.find((d) => "override" in d);
    if (over) {
      const o = over.override;
      throw new ModuleError(
        `${args.name} is also set to ${norm(o.value)} in ${o.file} (line ${o.line}), which is loaded after ${file} and wins at boot; ` +
          `remove it there, or set sysctl_file: ${o.file}`,
      );
    }
    return { stdout: out };
  },
});

/** Collapse runs of whitespace: "4096\t87380  6291456" → "4096 87380 6291456". */
export function norm(v: string): string {
  return v.trim().split(/\s+/).join(" ");
}

/** "net.ipv4.ip_forward" → "net/ipv4/ip_forward"; sysctl.d's slash form keeps dots literal. */
export function procPath(key: string): string {
  const sep = key.search(/[./]/);
  if (sep >= 0 && key[sep] === "/") return key;
  return key.replace(/[./]/g, (c) => (c === "." ? "/" : "."));
}

/** Canonical dotted form for comparing keys written either way. */
function canon(key: string): string {
  return procPath(key).replace(/^-/, "").split("/").join(".");
}

/** A sysctl.d assignment (`[-]key = value`), or undefined for comments and blank lines. */
export function assignment(line: string): { key: string; value: string } | undefined {
  const t = line.trim();
  if (t === "" || t.startsWith("#") || t.startsWith(";")) return undefined;
  const eq = t.indexOf("=");
  if (eq < 0) return undefined;
  return { key: t.slice(0, eq).trim().replace(/^-/, ""), value: t.slice(eq + 1).trim() };
}

/** Whether a key in a file (possibly a glob like net.ipv4.conf.*.rp_filter) sets `key`. */
export function keyMatches(fileKey: string, key: string): boolean {
  const a = canon(fileKey);
  const b = canon(key);
  if (!a.includes("*") && !a.includes("?")) return a === b;
  const re = new RegExp(
    `^${a
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, "[^.]*")
      .replace(/\?/g, "[^.]")}$`,
  );
  return re.test(b);
}

/** Where `file` sits in the load order, or undefined when boot does not read it. */
function rankOf(file: string, st: SysctlState): string | undefined {
  if (file === "/etc/sysctl.conf") return st.etcConfRank;
  const dir = file.slice(0, file.lastIndexOf("/"));
  return SYSCTL_DIRS.includes(dir) && file.endsWith(".conf") ? file.slice(dir.length + 1) : undefined;
}

function text(lines: string[]): string {
  return lines.length ? `${lines.join("\n")}\n` : "";
}

/**
 * The file's lines with `key=value` set: the last line that has the key replaced, the others
 * dropped, or the line appended. A new file holds that line alone, as Ansible's sysctl writes it
 * (no header: the same role leaves the same file under either tool).
 */
function setLine(lines: string[], idx: number[], key: string, value: string): string[] {
  const line = `${key}=${value}`;
  if (idx.length === 0) return [...lines, line];
  const last = idx[idx.length - 1]!;
  return lines.flatMap((l, i) => (i === last ? [line] : idx.includes(i) ? [] : [l]));
}

/** Parses the probe: live value, the load order of every sysctl file, and the managed file. */
export function parseSysctl(stdout: string, key: string, order: "systemd" | "procps"): SysctlState {
  const st: SysctlState = { settings: [] };
  const recs = parseRecords(stdout);
  const live = findRec(recs, "live")?.get("value");
  if (live !== undefined) st.live = norm(live);
  const files = allRecs(recs, "conf").map((r) => {
    const path = r.get("path") ?? "";
    const lines: { n: number; text: string }[] = [];
    for (const raw of (r.get("lines") ?? "").split("\n")) {
      const m = /^(\d+):(.*)$/.exec(raw.replace(/\r$/, ""));
      if (m) lines.push({ n: Number(m[1]), text: m[2]! });
    }
    return { path, real: r.get("real") || path, lines };
  });
  const target = fileOf(recs, "target");
  if (target.type === "file") {
    const text = target.content?.toString("utf8") ?? "";
    st.target =
      text === ""
        ? []
        : text
            .replace(/\n$/, "")
            .split("\n")
            .map((l) => l.replace(/\r$/, ""));
  }
  // Same file name in several directories: the first directory (highest priority) wins.
  const byName = new Map<string, (typeof files)[number]>();
  let etcConf: (typeof files)[number] | undefined;
  for (const f of files) {
    if (f.path === "/etc/sysctl.conf") {
      etcConf = f;
      continue;
    }
    const base = f.path.slice(f.path.lastIndexOf("/") + 1);
    if (!byName.has(base)) byName.set(base, f);
  }
  const ordered = [...byName.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((k) => byName.get(k)!);
  const ranked = ordered.map((f) => ({ f, rank: f.path.slice(f.path.lastIndexOf("/") + 1) }));
  if (order === "procps" && etcConf) ranked.push({ f: etcConf, rank: LAST });
  for (const { f, rank } of ranked) {
    // A symlink such as 99-sysctl.conf → /etc/sysctl.conf is reported under the file it points to.
    const isEtcConf = f.real === "/etc/sysctl.conf";
    if (isEtcConf && (st.etcConfRank === undefined || rank > st.etcConfRank)) st.etcConfRank = rank;
    for (const l of f.lines) {
      const a = assignment(l.text);
      if (a && keyMatches(a.key, key)) st.settings.push({ file: isEtcConf ? "/etc/sysctl.conf" : f.path, line: l.n, value: norm(a.value), rank });
    }
  }
  return st;
}

/**
 * The probe's output once `writes` installed files, assuming nothing else changed (module.ts
 * `predict`): three keys in one managed file then plan in one batch. Only writes of the managed
 * file are predicted: its @conf record (grep -n of its non-comment lines, in the glob's C order when
 * the file is new) and its @file record. Anything else in a sysctl folder: undefined (unknown).
 */
export function predictSysctl(stdout: string, file: string, writes: readonly FileWrite[], root = ""): string | undefined {
  // `root`: tests run the probe with every folder under a temporary one
  const dirs = SYSCTL_DIRS.map((d) => root + d);
  const etcConf = `${root}/etc/sysctl.conf`;
  let content: Buffer | undefined;
  for (const w of writes) {
    if (w.path === file) content = w.content;
    else if (w.path === etcConf || dirs.some((d) => w.path.startsWith(`${d}/`))) return undefined;
  }
  if (content === undefined) return stdout;
  if (content.includes(0)) return undefined; // grep would say "binary file matches"
  // the output as records: each a "@kind id" line and its field lines
  const blocks: string[][] = [];
  for (const line of stdout.split("\n")) {
    if (line.startsWith("@")) blocks.push([line]);
    else if (line !== "") {
      if (!blocks.length) return undefined;
      blocks[blocks.length - 1]!.push(line);
    }
  }
  const pathOf = (b: string[]) => (b[0] === "@conf" ? b.find((l) => l.startsWith("path="))?.slice(5) : undefined);
  const b64 = (buf: Buffer) => buf.toString("base64");
  const text = content.toString("latin1");
  const kept = (text.endsWith("\n") ? text.slice(0, -1) : text).split("\n");
  const grep = text === "" ? "" : kept.flatMap((l, i) => (/^[ \t\n\v\f\r]*([#;]|$)/.test(l) ? [] : [`${i + 1}:${l}\n`])).join("");
  const lines = `lines:b64=${b64(Buffer.from(grep, "latin1"))}`;
  const target = blocks.findIndex((b) => b[0] === "@file target");
  if (target < 0) return undefined;
  blocks[target] = ["@file target", "exists=1", "type=file", "readable=1", `content:b64=${b64(content)}`];
  const dir = file.slice(0, file.lastIndexOf("/"));
  const loaded = file === etcConf || (dirs.includes(dir) && file.endsWith(".conf"));
  const own = blocks.findIndex((b) => pathOf(b) === file);
  if (own >= 0) {
    const i = blocks[own]!.findIndex((l) => l.startsWith("lines:b64="));
    if (i < 0) return undefined;
    blocks[own]![i] = lines;
  } else if (loaded) {
    // a new file: where the probe's loop meets it (the folders in order, names in C order, /etc/sysctl.conf last)
    const order = (p: string) => {
      const d = p === etcConf ? dirs.length : dirs.indexOf(p.slice(0, p.lastIndexOf("/")));
      return [d, Buffer.from(p)] as const;
    };
    const [fd, fb] = order(file);
    let at = blocks.findIndex((b) => {
      const p = pathOf(b);
      if (p === undefined) return b[0] === "@file target";
      const [d, pb] = order(p);
      return d > fd || (d === fd && Buffer.compare(pb, fb) > 0);
    });
    if (at < 0) at = blocks.length;
    blocks.splice(at, 0, ["@conf", `path=${file}`, `real=${file}`, lines]);
  }
  return blocks.map((b) => b.join("\n") + "\n").join("");
}
