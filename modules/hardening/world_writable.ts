// hardening.world_writable: no world-writable files, and no world-writable directories without
// the sticky bit, on the local file systems under `paths`. Read-only: reports the paths (at most
// `limit` are read back; the count is exact), changes nothing: which mode is right for a file
// depends on what it is.
import { defineModule } from "../../engine/core/module.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { snip } from "../../engine/core/snippets.js";
import { shq } from "../../engine/core/shell.js";
import { capped, finding, listed, reportOnly, uncap } from "./check-common.js";

export interface WorldWritableArgs {
  paths?: string[];
  exclude?: string[];
  limit?: number;
}

interface St {
  files: string[];
  dirs: string[];
  fileCount: number;
  dirCount: number;
}

export default defineModule<WorldWritableArgs, St>({
  name: "hardening.world_writable",
  description:
    "Check that no file is world-writable and every world-writable directory has the sticky bit, on local file systems (find -xdev). Read-only: reports the paths as evidence, changes nothing.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      paths: {
        type: "array",
        items: { type: "string", pattern: "^/[^\\n\\r\\0]*$" },
        default: ["/"],
        description: "Where to look; each on its own file system only (-xdev).",
      },
      exclude: {
        type: "array",
        items: { type: "string", pattern: "^/[^\\n\\r\\0]*$" },
        default: ["/proc", "/sys", "/dev", "/run"],
        description: "Paths not searched.",
      },
      limit: { type: "integer", minimum: 1, default: 200, description: "At most this many paths of each kind are read back (the counts are exact)." },
    },
  },
  resource: (a) => `world-writable paths under ${(a.paths ?? ["/"]).join(" ")}`,
  probe(a) {
    const prune = (a.exclude ?? ["/proc", "/sys", "/dev", "/run"]).map((p) => `-path ${shq(p)} -prune -o`).join(" ");
    const roots = (a.paths ?? ["/"]).map(shq).join(" ");
    const limit = a.limit ?? 200;
    const find = (test: string) => `find ${roots} -xdev ${prune} ${test} -print 2>/dev/null`;
    return {
      script: [
        snip.cmd("files", `${find("-type f -perm -0002")} | ${capped(limit)}`),
        snip.cmd("dirs", `${find("-type d -perm -0002 ! -perm -1000")} | ${capped(limit)}`),
      ].join("\n"),
      parse(out) {
        const recs = parseRecords(out);
        const f = uncap(findRec(recs, "cmd", "files")?.get("out"));
        const d = uncap(findRec(recs, "cmd", "dirs")?.get("out"));
        return { fileCount: f.count, files: f.paths, dirCount: d.count, dirs: d.paths };
      },
    };
  },
  diff(st) {
    const out = [];
    if (st.fileCount) out.push(finding(`${st.fileCount} world-writable file(s): ${listed(st.files)}`, "files", st.files));
    if (st.dirCount) out.push(finding(`${st.dirCount} world-writable director(y/ies) without the sticky bit: ${listed(st.dirs)}`, "dirs", st.dirs));
    return out;
  },
  explain: (_s, a) => `no world-writable file, every world-writable directory sticky, under ${(a.paths ?? ["/"]).join(" ")}`,
  async apply(_h, _a, changes) {
    reportOnly("hardening.world_writable", changes, "remove the write bit for others (chmod o-w PATH) or set the sticky bit on directories (chmod +t DIR)");
  },
});
