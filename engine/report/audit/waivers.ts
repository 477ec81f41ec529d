// Waivers: accepted exceptions, each with a control id, a host pattern, a justification, an
// approver and an expiry date. A waiver never hides a result: the control is still checked and
// shown with what was found; a valid waiver turns a non-pass into `waived`, an expired one makes
// the result a failure that names the waiver. Loading is strict and happens before any host is
// touched: an unknown control id or key, a missing field or a bad date is an InputError at
// file:line:col. The clock is passed in (tests never sleep).
//
//   waivers:
//     - control: ssh.permit-root-login
//       hosts: "bastion*"            # an inventory pattern (group, glob, a:b…); default: all
//       justification: break-glass access, ticket SEC-1234
//       approver: alice@example.com
//       expires: 2027-03-31          # valid through that day (UTC); or an ISO timestamp
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { didYouMean, InputError } from "../../core/errors.js";
import { YamlFile, isMap, isPair, isScalar, isSeq, type Node, type Pair } from "../../core/yaml.js";
import { finalize } from "./score.js";
import type { AppliedWaiver, AuditReport, ControlResult, WaiverRef } from "./model.js";

export interface Waiver extends WaiverRef {
  /** The hosts the pattern matched in the inventory. */
  matches(host: string): boolean;
  /** First instant at which the waiver no longer holds. */
  expiresAt: Date;
}

export interface WaiverFile {
  file: string;
  sha256: string;
  waivers: Waiver[];
}

const FIELDS: Record<string, string> = {
  control: "the id of the control waived",
  hosts: "an inventory host pattern (default all)",
  justification: "why the exception is accepted",
  approver: "who accepted it",
  expires: "YYYY-MM-DD (valid through that day, UTC) or an ISO timestamp",
};
const REQUIRED = ["control", "justification", "approver", "expires"];

/**
 * The JSON Schema of a waivers file (`keel schema waivers`), for editors: the same keys and rules
 * the loader enforces. `controlIds` (the catalog's) become the control's enum, for completion.
 */
export function waiversSchema(controlIds: readonly string[] = []): Record<string, unknown> {
  const oneLine = { type: "string", minLength: 1, pattern: "^[^\\n\\r\\u0000]*\\S[^\\n\\r\\u0000]*$" };
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://keel.dev/schemas/waivers.schema.json",
    title: "keel audit waivers (-w FILE)",
    description:
      "Accepted exceptions to hardening controls. A waiver never hides a result: the control is still checked and shown; a valid waiver turns a non-pass into `waived`, an expired one is a failure that names it.",
    type: "object",
    additionalProperties: false,
    required: ["waivers"],
    properties: {
      waivers: {
        type: "array",
        description: "The waivers.",
        items: {
          type: "object",
          additionalProperties: false,
          required: REQUIRED,
          properties: {
            control: { ...oneLine, description: FIELDS.control, ...(controlIds.length ? { enum: [...controlIds] } : {}) },
            hosts: { ...oneLine, description: FIELDS.hosts, default: "all" },
            justification: { type: "string", minLength: 1, description: FIELDS.justification },
            approver: { ...oneLine, description: FIELDS.approver },
            expires: {
              description: FIELDS.expires,
              anyOf: [
                { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$" },
                { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:?\\d{2})$" },
              ],
            },
          },
        },
      },
    },
  };
}

/**
 * Load and validate a waivers file. `controlIds` are the catalog's ids (a waiver for a control of
 * the catalog that the profile does not select is allowed: it just waives nothing). `matchHosts`
 * resolves a pattern (InputError at `pos` for a bad one).
 */
