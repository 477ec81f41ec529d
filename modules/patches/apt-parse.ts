// Pure parsers for the apt patch probe (apt.ts): dpkg's package list, `apt-cache policy` blocks,
// `apt-get indextargets` (which source a list came from, with its Release's Origin/Label/Suite)
// and the Release files' dates. Everything here is a function of captured text, so fixtures cover it.
import { compareDebVersions } from "../../engine/core/pkgversion.js";
import type { PendingUpdate } from "./types.js";

/** One line of `dpkg-query -W -f='${binary:Package}\t${Version}\t${db:Status-Abbrev}\n'`. */
export interface DpkgEntry {
  name: string;
  version: string;
  /** Desired action (first letter of Status-Abbrev): i install, h hold, r remove, p purge, u unknown. */
  want: string;
  /** Package status (second letter): i installed, U unpacked, F half-configured, H half-installed, W/t triggers… */
  status: string;
}

export function parseDpkg(text: string): DpkgEntry[] {
  const out: DpkgEntry[] = [];
  for (const line of text.split("\n")) {
    const [name, version, abbrev] = line.replace(/\r$/, "").split("\t");
    if (!name || version === undefined || abbrev === undefined || abbrev.length < 2) continue;
    out.push({ name, version, want: abbrev[0]!, status: abbrev[1]! });
  }
  return out;
}

/** A source line of apt-cache policy's version table: `500 http://deb.debian.org/debian bookworm-security/main amd64 Packages`. */
export interface PolicySource {
  priority: number;
  uri: string;
  /** The distribution as written in sources.list (the Release: field of indextargets). */
  dist: string;
  component: string;
}

export interface PolicyEntry {
  name: string;
  installed?: string;
  candidate?: string;
  /** Sources that offer the candidate version. */
  candidateSources: PolicySource[];
}

/** Parses `apt-cache policy NAME…` output (one block per name). */
export function parsePolicy(text: string): PolicyEntry[] {
  const out: PolicyEntry[] = [];
  let cur: PolicyEntry | undefined;
  let inCandidate = false;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    const head = /^(\S+):$/.exec(line);
    if (head) {
      cur = { name: head[1]!, candidateSources: [] };
      out.push(cur);
      inCandidate = false;
      continue;
    }
    if (!cur) continue;
    const inst = /^\s+Installed: (\S+)/.exec(line);
    if (inst) {
      if (inst[1] !== "(none)") cur.installed = inst[1]!;
      continue;
    }
    const cand = /^\s+Candidate: (\S+)/.exec(line);
    if (cand) {
      if (cand[1] !== "(none)") cur.candidate = cand[1]!;
      continue;
    }
    // A version line: " *** 1.0 500" or "     1.1 500".
    const ver = /^ (?:\*\*\*| {3}) (\S+) (-?\d+)$/.exec(line);
    if (ver) {
      inCandidate = ver[1] === cur.candidate;
      continue;
    }
    const src = /^\s+(-?\d+) (\S+) (\S+?)(?:\/(\S+))? \S+ Packages$/.exec(line);
    if (src && inCandidate) cur.candidateSources.push({ priority: Number(src[1]), uri: src[2]!, dist: src[3]!, component: src[4] ?? "" });
  }
  return out;
}

/** One line of `apt-get indextargets --format '$(REPO_URI)|$(RELEASE)|$(COMPONENT)|$(ORIGIN)|$(LABEL)|$(SUITE)|$(CODENAME)|$(FILENAME)'`. */
export interface IndexTarget {
  repoUri: string;
  dist: string;
  component: string;
  origin: string;
  label: string;
  suite: string;
  codename: string;
  filename: string;
}

export const TARGET_FORMAT = "$(REPO_URI)|$(RELEASE)|$(COMPONENT)|$(ORIGIN)|$(LABEL)|$(SUITE)|$(CODENAME)|$(FILENAME)";

export function parseTargets(text: string): IndexTarget[] {
  const out: IndexTarget[] = [];
  for (const line of text.split("\n")) {
    const f = line.replace(/\r$/, "").split("|");
    if (f.length < 8) continue;
    const [repoUri, dist, component, origin, label, suite, codename, filename] = f as [string, string, string, string, string, string, string, string];
    out.push({ repoUri: repoUri.replace(/\/$/, ""), dist, component, origin, label, suite, codename, filename });
  }
  return out;
}

/** `FILE<TAB>Date: Thu, 03 Dec 2026 06:18:08 GMT` lines → release file path → epoch seconds. */
export function parseReleaseDates(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(\S+)\tDate: (.+?)\s*$/.exec(line.replace(/\r$/, ""));
    if (!m) continue;
    const t = Date.parse(m[2]!);
    if (!Number.isNaN(t)) out.set(m[1]!, Math.floor(t / 1000));
  }
  return out;
}

