// hardening.kernel_module: a kernel module can never be loaded: `install NAME /bin/false` (every
// load runs /bin/false instead) and `blacklist NAME` (no autoloading by alias) in a modprobe.d file.
//
// The probe reads every modprobe.d folder and judges the EFFECTIVE configuration as kmod reads it:
// files sorted by name across /etc, /run, /usr/local/lib, /usr/lib and /lib (a name in an earlier
// folder hides the same name in later ones), and for `install` the FIRST rule for the module wins.
// A rule in another file that wins over keel's is reported, and apply fails naming it. Whether the
// module is loaded in the running kernel is reported, never changed: it stays until reboot.
import { defineModule, folderEntries, type Change } from "../../engine/core/module.js";
import { ModuleError } from "../../engine/core/errors.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { snip } from "../../engine/core/snippets.js";
import { shq } from "../../engine/core/shell.js";

export interface KernelModuleArgs {
  name: string;
  file?: string;
}

export interface Rule {
  file: string;
  kind: "install" | "blacklist";
  command?: string;
}

interface St {
  /** Rules for this module in load order (files sorted by name, earlier folders hiding later ones). */
  rules: Rule[];
  file: { exists: boolean; text: string };
  loaded: boolean;
}

export const MODPROBE_DIRS = ["/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d", "/lib/modprobe.d"];
const canon = (m: string) => m.replace(/-/g, "_");
const fileOf = (a: KernelModuleArgs) => a.file ?? `/etc/modprobe.d/keel-hardening-${a.name}.conf`;
const wanted = (a: KernelModuleArgs) =>
  `# Managed by keel (hardening.kernel_module): ${a.name} is never loaded.\ninstall ${canon(a.name)} /bin/false\nblacklist ${canon(a.name)}\n`;

/** What apply does for one change: write keel's file with this content, or fail naming the rule that wins over it. */
export type KernelModuleOp = { op: "write"; content: string } | { op: "overridden" };

export default defineModule<KernelModuleArgs, St, KernelModuleOp>({
  name: "hardening.kernel_module",
  description:
    "Ensure a kernel module can never be loaded (install NAME /bin/false, blacklist NAME in modprobe.d), judged by the effective modprobe configuration; a loaded module is reported (it stays loaded until reboot).",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["name"],
    properties: {
      name: { type: "string", pattern: "^[A-Za-z0-9_-]+$", description: "The module (dashes and underscores are the same to modprobe)." },
      file: {
        type: "string",
        pattern: "^/[^\\n\\r\\0]*\\.conf$",
        description: "The modprobe.d file keel writes. Default /etc/modprobe.d/keel-hardening-NAME.conf.",
      },
    },
  },
  // The probe reads every modprobe.d folder, keel's file (which may lie elsewhere) and the loaded
  // modules; apply writes keel's file (creating its folder). Declared so that a first run
  // pipelines these tasks (docs/pipelining.md).
  footprint: (a) => ({
    reads: [...MODPROBE_DIRS.map((d) => `file:${d}`), `file:${fileOf(a)}`, "file:/proc/modules"],
    writes: [`file:${fileOf(a)}`, ...folderEntries(fileOf(a))],
  }),
  resource: (a) => `kernel module ${a.name}`,
  probe(a) {
    const m = canon(a.name);
    const pat = `^[[:space:]]*(install|blacklist)[[:space:]]+(${m}|${m.replace(/_/g, "-")})([[:space:]]|$)`;
    const list = `for d in ${MODPROBE_DIRS.join(" ")}; do for f in "$d"/*.conf; do [ -f "$f" ] && printf '%s\\t%s\\n' "\${f##*/}" "$f"; done; done`;
    const scan = `${list} | awk -F '\\t' '!seen[$1]++' | sort -t "$(printf '\\t')" -k1,1 | while IFS="$(printf '\\t')" read -r _n _f; do grep -E ${shq(pat)} "$_f" | sed "s|^|$_f\\t|"; done`;
    return {
      script: [snip.cmd("rules", scan), snip.readFile("file", fileOf(a)), snip.cmd("loaded", `grep -q ${shq(`^${m} `)} /proc/modules`)].join("\n"),
      parse(out) {
        const recs = parseRecords(out);
        const rules: Rule[] = (findRec(recs, "cmd", "rules")?.get("out") ?? "")
          .split("\n")
          .filter(Boolean)
          .map((l) => {
            const [file, rest = ""] = l.split("\t");
            const w = rest.trim().split(/\s+/);
            return w[0] === "install" ? { file: file!, kind: "install" as const, command: w.slice(2).join(" ") } : { file: file!, kind: "blacklist" as const };
          });
        const f = findRec(recs, "file", "file");
        return { rules, file: { exists: f?.get("exists") === "1", text: f?.get("content") ?? "" }, loaded: findRec(recs, "cmd", "loaded")?.int("rc") === 0 };
      },
    };
  },
  diff(st, a) {
    const file = fileOf(a);
    const changes: Change<KernelModuleOp>[] = [];
    const want = wanted(a);
    if (st.file.text !== want)
      changes.push({
        summary: `${file} ${st.file.exists ? "differs" : "missing"} (install ${a.name} /bin/false, blacklist ${a.name})`,
        field: "file",
        diff: { path: file, before: st.file.text, after: want },
        data: { op: "write", content: want },
      });
    const first = st.rules.find((r) => r.kind === "install" && r.file !== file);
    const ours = st.rules.findIndex((r) => r.kind === "install" && r.file === file);
    const firstIdx = first ? st.rules.indexOf(first) : -1;
    const oursWouldWin =
      ours >= 0 ? ours < firstIdx || firstIdx < 0 : !first || file.slice(file.lastIndexOf("/") + 1) < first.file.slice(first.file.lastIndexOf("/") + 1);
    if (first && !oursWouldWin && !/^\/(usr\/)?bin\/(false|true)$/.test(first.command ?? "")) {
      changes.push({
        summary: `${first.file} sets \`install ${a.name} ${first.command}\` first, which wins over ${file}`,
        field: "override",
        before: first.command,
        after: "/bin/false",
        source: first.file,
        data: { op: "overridden" },
      });
    }
    return changes;
  },
  explain(st, a) {
    const first = st.rules.find((r) => r.kind === "install");
    return `install ${a.name} ${first?.command ?? "?"} (first rule: ${first?.file ?? "none"}), blacklisted; ${st.loaded ? "loaded in the running kernel now: stays loaded until reboot" : "not loaded in the running kernel"}`;
  },
  async apply(host, a, changes) {
    const file = fileOf(a);
    for (const { data: op } of changes) {
      if (op?.op !== "write") continue;
      await host.run(`mkdir -p -m 0755 ${shq(file.slice(0, file.lastIndexOf("/")))}`);
      await host.writeFile(file, op.content, { mode: "0644", owner: "root", group: "root" });
    }
    const o = changes.find((c) => c.data?.op === "overridden");
    if (o) throw new ModuleError(`${o.summary}: remove that rule there (modprobe uses the first install rule it reads)`);
  },
});
