// hardening.unowned_files: every file on the local file systems has an owner and a group that
// exist (a UID reused by a new account would inherit them). Read-only: reports the paths (at most
// `limit`; the count is exact), changes nothing.
import { defineModule } from "../../engine/core/module.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { snip } from "../../engine/core/snippets.js";
import { shq } from "../../engine/core/shell.js";
import { capped, finding, listed, reportOnly, uncap } from "./check-common.js";

export interface UnownedArgs {
  paths?: string[];
  exclude?: string[];
  limit?: number;
}

export default defineModule<UnownedArgs, { count: number; paths: string[] }>({
  name: "hardening.unowned_files",
  description:
    "Check that every file has an existing owner and group, on local file systems (find -xdev -nouser -o -nogroup). Read-only: reports the paths as evidence, changes nothing.",
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
      limit: { type: "integer", minimum: 1, default: 200, description: "At most this many paths are read back (the count is exact)." },
    },
  },
  resource: (a) => `unowned files under ${(a.paths ?? ["/"]).join(" ")}`,
  probe(a) {
    const prune = (a.exclude ?? ["/proc", "/sys", "/dev", "/run"]).map((p) => `-path ${shq(p)} -prune -o`).join(" ");
    const roots = (a.paths ?? ["/"]).map(shq).join(" ");
    return {
      script: snip.cmd("unowned", `find ${roots} -xdev ${prune} \\( -nouser -o -nogroup \\) -print 2>/dev/null | ${capped(a.limit ?? 200)}`),
      parse(out) {
        return uncap(findRec(parseRecords(out), "cmd", "unowned")?.get("out"));
      },
    };
  },
  diff: (st) => (st.count ? [finding(`${st.count} file(s) without an existing owner or group: ${listed(st.paths)}`, "unowned", st.paths)] : []),
  explain: (_s, a) => `every file under ${(a.paths ?? ["/"]).join(" ")} has an existing owner and group`,
  async apply(_h, _a, changes) {
    reportOnly("hardening.unowned_files", changes, "chown each listed path to the account and group that should own it, or remove it");
  },
});
