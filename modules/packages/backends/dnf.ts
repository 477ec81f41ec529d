// dnf/rpm strategy (also used for yum, which is dnf on EL8 and later). One probe: one `rpm -q --qf`
// for every name; `dnf repoquery --latest-limit 1` for candidates only when needed (state latest,
// or `rpm -q` said a name is missing); `dnf repoquery --unneeded` when autoremove is asked.
// Versions are shown as version-release, with the epoch only when it is not 0.
import { shJoin } from "../../../engine/core/shell.js";
import { compareRpmVersions } from "../../../engine/core/pkgversion.js";
import { outSection, sections, type PackageBackend, type PkgState } from "./types.js";

const QF_RPM = "'%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\t%{ARCH}\\n'";
const QF_DNF = "'%{name}\\t%{epoch}:%{version}-%{release}\\t%{arch}\\n'";

/** "0:1.0-1" → "1.0-1"; "2:1.0-1" stays. */
export function evr(v: string): string {
  return v.replace(/^0:/, "");
}

export function makeDnf(cmd: "dnf" | "yum"): PackageBackend {
  return {
    manager: cmd,
    cacheAge: false,
    purge: false,

    probeScript(specs, opts) {
      const names = shJoin(specs.map((s) => s.name));
      const lines = ["LC_ALL=C; export LC_ALL"];
      if (specs.length > 0) {
        // rpm -q exits non-zero when a name is not installed: then candidates are needed (missing).
        lines.push(`q=$(rpm -q --qf ${QF_RPM} ${names} 2>/dev/null); r=$?`, outSection("rpm", `printf '%s\\n' "$q"`));
        const query = outSection("candidates", `${cmd} -q repoquery --latest-limit 1 --qf ${QF_DNF} ${names}`);
        if (opts.candidates === "all") lines.push(query);
        else if (opts.candidates === "missing") lines.push(`if [ "$r" -ne 0 ]; then`, query, "fi");
      }
      if (opts.needUnneeded) lines.push(outSection("unneeded", `${cmd} -q repoquery --unneeded --qf '%{name}\\n'`));
      lines.push("true");
      return lines.join("\n");
    },

    queryCommand: (names) => `rpm -q --qf ${QF_RPM} ${shJoin(names)}`,

    parse(stdout, _rc, specs) {
      const sec = sections(stdout);
      const state: PkgState = { manager: cmd, packages: {} };
      for (const s of specs) state.packages[s.name] = {};
      // "package telnet is not installed" lines have no tab and are skipped.
      for (const line of sec.get("rpm") ?? []) {
        const [name, v] = line.split("\t");
        const p = name !== undefined ? state.packages[name] : undefined;
        if (p && v !== undefined) p.installed = p.installed && compareRpmVersions(p.installed, v) > 0 ? p.installed : evr(v);
      }
      for (const line of sec.get("candidates") ?? []) {
        const [name, v] = line.split("\t");
        const p = name !== undefined ? state.packages[name] : undefined;
        if (p && v !== undefined && (p.candidate === undefined || compareRpmVersions(v, p.candidate) > 0)) p.candidate = evr(v);
      }
      const unneeded = sec.get("unneeded");
      if (unneeded) state.unneeded = unneeded.map((l) => l.trim()).filter(Boolean);
      return state;
    },

    compare: compareRpmVersions,

    /** A pin matches when it equals the installed version, or its version part ("1.0" for "1.0-1"). */
    matches(installed, pin) {
      const i = evr(installed);
      const p = evr(pin);
      return i === p || i.startsWith(`${p}-`) || compareRpmVersions(i, p) === 0;
    },

    async apply(host, plan, opts) {
      const base = `${cmd} -y${opts.installRecommends === false ? " --setopt=install_weak_deps=False" : opts.installRecommends ? " --setopt=install_weak_deps=True" : ""}`;
      let refresh = plan.updateCache ? " --refresh" : "";
      const outs: string[] = [];
      const run = async (c: string) => {
        outs.push((await host.run(c)).stdout);
        refresh = "";
      };
      const toSpec = (s: { name: string; version?: string }) => (s.version !== undefined ? `${s.name}-${s.version}` : s.name);
      const down = plan.install.filter((s) => s.downgrade);
      const inst = plan.install.filter((s) => !s.downgrade);
      if (inst.length > 0) await run(`${base}${refresh} install ${shJoin(inst.map(toSpec))}`);
      if (down.length > 0) await run(`${base}${refresh} downgrade ${shJoin(down.map(toSpec))}`);
      if (plan.upgrade.length > 0) await run(`${base}${refresh} upgrade ${shJoin(plan.upgrade)}`);
      const remove = [...plan.remove, ...plan.purge];
      if (remove.length > 0) await run(`${base}${refresh} remove ${shJoin(remove)}`);
      if (plan.autoremove) await run(`${base}${refresh} autoremove`);
      if (refresh) await run(`${cmd} -y makecache --refresh`);
      return { stdout: outs.join("") };
    },
  };
}

export const dnf = makeDnf("dnf");
export const yum = makeDnf("yum");
