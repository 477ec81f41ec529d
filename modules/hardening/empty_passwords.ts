// hardening.empty_passwords: no account has an empty password field in /etc/shadow (anyone could
// log in as it where PAM allows nullok). Read-only: reports the accounts, changes nothing.
import { defineModule } from "../../engine/core/module.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { snip } from "../../engine/core/snippets.js";
import { ModuleError } from "../../engine/core/errors.js";
import { finding, lines, listed, reportOnly } from "./check-common.js";

export default defineModule<Record<string, never>, { readable: boolean; empty: string[] }>({
  name: "hardening.empty_passwords",
  description: "Check that no account has an empty password in /etc/shadow. Read-only: reports the accounts as evidence, changes nothing.",
  args: { type: "object", additionalProperties: false, properties: {} },
  resource: () => "accounts with an empty password",
  probe: () => ({
    script: [snip.cmd("empty", "awk -F: '$2 == \"\" { print $1 }' /etc/shadow"), snip.cmd("readable", "test -r /etc/shadow")].join("\n"),
    parse(out) {
      const recs = parseRecords(out);
      return { readable: findRec(recs, "cmd", "readable")?.int("rc") === 0, empty: lines(findRec(recs, "cmd", "empty")?.get("out")) };
    },
  }),
  diff(st) {
    if (!st.readable) throw new ModuleError("cannot read /etc/shadow: run this check with become: true");
    return st.empty.length ? [finding(`${st.empty.length} account(s) with an empty password: ${listed(st.empty)}`, "empty_passwords", st.empty)] : [];
  },
  explain: () => "no account in /etc/shadow has an empty password",
  async apply(_h, _a, changes) {
    reportOnly("hardening.empty_passwords", changes, "lock each listed account (passwd -l NAME) or give it a password");
  },
});
