// Pure parsers for the dnf patch probe (dnf.ts): `dnf check-update`, `dnf updateinfo list
// --security`, `dnf updateinfo info --security` (issue dates), `rpm -q` of the installed versions,
// `dnf versionlock list` and `needs-restarting -r`. Output formats as dnf 4 (RHEL 8/9, Fedora ≤ 40)
// prints them; the fixtures under test/unit/modules/patches.upgrade/ say where each sample came from.
import { compareRpmVersions } from "../../engine/core/pkgversion.js";
import type { PendingUpdate, RebootInfo } from "./types.js";

/** "0:1.0-1" → "1.0-1"; "2:1.0-1" stays. */
export function evr(v: string): string {
  return v.replace(/^0:/, "");
}

/** `name.arch  [epoch:]version-release  repo` lines; a long name wraps its columns onto the next line. */
export function parseCheckUpdate(text: string): { name: string; arch: string; version: string; repo: string }[] {
  const out: { name: string; arch: string; version: string; repo: string }[] = [];
  let pending: string | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    // Obsoletes are listed after this header, indented under the package that obsoletes them.
    if (/^Obsoleting Packages/.test(line)) break;
    if (/^(Last metadata expiration|Security:|Error|Warning)/.test(line)) continue;
    const words = line.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) continue;
    if (pending !== undefined) {
      words.unshift(pending);
      pending = undefined;
    }
    if (words.length === 1 && /\.[A-Za-z0-9_]+$/.test(words[0]!)) {
      pending = words[0];
      continue;
    }
    if (words.length < 3) continue;
    const m = /^(.+)\.([A-Za-z0-9_]+)$/.exec(words[0]!);
    if (!m) continue;
    out.push({ name: m[1]!, arch: m[2]!, version: evr(words[1]!), repo: words[2]! });
  }
  return out;
}

/** "openssl-1:3.0.7-16.el9_2.x86_64" → name, version-release (epoch kept when not 0), arch. */
export function parseNevra(s: string): { name: string; version: string; arch: string } | undefined {
  const m = /^(.+)-(?:(\d+):)?([^-]+)-([^-]+)\.([A-Za-z0-9_]+)$/.exec(s.trim());
  if (!m) return undefined;
  const epoch = m[2] && m[2] !== "0" ? `${m[2]}:` : "";
  return { name: m[1]!, version: `${epoch}${m[3]}-${m[4]}`, arch: m[5]! };
}

/** `ADVISORY  TYPE[/SEVERITY]  NEVRA` lines → "name.arch" → advisories (security ones only when listed with --security). */
export function parseUpdateinfoList(text: string): { advisory: string; type: string; name: string; version: string; arch: string }[] {
  const out: { advisory: string; type: string; name: string; version: string; arch: string }[] = [];
  for (const raw of text.split("\n")) {
    const w = raw.trim().split(/\s+/);
    if (w.length < 3 || /^(Last|Updates|Security)/.test(w[0]!)) continue;
    const n = parseNevra(w[w.length - 1]!);
    if (!n) continue;
    out.push({ advisory: w[0]!, type: w.slice(1, -1).join(" "), ...n });
  }
  return out;
}

/** `dnf updateinfo info` blocks: "Update ID: X" then "Issued: …" (newer dnf) or "Updated: …". Epoch seconds, UTC. */
export function parseUpdateinfoDates(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let id: string | undefined;
  let issued: number | undefined;
  let updated: number | undefined;
  const flush = () => {
    if (id !== undefined && (issued ?? updated) !== undefined) out.set(id, (issued ?? updated)!);
  };
  for (const raw of text.split("\n")) {
    const m = /^\s*([A-Za-z ]+?)\s*:\s*(.*)$/.exec(raw);
    if (!m) continue;
    const [, key, val] = m as unknown as [string, string, string];
    if (key === "Update ID") {
      flush();
      id = val.trim();
      issued = updated = undefined;
    } else if (key === "Issued" || key === "Updated") {
      const t = Date.parse(`${val.trim().replace(" ", "T")}Z`);
      if (!Number.isNaN(t)) {
        if (key === "Issued") issued = Math.floor(t / 1000);
        else updated = Math.floor(t / 1000);
      }
    }
  }
  flush();
  return out;
}

