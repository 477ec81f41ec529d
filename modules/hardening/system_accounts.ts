// hardening.system_accounts: system accounts (UID below UID_MIN of /etc/login.defs, other than
// root and the `exempt` ones) have no login shell. apply sets their shell to `shell` with usermod.
// The account keel connects as is never changed (keel never locks out its own login).
import { defineModule } from "../../engine/core/module.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { snip } from "../../engine/core/snippets.js";
import { shq } from "../../engine/core/shell.js";
import { listed } from "./check-common.js";

export interface SystemAccountsArgs {
  shell?: string;
  exempt?: string[];
}

interface Account {
  name: string;
  uid: number;
  shell: string;
}

interface St {
  uidMin: number;
  accounts: Account[];
  me: string;
}

const NOLOGIN = ["/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false"];
const EXEMPT = ["root", "sync", "shutdown", "halt"];

export default defineModule<SystemAccountsArgs, St, string[]>({
  name: "hardening.system_accounts",
  description:
    "Ensure system accounts (UID below UID_MIN, except root, sync, shutdown, halt) have no login shell; sets it to /usr/sbin/nologin. Never changes the account keel connects as.",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      shell: { type: "string", enum: NOLOGIN, default: "/usr/sbin/nologin", description: "The non-login shell to give them." },
      exempt: {
        type: "array",
        items: { type: "string", pattern: "^[A-Za-z0-9_.][A-Za-z0-9_.-]*\\$?$" },
        default: EXEMPT,
        description: "Accounts left alone (account names).",
      },
    },
  },
  resource: () => "login shells of system accounts",
  probe: () => ({
    script: [
      snip.cmd("uidmin", "awk '$1 == \"UID_MIN\" { print $2 }' /etc/login.defs"),
      snip.cmd("passwd", "cat /etc/passwd"),
      snip.field("me", '"${SUDO_USER:-$(id -un)}"'),
    ].join("\n"),
    parse(out) {
      const recs = parseRecords(out);
      const accounts = (findRec(recs, "cmd", "passwd")?.get("out") ?? "")
        .split("\n")
        .map((l) => l.split(":"))
        .filter((f) => f.length >= 7)
        .map((f) => ({ name: f[0]!, uid: Number(f[2]), shell: f[6]! }));
      const m = recs.flatMap((r) => (r.has("me") ? [r.get("me")!] : []));
      return { uidMin: Number((findRec(recs, "cmd", "uidmin")?.get("out") ?? "").trim()) || 1000, accounts, me: m[0] ?? "" };
    },
  }),
  diff(st, a) {
    const exempt = new Set([...(a.exempt ?? EXEMPT), "root"]);
    const bad = st.accounts.filter((x) => x.uid < st.uidMin && !exempt.has(x.name) && !NOLOGIN.includes(x.shell) && x.name !== st.me);
    if (!bad.length) return [];
    return [
      {
        summary: `${bad.length} system account(s) with a login shell: ${listed(bad.map((b) => `${b.name} (${b.shell || "no shell"})`))} → ${a.shell ?? NOLOGIN[0]}`,
        field: "shell",
        before: bad.map((b) => `${b.name}:${b.shell}`),
        after: a.shell ?? NOLOGIN[0],
        data: bad.map((b) => b.name),
      },
    ];
  },
  explain: (st) => `every system account below UID ${st.uidMin} has a non-login shell`,
  async apply(host, a, changes) {
    for (const name of changes[0]!.data!) await host.run(`usermod -s ${shq(a.shell ?? NOLOGIN[0]!)} ${shq(name)}`);
  },
});
