// system.locale_gen — community.general.locale_gen: a locale is compiled (present) or not (absent),
// as Ansible's module decides and does it:
//   - "present" means `locale -a` lists it (compared after Ansible's fix_case: .utf8 → .UTF-8…);
//   - the name must be available: a line "[#] NAME CHARSET" of /etc/locale.gen (Debian), or of
//     /usr/share/i18n/SUPPORTED when /var/lib/locales/supported.d/ exists (Ubuntu's scheme);
//   - Debian: apply un-comments (present) or comments out (absent) NAME's line of /etc/locale.gen
//     with Ansible's own substitution, then runs `locale-gen`, which rebuilds every enabled locale;
//   - Ubuntu: `locale-gen NAME` (present); absent drops NAME from supported.d/local and runs
//     `locale-gen --purge`.
// The new /etc/locale.gen is computed in diff (pure), so check mode and drift show the exact edit.
import { defineModule } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import { parseRecords } from "../../engine/core/record.js";
import { fileOf, outLines, snip, statOf } from "../../engine/core/snippets.js";
import { shq } from "../../engine/core/shell.js";

export interface LocaleGenArgs {
  name: string;
  state?: "present" | "absent";
}

export interface LocaleGenState {
  /** /var/lib/locales/supported.d/ is a folder: Ubuntu's scheme. */
  ubuntu: boolean;
  /** /etc/locale.gen's text (undefined: no such file). */
  localeGen?: string;
  /** /etc/locale.gen's mode/owner, kept when it is rewritten. */
  localeGenMode?: string;
  localeGenUid?: number;
  localeGenGid?: number;
  /** Ubuntu: /usr/share/i18n/SUPPORTED and /var/lib/locales/supported.d/local (undefined: missing). */
  supported?: string;
  supportedLocal?: string;
  /** `locale -a`, one name a line. */
  compiled: string[];
}

/** What apply does: Debian writes /etc/locale.gen (when its text changes) then runs locale-gen; Ubuntu runs its own steps. */
export type LocaleGenOp = { op: "debian"; content?: string } | { op: "ubuntu_present" } | { op: "ubuntu_absent"; local: string };

const LOCALE_GEN = "/etc/locale.gen";
const SUPPORTED_D = "/var/lib/locales/supported.d";
const SUPPORTED = "/usr/share/i18n/SUPPORTED";
const SUPPORTED_LOCAL = "/var/lib/locales/supported.d/local";

/** Ansible's LOCALE_NORMALIZATION, applied in this order by fix_case. */
const NORMALIZATION: ReadonlyArray<[string, string]> = [
  [".utf8", ".UTF-8"],
  [".eucjp", ".EUC-JP"],
  [".iso885915", ".ISO-8859-15"],
  [".cp1251", ".CP1251"],
  [".koi8r", ".KOI8-R"],
  [".armscii8", ".ARMSCII-8"],
  [".euckr", ".EUC-KR"],
  [".gbk", ".GBK"],
  [".gb18030", ".GB18030"],
  [".euctw", ".EUC-TW"],
];

