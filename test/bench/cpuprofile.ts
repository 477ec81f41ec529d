// Summarise a V8 .cpuprofile (node --cpu-prof): where the CPU time went, by area (a package, node
// internals, keel's own folders, GC, idle) and by function, self and inclusive.
//
//   node dist/test/bench/cpuprofile.js FILE.cpuprofile [N]
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  /** Wall span of the profile, ms. */
  spanMs: number;
  /** Sampled time that was not idle, ms. */
  busyMs: number;
  byArea: [string, number][];
  selfByFunction: [string, number][];
  /** Inclusive time (each function counted once per sample), ms. */
  totalByFunction: [string, number][];
}

/** Which part of the program a script belongs to: an npm package, node's internals, a keel folder. */
export function areaOf(url: string, fn: string): string {
  if (!url) return fn.startsWith("(") ? fn : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith("node:")) return "node:" + (url.slice(5).split("/")[1] ?? url.slice(5));
  const keel = /\/dist\/((?:engine|modules|test)\/[^/]+)/.exec(url);
  if (keel) return keel[1]!;
  return url;
}

function keyOf(f: CallFrame, root: string): string {
  const url = f.url.replace(/^file:\/\//, "").replace(root + "/", "");
  return `${f.functionName || "(anonymous)"} ${url ? `${url}:${f.lineNumber + 1}` : ""}`.trim();
}

export function summarizeProfile(p: CpuProfile, root = "", top = 25): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the gap after it to it, as DevTools does
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + dt);
  }
  const area = new Map<string, number>();
  const selfFn = new Map<string, number>();
  const totalFn = new Map<string, number>();
  let busy = 0;
  for (const [id, ms] of self) {
    const n = byId.get(id)!;
    const a = areaOf(n.callFrame.url, n.callFrame.functionName);
    area.set(a, (area.get(a) ?? 0) + ms);
    if (a === "(idle)") continue;
    busy += ms;
    const k = keyOf(n.callFrame, root);
    selfFn.set(k, (selfFn.get(k) ?? 0) + ms);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const ck = keyOf(byId.get(cur)!.callFrame, root);
      if (seen.has(ck)) continue;
      seen.add(ck);
      totalFn.set(ck, (totalFn.get(ck) ?? 0) + ms);
    }
  }
  const sorted = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  totalFn.delete("(root)");
  return {
    spanMs: (p.endTime - p.startTime) / 1000,
    busyMs: busy,
    byArea: sorted(area, 30),
    selfByFunction: sorted(selfFn, top),
    totalByFunction: sorted(totalFn, top),
  };
}

export function formatProfileSummary(s: ProfileSummary, root = ""): string {
  const ms = (x: number) => `${x.toFixed(0).padStart(7)} ms`;
  const pct = (x: number) => `${((100 * x) / Math.max(1, s.busyMs)).toFixed(1).padStart(5)}%`;
  const strip = (k: string) => (root ? k.replaceAll(root + "/", "") : k);
  return [
    `  span ${(s.spanMs / 1000).toFixed(2)} s, busy (not idle) ${(s.busyMs / 1000).toFixed(2)} s`,
    "  by area (self time):",
    ...s.byArea.map(([k, v]) => `    ${ms(v)} ${k === "(idle)" ? "      " : pct(v)}  ${k}`),
    "  top functions, self time:",
    ...s.selfByFunction.map(([k, v]) => `    ${ms(v)} ${pct(v)}  ${strip(k)}`),
    "  top functions, inclusive time:",
    ...s.totalByFunction.map(([k, v]) => `    ${ms(v)} ${pct(v)}  ${strip(k)}`),
  ].join("\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write("usage: node dist/test/bench/cpuprofile.js FILE.cpuprofile [N]\n");
    process.exit(1);
  }
  const p = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  process.stdout.write(formatProfileSummary(summarizeProfile(p, "", Number(process.argv[3] ?? 25))) + "\n");
}
