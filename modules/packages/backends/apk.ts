// apk (Alpine) strategy. One probe: `apk info -v` (every installed package as name-version-rN)
// and, when candidates are needed, `apk search -x` (exact names, newest available as
// name-version-rN). apk has no purge, no recommends, and removes orphaned dependencies itself.
import { shJoin } from "../../../engine/core/shell.js";
import { compareDebVersions } from "../../../engine/core/pkgversion.js";
import { outSection, sections, type PackageBackend, type PkgState } from "./types.js";

/** "busybox-1.36.1-r5" → ["busybox", "1.36.1-r5"]; the version starts at the last "-<digit>" before "-rN". */
export function splitApk(s: string): [string, string] | undefined {
  const m = /^(.+?)-(\d[^-]*-r\d+)$/.exec(s.trim().split(/\s+/)[0] ?? "");
  return m ? [m[1]!, m[2]!] : undefined;
}

export const apk: PackageBackend = {
  manager: "apk",
  cacheAge: false,
  purge: false,

  probeScript(specs, opts) {
    const names = shJoin(specs.map((s) => s.name));
    const lines: string[] = [];
    if (specs.length > 0) {
      lines.push(outSection("installed", "apk info -v"));
      const query = outSection("candidates", `apk search -x ${names}`);
      if (opts.candidates === "all") lines.push(query);
      else if (opts.candidates === "missing")
        lines.push("m=", `for p in ${names}; do apk info -e "$p" >/dev/null 2>&1 || m=1; done`, `if [ -n "$m" ]; then`, query, "fi");
    }
    lines.push("true");
    return lines.join("\n");
  },

  queryCommand: () => "apk info -v",

  parse(stdout, _rc, specs) {
    const sec = sections(stdout);
    const state: PkgState = { manager: "apk", packages: {} };
    for (const s of specs) state.packages[s.name] = {};
    for (const line of sec.get("installed") ?? []) {
      const nv = splitApk(line);
      if (nv && state.packages[nv[0]]) state.packages[nv[0]]!.installed = nv[1];
    }
    for (const line of sec.get("candidates") ?? []) {
      const nv = splitApk(line);
      const p = nv ? state.packages[nv[0]] : undefined;
      if (p && (p.candidate === undefined || compareDebVersions(nv![1], p.candidate) > 0)) p.candidate = nv![1];
    }
    return state;
  },

  // apk's ordering agrees with dpkg's on the forms apk uses (digits, dots, letters, _suffixes, -rN).
  compare: compareDebVersions,

  matches(installed, pin) {
    return installed === pin || installed.startsWith(`${pin}-r`);
  },

  async apply(host, plan) {
    const outs: string[] = [];
    let update = plan.updateCache ? " --update-cache" : "";
    const run = async (c: string) => {
      outs.push((await host.run(c)).stdout);
      update = "";
    };
    const add = plan.install.map((s) => (s.version !== undefined ? `${s.name}=${s.version}` : s.name));
    if (add.length > 0) await run(`apk add${update} ${shJoin(add)}`);
    if (plan.upgrade.length > 0) await run(`apk add${update} --upgrade ${shJoin(plan.upgrade)}`);
    const del = [...plan.remove, ...plan.purge];
    if (del.length > 0) await run(`apk del ${shJoin(del)}`);
    if (update) await run("apk update");
    return { stdout: outs.join("") };
  },
};