export default defineModule<LocaleGenArgs, LocaleGenState, LocaleGenOp>({
  name: "system.locale_gen",
  aliases: ["locale_gen", "community.general.locale_gen"],
  description:
    "Ensure a locale is compiled (present) or not (absent), as community.general.locale_gen: edits /etc/locale.gen and runs locale-gen (Debian), or Ubuntu's locale-gen NAME / supported.d scheme.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["name"],
    properties: {
      name: {
        type: "string",
        minLength: 1,
        description: 'Name and encoding of the locale, such as "en_GB.UTF-8" (as /etc/locale.gen or SUPPORTED writes it).',
      },
      state: { enum: ["present", "absent"], default: "present", description: "Whether the locale shall be compiled (listed by `locale -a`)." },
    },
  },
  resource: (a) => `locale ${a.name}`,

  validate(a) {
    // The name becomes part of a line of /etc/locale.gen and a locale-gen argument.
    if (/[\s\0]/.test(a.name)) throw new ArgError("name", `invalid locale name ${JSON.stringify(a.name)}: it must not hold white space`, "name: en_GB.UTF-8");
  },

  probe() {
    return {
      script: [
        snip.begin("locale"),
        `if [ -d ${SUPPORTED_D}/ ]; then printf 'ubuntu=1\\n'; else printf 'ubuntu=0\\n'; fi`,
        snip.stat("localegen", LOCALE_GEN, { follow: true }),
        snip.readFile("localegen", LOCALE_GEN),
        `if [ -d ${SUPPORTED_D}/ ]; then`,
        snip.readFile("supported", SUPPORTED),
        snip.readFile("local", SUPPORTED_LOCAL),
        `fi`,
        snip.out("compiled", "locale -a"),
      ].join("\n"),
      parse(stdout) {
        const recs = parseRecords(stdout);
        const rec = recs.find((r) => r.kind === "locale");
        if (!rec) throw new ModuleError(`unexpected probe output: ${JSON.stringify(stdout.slice(0, 200))}`);
        const st: LocaleGenState = { ubuntu: rec.get("ubuntu") === "1", compiled: outLines(recs, "compiled") };
        const gen = fileOf(recs, "localegen");
        if (gen.exists && gen.type === "file") {
          if (gen.content === undefined) throw new ModuleError(`cannot read ${LOCALE_GEN}: permission denied`);
          st.localeGen = gen.content.toString("utf8");
          const s = statOf(recs, "localegen");
          if (s?.mode !== undefined) st.localeGenMode = s.mode;
          if (s?.uid !== undefined) st.localeGenUid = s.uid;
          if (s?.gid !== undefined) st.localeGenGid = s.gid;
        }
        const sup = fileOf(recs, "supported");
        if (sup.content !== undefined) st.supported = sup.content.toString("utf8");
        const local = fileOf(recs, "local");
        if (local.content !== undefined) st.supportedLocal = local.content.toString("utf8");
        return st;
      },
    };
  },

  diff(st, a) {
    const want = a.state ?? "present";
    if (!st.ubuntu && st.localeGen === undefined)
      throw new ModuleError('/etc/locale.gen and /var/lib/locales/supported.d/local are missing. Is the package "locales" installed?');
    if (!isAvailable(a.name, st)) throw new ModuleError("The locale you've entered is not available on your system.");
    const present = isPresent(a.name, st.compiled);
    if (present === (want === "present")) return [];
    const summary = want === "present" ? `locale ${a.name} not compiled, to generate` : `locale ${a.name} compiled, to remove`;
    const base = { field: "state", before: present ? "present" : "absent", after: want };
    if (st.ubuntu) {
      if (want === "present") return [{ summary: `${summary} (locale-gen ${a.name})`, ...base, data: { op: "ubuntu_present" } }];
      if (st.supportedLocal === undefined) throw new ModuleError(`[Errno 2] No such file or directory: '${SUPPORTED_LOCAL}'`);
      const local = dropFromSupportedLocal(st.supportedLocal, a.name);
      return [
        {
          summary: `${summary} (${SUPPORTED_LOCAL}, then locale-gen --purge)`,
          ...base,
          ...(local !== st.supportedLocal ? { diff: { path: SUPPORTED_LOCAL, before: st.supportedLocal, after: local } } : {}),
          data: { op: "ubuntu_absent", local },
        },
      ];
    }
    const before = st.localeGen!;
    const after = setLocale(before, a.name, want === "present");
    const edited = after !== before;
    return [
      {
        summary: `${summary} (${edited ? `${want === "present" ? "enable" : "comment out"} its line in ${LOCALE_GEN}, ` : ""}then locale-gen)`,
        ...base,
        ...(edited ? { diff: { path: LOCALE_GEN, before, after } } : {}),
        data: edited ? { op: "debian", content: after } : { op: "debian" },
      },
    ];
  },

  explain(_st, a) {
    return (a.state ?? "present") === "present" ? `locale ${a.name} is compiled (locale -a)` : `locale ${a.name} is not compiled (locale -a)`;
  },

  // community.general's locale_gen: name and msg "OK" after a run; in check mode it exits with
  // `changed` alone
  result(_st, a, _facts, mode) {
    return mode?.check ? {} : { name: a.name, msg: "OK" };
  },

  async apply(host, a, changes, st) {
    const op = changes[0]?.data;
    if (!op) return;
    let r;
    if (op.op === "debian") {
      if (op.content !== undefined) {
        await host.writeFile(LOCALE_GEN, op.content, {
          ...(st.localeGenMode !== undefined ? { mode: st.localeGenMode } : {}),
          ...(st.localeGenUid !== undefined ? { owner: String(st.localeGenUid) } : {}),
          ...(st.localeGenGid !== undefined ? { group: String(st.localeGenGid) } : {}),
        });
      }
      r = await host.run("locale-gen", { check: false });
    } else if (op.op === "ubuntu_present") {
      r = await host.run(`locale-gen ${shq(a.name)}`, { check: false });
    } else {
      await host.writeFile(SUPPORTED_LOCAL, op.local);
      r = await host.run("locale-gen --purge", { check: false });
    }
    if (r.rc !== 0) {
      const msg = `[Errno ${r.rc}] locale.gen failed to execute, it returned ${r.rc}`;
      return { failed: msg, msg, stdout: r.stdout, stderr: r.stderr, data: { exitValue: r.rc } };
    }
    return { msg: "OK", data: { name: a.name } };
  },
});

