// hardening.world_writable: no world-writable files, and no world-writable directories without
// the sticky bit, on the local file systems under `paths`. Read-only: reports the paths (at most
// `limit` are read back; the count is exact), changes nothing: which mode is right for a file
// depends on what it is.
import { defineModule } from "../../engine/core/module.js";
import { parseRecords } from "../../engine/core/record.js";
import { finding, listed, reportOnly, scanResult, scanRoots, scanSchema, scanScript, type ScanArgs } from "./check-common.js";

export type WorldWritableArgs = ScanArgs;

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
    properties: scanSchema("At most this many paths of each kind are read back (the counts are exact)."),
  },
  resource: (a) => `world-writable paths under ${scanRoots(a)}`,
  probe(a) {
    return {
      script: [scanScript("files", a, "-type f -perm -0002"), scanScript("dirs", a, "-type d -perm -0002 ! -perm -1000")].join("\n"),
      parse(out) {
        const recs = parseRecords(out);
        const f = scanResult(recs, "files");
        const d = scanResult(recs, "dirs");
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
  explain: (_s, a) => `no world-writable file, every world-writable directory sticky, under ${scanRoots(a)}`,
  async apply(_h, _a, changes) {
    reportOnly("hardening.world_writable", changes, "remove the write bit for others (chmod o-w PATH) or set the sticky bit on directories (chmod +t DIR)");
  },
});