/** `rpm -q --qf '%{NAME}.%{ARCH}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\n'` → "name.arch" → newest installed version. */
export function parseRpmInstalled(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const [na, v] = line.trim().split("\t");
    if (!na || !v) continue;
    const cur = out.get(na);
    if (cur === undefined || compareRpmVersions(evr(v), cur) > 0) out.set(na, evr(v));
  }
  return out;
}

/** `dnf versionlock list`: "nginx-0:1.24.0-3.el9.*" → "nginx". Exclusions ("!name-…") are not holds. */
export function parseVersionlock(text: string): string[] {
  const out = new Set<string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith("!") || /^Last metadata/.test(line)) continue;
    const m = /^(.+?)-(?:\d+:)?[^-]+-[^-]+$/.exec(line.replace(/\.\*$/, ""));
    if (m) out.add(m[1]!);
  }
  return [...out].sort();
}

/**
 * `needs-restarting -r`: exit 1 and "Reboot is required…" with the updated core packages listed as
 * "  * kernel"; exit 0 "Reboot should not be necessary.". Any other exit: the tool is missing or failed.
 */
export function parseNeedsRestarting(text: string, rc: number): RebootInfo | undefined {
  if (rc !== 0 && rc !== 1) return undefined;
  const packages = text
    .split("\n")
    .map((l) => /^\s+\*\s+(\S+)/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined);
  if (rc === 0) return { required: false, reasons: [], packages: [] };
  return {
    required: true,
    reasons: [`needs-restarting -r: core libraries or services updated since boot${packages.length ? ` (${packages.join(", ")})` : ""}`],
    packages,
  };
}

/** The pending updates of a dnf host: check-update's list, installed versions, security advisories, locks. */
export function dnfPendingUpdates(
  check: ReturnType<typeof parseCheckUpdate>,
  installed: Map<string, string>,
  security: ReturnType<typeof parseUpdateinfoList>,
  dates: Map<string, number>,
  locked: string[],
): PendingUpdate[] {
  const lockedSet = new Set(locked);
  const out: PendingUpdate[] = [];
  for (const c of check) {
    const na = `${c.name}.${c.arch}`;
    // An advisory for this package at a version newer than the installed one, up to the candidate.
    const inst = installed.get(na);
    const adv = security.filter(
      (s) =>
        s.name === c.name &&
        s.arch === c.arch &&
        (inst === undefined || compareRpmVersions(s.version, inst) > 0) &&
        compareRpmVersions(s.version, c.version) <= 0,
    );
    const published = adv.map((a) => dates.get(a.advisory)).filter((x): x is number => x !== undefined);
    const u: PendingUpdate = { name: na, installed: inst ?? "", candidate: c.version, security: adv.length > 0, source: c.repo, held: lockedSet.has(c.name) };
    if (adv.length) u.advisory = adv.map((a) => a.advisory).join(", ");
    if (published.length) u.published = Math.min(...published);
    out.push(u);
  }
  // versionlock hides a locked package from check-update; its security advisory is still listed.
  // Such an update is held: reported (held: true), never taken.
  const listed = new Set(check.map((c) => `${c.name}.${c.arch}`));
  for (const s of security) {
    const na = `${s.name}.${s.arch}`;
    const inst = installed.get(na);
    if (!lockedSet.has(s.name) || listed.has(na) || inst === undefined || compareRpmVersions(s.version, inst) <= 0) continue;
    const adv = security.filter((x) => x.name === s.name && x.arch === s.arch && compareRpmVersions(x.version, inst) > 0);
    const candidate = adv.map((a) => a.version).sort((a, b) => compareRpmVersions(b, a))[0]!;
    const published = adv.map((a) => dates.get(a.advisory)).filter((x): x is number => x !== undefined);
    const u: PendingUpdate = {
      name: na,
      installed: inst,
      candidate,
      security: true,
      source: "",
      held: true,
      advisory: [...new Set(adv.map((a) => a.advisory))].join(", "),
    };
    if (published.length) u.published = Math.min(...published);
    out.push(u);
    listed.add(na);
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