/** Ansible's fix_case: `locale -a` may print the encoding in lower case. */
export function fixCase(name: string): string {
  let out = name;
  for (const [s, r] of NORMALIZATION) out = out.split(s).join(r);
  return out;
}

/** Ansible's is_present: `locale -a` lists the name, after fix_case on both sides. */
export function isPresent(name: string, compiled: readonly string[]): boolean {
  const want = fixCase(name);
  return compiled.some((l) => fixCase(l) === want);
}

/** Python's text-mode read: universal newlines, then its line iteration (each line keeps its "\n"). */
function pyLines(text: string): string[] {
  return text.replace(/\r\n?/g, "\n").match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Ansible's is_available: a "[#] NAME CHARSET" line of /etc/locale.gen, or "NAME CHARSET" of SUPPORTED (Ubuntu). */
export function isAvailable(name: string, st: LocaleGenState): boolean {
  const re = st.ubuntu ? /^(\S+_\S+) (\S+)\s*$/ : /^#?\s*(\S+_\S+) (\S+)\s*$/;
  const text = st.ubuntu ? st.supported : st.localeGen;
  if (text === undefined) return false;
  return pyLines(text).some((l) => re.exec(l)?.[1] === name);
}

/**
 * Ansible's set_locale: on every line, re.sub(r'#{0,1}\s*NAME (?P<charset>.+)', 'NAME \g<charset>'
 * or '# NAME \g<charset>'). NAME is put in the pattern unescaped, as Ansible does: its dots match
 * any character; every other character of a locale name is literal.
 */
export function setLocale(text: string, name: string, enabled: boolean): string {
  const pat = name.replace(/[\\^$*+?()[\]{}|/-]/g, "\\$&");
  const re = new RegExp(`#?\\s*${pat} (.+)`, "g");
  const repl = enabled ? `${name} ` : `# ${name} `;
  return pyLines(text)
    .map((l) => l.replace(re, (_m, charset: string) => `${repl}${charset}`))
    .join("");
}

/** Ansible's apply_change_ubuntu for absent: supported.d/local without NAME's lines ("locale charset"). */
export function dropFromSupportedLocal(text: string, name: string): string {
  return pyLines(text)
    .filter((l) => {
      const parts = l.split(" ");
      if (parts.length !== 2) throw new ModuleError(`${SUPPORTED_LOCAL}: line ${JSON.stringify(l.replace(/\n$/, ""))} is not "locale charset"`);
      return parts[0] !== name;
    })
    .join("");
}
