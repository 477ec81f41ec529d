// patches.hold: keep packages at their installed version (apt-mark hold, dnf versionlock) or
// release them. A held package is never upgraded by patches.upgrade and shows in `keel patch report`.
import { defineModule, type Change } from "../../engine/core/module.js";
import { InputError } from "../../engine/core/errors.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { snip } from "../../engine/core/snippets.js";
import { shJoin } from "../../engine/core/shell.js";
import { patchBackend } from "./backends.js";
import { parseDpkg } from "./apt-parse.js";
import { parseVersionlock } from "./dnf-parse.js";

export interface HoldArgs {
  name: string | string[];
  state?: "held" | "unheld";
}

export interface HoldState {
  /** Requested names that are on hold now. */
  held: string[];
  /** Requested names the package manager knows as installed. */
  installed: string[];
}

const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.+:-]*$/;

function names(args: HoldArgs): string[] {
  const raw = Array.isArray(args.name) ? args.name : args.name.split(",");
  return [...new Set(raw.map((n) => n.trim()).filter(Boolean))];
}

type HoldOp = { op: "hold" | "unhold"; name: string };

export default defineModule<HoldArgs, HoldState, HoldOp>({
  name: "patches.hold",
  description:
    "Keep packages at their installed version (apt: apt-mark hold, the dpkg selection `hold`; dnf: a versionlock entry) or release them. " +
    "patches.upgrade never upgrades a held package and reports it.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["name"],
    properties: {
      name: {
        description: "Package name, or a list of them (a string may list names separated by commas).",
        oneOf: [
          { type: "string", minLength: 1 },
          { type: "array", items: { type: "string", minLength: 1 }, minItems: 1 },
        ],
      },
      state: { description: "`held`: on hold. `unheld`: not on hold (free to upgrade).", enum: ["held", "unheld"], default: "held" },
    },
  },

  validate(args) {
    for (const n of names(args)) {
      if (!NAME_RE.test(n)) throw new InputError(`invalid package name '${n}'`, undefined, "use letters, digits and . + - _ : only");
    }
  },

  resource(args) {
    const n = names(args);
    return n.length === 1 ? `hold ${n[0]}` : `hold ${n.join(", ")}`;
  },

  probe(args, facts) {
    const be = patchBackend(facts);
    const list = shJoin(names(args));
    const script =
      be.manager === "apt"
        ? ["LC_ALL=C; export LC_ALL", snip.cmd("pkgs", `dpkg-query -W -f='\${binary:Package}\\t\${Version}\\t\${db:Status-Abbrev}\\n' ${list}`)].join("\n")
        : ["LC_ALL=C; export LC_ALL", snip.cmd("locks", "dnf -q -C versionlock list"), snip.cmd("pkgs", `rpm -q --qf '%{NAME}\\n' ${list}`)].join("\n");
    return {
      script,
      parse(stdout) {
        const recs = parseRecords(stdout);
        const want = new Set(names(args));
        const out = findRec(recs, "cmd", "pkgs")?.get("out") ?? "";
        if (be.manager === "apt") {
          const d = parseDpkg(out).filter((e) => want.has(e.name));
          return { held: d.filter((e) => e.want === "h").map((e) => e.name), installed: d.filter((e) => e.status === "i").map((e) => e.name) };
        }
        const locks = parseVersionlock(findRec(recs, "cmd", "locks")?.get("out") ?? "");
        const installed = out
          .split("\n")
          .map((l) => l.trim())
          .filter((l) => want.has(l));
        return { held: locks.filter((l) => want.has(l)), installed };
      },
    };
  },

  diff(st, args) {
    const hold = (args.state ?? "held") === "held";
    const changes: Change<HoldOp>[] = [];
    for (const n of names(args)) {
      const isHeld = st.held.includes(n);
      if (hold && !isHeld)
        changes.push({ summary: `package ${n} not on hold, to hold`, field: "hold", before: false, after: true, data: { op: "hold", name: n } });
      if (!hold && isHeld)
        changes.push({ summary: `package ${n} on hold, to release`, field: "hold", before: true, after: false, data: { op: "unhold", name: n } });
    }
    return changes;
  },

  explain(_st, args) {
    const n = names(args);
    return (args.state ?? "held") === "held" ? `${n.join(", ")} on hold` : `${n.join(", ")} not on hold`;
  },

  async apply(host, _args, changes) {
    const be = patchBackend(host.facts);
    const ops = changes.map((c) => c.data!);
    const hold = ops.filter((o) => o.op === "hold").map((o) => o.name);
    const unhold = ops.filter((o) => o.op === "unhold").map((o) => o.name);
    const outs: string[] = [];
    if (hold.length) outs.push((await be.hold(host, hold)).stdout ?? "");
    if (unhold.length) outs.push((await be.unhold(host, unhold)).stdout ?? "");
    return { stdout: outs.join("") };
  },
});