export function loadWaivers(
  file: string,
  controlIds: readonly string[],
  matchHosts: (pattern: string, pos: import("../../core/errors.js").SourcePos) => string[],
): WaiverFile {
  const y = YamlFile.load(file);
  const bytes = readFileSync(file);
  const out: WaiverFile = { file, sha256: createHash("sha256").update(bytes).digest("hex"), waivers: [] };
  const root = y.root;
  if (!root || !isMap(root))
    throw y.error("a waivers file is a mapping with a `waivers:` list", root ?? 0, "start it with `waivers:` followed by `- control: …` entries");
  for (const p of root.items) {
    const k = keyOf(p);
    if (k !== "waivers") throw y.error(`unknown key '${k}' in a waivers file`, p, "the file has one key, `waivers:`");
  }
  const list = root.items.find((p) => keyOf(p) === "waivers")?.value as Node | undefined;
  if (!list) throw y.error("no `waivers:` list", root, "add `waivers:` with `- control: …` entries");
  if (!isSeq(list)) throw y.error("`waivers:` must be a list of waivers", list, "write each waiver as `- control: …`");
  const ids = new Set(controlIds);
  for (const item of list.items as Node[]) {
    if (!isMap(item)) throw y.error("a waiver must be a mapping (control, hosts, justification, approver, expires)", item);
    const val: Record<string, { v: string; node: Node }> = {};
    for (const p of item.items) {
      const k = keyOf(p);
      if (!(k in FIELDS)) {
        const sug = didYouMean(k, Object.keys(FIELDS));
        throw y.error(
          `unknown waiver key '${k}'${sug ? `, did you mean '${sug}'?` : ""}`,
          p,
          sug ? undefined : `a waiver has ${Object.keys(FIELDS).join(", ")}`,
        );
      }
      const node = p.value as Node;
      if (!isScalar(node) || node.value === null || String(node.value).trim() === "")
        throw y.error(`waiver '${k}' must be a non-empty text: ${FIELDS[k]}`, node ?? p);
      const v = node.value instanceof Date ? node.value.toISOString().slice(0, 10) : String(node.value);
      if (/[\n\r\0]/.test(v) && k !== "justification") throw y.error(`waiver '${k}' must be one line`, node);
      val[k] = { v: v.trim(), node };
    }
    for (const k of REQUIRED) if (!val[k]) throw y.error(`waiver without '${k}' (${FIELDS[k]})`, item, `add \`${k}: …\``);
    const control = val.control!;
    if (!ids.has(control.v)) {
      const sug = didYouMean(control.v, ids);
      throw y.error(
        `unknown control '${control.v}' in a waiver${sug ? `, did you mean '${sug}'?` : ""}`,
        control.node,
        sug ? undefined : "waivers name controls of the catalog (`keel audit PROFILE --list` lists them)",
      );
    }
    const expiresAt = parseExpiry(val.expires!.v);
    if (!expiresAt)
      throw y.error(
        `waiver expiry '${val.expires!.v}' is not a date`,
        val.expires!.node,
        "write YYYY-MM-DD (valid through that day, UTC) or an ISO timestamp such as 2027-03-31T12:00:00Z",
      );
    const hosts = val.hosts?.v ?? "all";
    const matched = new Set(matchHosts(hosts, y.pos(val.hosts?.node ?? item)));
    const pos = y.pos(item);
    out.waivers.push({
      control: control.v,
      hosts,
      justification: val.justification!.v,
      approver: val.approver!.v,
      expires: val.expires!.v,
      defined_at: `${file}:${pos.line}`,
      expiresAt,
      matches: (h) => matched.has(h),
    });
  }
  return out;
}

/** YYYY-MM-DD → the next day at 00:00 UTC (valid through the day); a timestamp → itself. */
export function parseExpiry(s: string): Date | undefined {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (day) {
    const d = new Date(Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]) + 1));
    // Reject 2027-02-30 and friends: the day must survive the round trip.
    const back = new Date(d.getTime() - 86_400_000);
    return back.toISOString().slice(0, 10) === s ? d : undefined;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(s)) return undefined;
  const t = new Date(s);
  return Number.isNaN(t.getTime()) ? undefined : t;
}

/**
 * Applies waivers to every result, judged at `now`. A non-pass (fail, error, unknown) under a valid
 * waiver becomes `waived`; under an expired one it stays what it is (a failure counts as one),
 * and the result names the expired waiver. A waiver over
 * a pass, a not-applicable or a manual result is shown as `unneeded`. When several waivers match,
 * a valid one wins over an expired one, and the latest expiry among them.
 */
export function applyWaivers(r: AuditReport, wf: WaiverFile, now: Date): AuditReport {
  const hosts = r.hosts.map((h) => ({
    ...h,
    results: h.results.map((res) => {
      const cands = wf.waivers.filter((w) => w.control === res.control && w.matches(h.host));
      if (!cands.length || h.state === "unreachable") return res;
      cands.sort((a, b) => Number(b.expiresAt > now) - Number(a.expiresAt > now) || b.expiresAt.getTime() - a.expiresAt.getTime());
      return waive(res, cands[0]!, now);
    }),
  }));
  return finalize({
    ...r,
    evaluated_at: now.toISOString(),
    waivers: { file: wf.file, sha256: wf.sha256, entries: wf.waivers.map(plain) },
    hosts,
  });
}

function waive(res: ControlResult, w: Waiver, now: Date): ControlResult {
  const notPass = res.checked === "fail" || res.checked === "error" || res.checked === "unknown";
  const state: AppliedWaiver["state"] = !notPass ? "unneeded" : w.expiresAt > now ? "valid" : "expired";
  const waiver: AppliedWaiver = { ...plain(w), state };
  if (state === "valid") return { ...res, status: "waived", waiver };
  // An expired waiver waives nothing: a failure stays a failure (named with the waiver), and an
  // error or unknown result keeps its own status, which already fails the audit.
  if (state === "expired")
    return { ...res, status: res.checked, reason: `waiver expired on ${w.expires} (approved by ${w.approver}, ${w.defined_at}): ${res.reason}`, waiver };
  return { ...res, waiver };
}

function plain(w: Waiver): WaiverRef {
  return { control: w.control, hosts: w.hosts, justification: w.justification, approver: w.approver, expires: w.expires, defined_at: w.defined_at };
}

function keyOf(p: unknown): string {
  if (!isPair(p)) throw new InputError("malformed waivers file");
  return String((p as Pair).key && isScalar((p as Pair).key) ? ((p as Pair).key as { value: unknown }).value : "");
}
