// hardening.uid0: only the allowed accounts (root) have UID 0. Read-only: it reports the other
// UID 0 accounts as evidence and changes nothing (which account is legitimate is a person's call).
import { defineModule } from "../../engine/core/module.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { snip } from "../../engine/core/snippets.js";
import { finding, lines, listed, reportOnly } from "./check-common.js";

export interface Uid0Args {
  allow?: string[];
}

export default defineModule<Uid0Args, { uid0: string[] }>({
  name: "hardening.uid0",
  description: "Check that no account but the allowed ones (root) has UID 0. Read-only: reports the offending accounts as evidence, changes nothing.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      allow: { type: "array", items: { type: "string", pattern: "^[A-Za-z0-9._-]+$" }, default: ["root"], description: "Accounts allowed to have UID 0." },
    },
  },
  resource: () => "accounts with UID 0",
  probe: () => ({
    script: snip.cmd("uid0", "awk -F: '$3 == 0 { print $1 }' /etc/passwd"),
    parse: (out) => ({ uid0: lines(findRec(parseRecords(out), "cmd", "uid0")?.get("out")) }),
  }),
  diff(st, a) {
    const allow = a.allow ?? ["root"];
    const extra = st.uid0.filter((u) => !allow.includes(u));
    return extra.length ? [finding(`${extra.length} account(s) besides ${allow.join(", ")} with UID 0: ${listed(extra)}`, "uid0", extra)] : [];
  },
  explain: (st) => `only ${st.uid0.join(", ")} has UID 0`,
  async apply(_h, _a, changes) {
    reportOnly("hardening.uid0", changes, "give each listed account its own UID (usermod -u) or remove it");
  },
});