/**
 * A security source, as unattended-upgrades and the issue define it: a suite or codename ending in
 * `-security` (bookworm-security, jammy-security), Debian's old `buster/updates`, or a Release
 * whose Label or Origin names security (Debian-Security).
 */
export function isSecurityTarget(t: Pick<IndexTarget, "dist" | "suite" | "codename" | "label" | "origin">): boolean {
  if ([t.dist, t.suite, t.codename].some((s) => /-security$/.test(s) || /\/updates$/.test(s))) return true;
  return /(^|[-_ ])security$/i.test(t.label) || /(^|[-_ ])security$/i.test(t.origin);
}

/** The target a policy source line stands for (same repository URI, distribution and component). */
export function targetOf(src: PolicySource, targets: IndexTarget[]): IndexTarget | undefined {
  const uri = src.uri.replace(/\/$/, "");
  return targets.find((t) => t.repoUri === uri && t.dist === src.dist && (src.component === "" || t.component === src.component));
}

/** The Release file of a list file: the longest release path whose prefix (minus Release/InRelease) starts the list's name. */
export function releaseDateOf(listFile: string, dates: Map<string, number>): number | undefined {
  let best: { len: number; date: number } | undefined;
  for (const [rel, date] of dates) {
    const prefix = rel.replace(/(In)?Release$/, "");
    if (listFile.startsWith(prefix) && (!best || prefix.length > best.len)) best = { len: prefix.length, date };
  }
  return best?.date;
}

/**
 * The pending updates: every installed package whose candidate is newer than the installed
 * version, classified by the sources that offer the candidate. `held` names come from dpkg (want h).
 */
export function pendingUpdates(policy: PolicyEntry[], dpkg: DpkgEntry[], targets: IndexTarget[], dates: Map<string, number>): PendingUpdate[] {
  const held = new Set(dpkg.filter((d) => d.want === "h").map((d) => d.name));
  const out: PendingUpdate[] = [];
  for (const p of policy) {
    if (p.installed === undefined || p.candidate === undefined) continue;
    if (compareDebVersions(p.candidate, p.installed) <= 0) continue;
    const srcs = p.candidateSources.map((s) => ({ s, t: targetOf(s, targets) }));
    const sec = srcs.find((x) => (x.t ? isSecurityTarget(x.t) : isSecurityTarget({ dist: x.s.dist, suite: "", codename: "", label: "", origin: "" })));
    const chosen = sec ?? srcs[0];
    const published = chosen?.t ? releaseDateOf(chosen.t.filename, dates) : undefined;
    const u: PendingUpdate = {
      name: p.name,
      installed: p.installed,
      candidate: p.candidate,
      security: sec !== undefined,
      source: chosen ? chosen.s.dist : "",
      held: held.has(p.name) || held.has(p.name.replace(/:.*$/, "")),
    };
    if (published !== undefined) u.published = published;
    out.push(u);
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Half-installed, unpacked or half-configured packages: dpkg was interrupted. */
export function interruptedPackages(dpkg: DpkgEntry[]): string[] {
  return dpkg.filter((d) => d.status === "U" || d.status === "F" || d.status === "H").map((d) => d.name);
}

/** `ls /boot` names → kernel versions ("vmlinuz-6.1.0-18-amd64" → "6.1.0-18-amd64"), newest first. */
export function installedKernels(text: string): string[] {
  return text
    .split("\n")
    .map((l) => /^vmlinuz-(\S+)$/.exec(l.trim())?.[1])
    .filter((x): x is string => x !== undefined)
    .sort((a, b) => compareDebVersions(b, a));
}

/**
 * Sources configured in sources.list for which no Packages list is on disk (their Release was
 * missing or the fetch failed at the last update). Input: `REPO_URI|RELEASE|FILENAME|0|1` lines; a
 * source is fine when any of its lists (one per architecture) exists.
 */
export function brokenSources(text: string): string[] {
  const seen = new Map<string, boolean>();
  for (const line of text.split("\n")) {
    const f = line.replace(/\r$/, "").split("|");
    if (f.length < 4) continue;
    const key = `${f[0]!.replace(/\/$/, "")} ${f[1]}`;
    seen.set(key, (seen.get(key) ?? false) || f[f.length - 1] === "1");
  }
  return [...seen]
    .filter(([, ok]) => !ok)
    .map(([k]) => k)
    .sort();
}
