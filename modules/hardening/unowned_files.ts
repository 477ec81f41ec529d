// hardening.unowned_files: every file on the local file systems has an owner and a group that
// exist (a UID reused by a new account would inherit them). Read-only: reports the paths (at most
// `limit`; the count is exact), changes nothing.
import { defineModule } from "../../engine/core/module.js";
import { parseRecords } from "../../engine/core/record.js";
import { finding, listed, reportOnly, scanResult, scanRoots, scanSchema, scanScript, type ScanArgs } from "./check-common.js";

export type UnownedArgs = ScanArgs;

export default defineModule<UnownedArgs, { count: number; paths: string[] }>({
  name: "hardening.unowned_files",
  description:
    "Check that every file has an existing owner and group, on local file systems (find -xdev -nouser -o -nogroup). Read-only: reports the paths as evidence, changes nothing.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: scanSchema("At most this many paths are read back (the count is exact)."),
  },
  resource: (a) => `unowned files under ${scanRoots(a)}`,
  probe(a) {
    return {
      script: scanScript("unowned", a, "\\( -nouser -o -nogroup \\)"),
      parse: (out) => scanResult(parseRecords(out), "unowned"),
    };
  },
  diff: (st) => (st.count ? [finding(`${st.count} file(s) without an existing owner or group: ${listed(st.paths)}`, "unowned", st.paths)] : []),
  explain: (_s, a) => `every file under ${scanRoots(a)} has an existing owner and group`,
  async apply(_h, _a, changes) {
    reportOnly("hardening.unowned_files", changes, "chown each listed path to the account and group that should own it, or remove it");
  },
});
