// The package modules' one implementation (packages.package, packages.apt, packages.dnf are
// packageModule variants: package.ts, apt.ts, dnf.ts). Arguments follow Ansible's package module;
// apt and dnf add their Ansible module's own arguments and fix the manager. The manager is a
// strategy (backends/*.ts): facts.pkg_mgr when it is one the module may use, otherwise found by
// the probe itself (a play with gather_facts: false needs no facts, as in Ansible). This file owns
// the arguments and every decision (diff). A module file imports it; no module imports another.
import { defineModule, type Change, type HostModule, type JSONSchema } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import type { Facts } from "../../engine/core/facts.js";
import { ageText } from "../../engine/core/age.js";
import { apt } from "./backends/apt.js";
import { apk } from "./backends/apk.js";
import { dnf, yum } from "./backends/dnf.js";
import type { PackageBackend, PkgPlan, PkgSpec, PkgState } from "./backends/types.js";
import { dpkgOptions, upgradeChanges, upgradeMode, upgradeProbe, upgradeRunner } from "./backends/apt-upgrade.js";
import { aptApplyFlags, type AptExtraArgs } from "./apt-extra.js";
import { PACKAGE_READS } from "./backends/types.js";
import type { ApplyResult, Host, Probe } from "../../engine/core/module.js";
import { cacheKeys, staleCache, withoutCacheKeys } from "./cache-keys.js";

export interface PackageArgs extends AptExtraArgs {
  name?: string | string[];
  /** Ansible's aliases of name (apt: package, pkg; dnf/yum: pkg). */
  pkg?: string | string[];
  package?: string | string[];
  state?: "present" | "absent" | "latest" | "installed" | "removed";
  update_cache?: boolean;
  cache_valid_time?: number;
  purge?: boolean;
  autoremove?: boolean;
  install_recommends?: boolean;
  allow_downgrade?: boolean;
  lock_timeout?: number;
  /** apt only (packages.apt): APT::Default-Release for the probe and the install. */
  default_release?: string | null;
  /** apt only: a whole-system upgrade (backends/apt-upgrade.ts); dpkg's options; --only-upgrade; policy-rc.d's exit code. */
  upgrade?: "dist" | "full" | "no" | "safe" | "yes" | boolean;
  dpkg_options?: string;
  only_upgrade?: boolean;
  policy_rc_d?: number;
  force_apt_get?: boolean;
}

/** Strategies keyed by facts.pkg_mgr. */
export const BACKENDS: Readonly<Record<string, PackageBackend>> = { apt, dnf, yum, apk };

/** What a change asks apply to do; kept in Change.data. */
export type PkgOp =
  | { op: "update_cache"; action?: true }
  | { op: "install"; spec: PkgSpec }
  | { op: "upgrade"; name: string }
  | { op: "remove"; name: string }
  | { op: "purge"; name: string }
  | { op: "autoremove"; name: string }
  | { op: "system_upgrade"; name: string };

const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.+:@~-]*$/;
const VERSION_RE = /^[A-Za-z0-9_.+:~^-]+$/;

/** One Ansible package module as keel has it: its name, its managers and its own arguments. */
export interface PackageVariant {
  name: string;
  aliases: string[];
  description: string;
  /** The managers this module may use, in the order the probe looks for them when facts do not say. */
  managers: string[];
  /** Arguments of the Ansible module beyond the common ones, with their schema (aliases included). */
  extraArgs: Record<string, JSONSchema>;
  /** Hyphenated or older spellings: alias → canonical argument. */
  argAliases: Record<string, string>;
  /** Arguments accepted with nothing for keel to do: named in the task's explanation when set. */
  noted?: string[];
  /** Arguments keel does not implement: the load stops, naming the argument, with this hint. */
  refused: Record<string, string>;
  /** The variant's own rules across its arguments (on normalised arguments), run by validate. */
  validate?: (args: PackageArgs) => void;
}

const COMMAND: Record<string, string> = { apt: "apt-get", dnf: "dnf", yum: "yum", apk: "apk" };

export function packageModule(v: PackageVariant): HostModule<PackageArgs, PkgState, PkgOp> {
  const refusedProps = Object.fromEntries(
    Object.entries(v.refused).map(([k, hint]) => [k, { description: `Not implemented by keel: a task that sets it stops at load (${hint}).` }]),
  );
  const aliasProps = Object.fromEntries(
    Object.entries(v.argAliases).map(([a, c]) => [a, { ...(COMMON_PROPS[c] ?? v.extraArgs[c] ?? {}), description: `Alias of ${c}.` }]),
  );
  const norm = (raw: PackageArgs): PackageArgs => normalise(raw, v);
  const pickBackend = (facts: Facts): PackageBackend | undefined => (v.managers.includes(facts.pkg_mgr) ? BACKENDS[facts.pkg_mgr] : undefined);
  const inner = packageCore();
  return defineModule<PackageArgs, PkgState, PkgOp>({
    ...inner,
    name: v.name,
    aliases: v.aliases,
    description: v.description,
    // The probe reads the package database and apt/dnf's state; installing or removing a package
    // may write anywhere (maintainer scripts).
    footprint: () => ({
      reads: [...PACKAGE_READS],
      writes: ["*"],
    }),
    args: {
      type: "object",
      additionalProperties: false,
      properties: { ...COMMON_PROPS, ...v.extraArgs, ...aliasProps, ...refusedProps },
    },
    validate(raw) {
      for (const k of Object.keys(v.refused)) {
        if ((raw as Record<string, unknown>)[k] !== undefined)
          throw new ArgError(k, `${v.aliases[0]}: the argument ${k} is not implemented by keel`, v.refused[k]);
      }
      const args = norm(raw);
      v.validate?.(args);
      const none = [args.update_cache, args.cache_valid_time, args.autoremove, upgradeMode(args.upgrade), args.deb, args.clean, args.autoclean].every(
        (x) => x === undefined,
      );
      if (args.name === undefined && none) {
        const also =
          v.extraArgs.upgrade !== undefined ? "update_cache, cache_valid_time, autoremove or upgrade" : "update_cache, cache_valid_time or autoremove";
        throw new ArgError("name", `${v.aliases[0]} needs name (or ${also})`, "e.g. name: nginx");
      }
      parseSpecs(args);
    },
    probe(raw, facts) {
      const args = norm(raw);
      const be = pickBackend(facts);
      if (be) return inner.probe(args, facts, be);
      // No fact names a manager this module may use (gather_facts: false, or another family): the
      // probe finds one itself, and each manager's own probe runs only where that manager exists.
      const branches = v.managers.map(
        (m, i) =>
          `${i === 0 ? "if" : "elif"} command -v ${COMMAND[m]} >/dev/null 2>&1; then\nprintf '@pkgmgr\\nname=${m}\\n'\n${inner.probe(args, facts, BACKENDS[m]!).script}`,
      );
      const script = `${branches.join("\n")}\nelse\nprintf '@pkgmgr\\nname=none\\n'\nfi\n`;
      return {
        script,
        parse: (stdout, rc) => {
          const mgr = findRec(parseRecords(stdout), "pkgmgr")?.get("name");
          const found = mgr !== undefined ? BACKENDS[mgr] : undefined;
          if (!found || !v.managers.includes(mgr!))
            throw new ModuleError(
              `${v.aliases[0]}: no package manager for this module on the host (looked for ${v.managers.map((m) => COMMAND[m]).join(", ")})`,
            );
          return found.parse(stdout, rc, parseSpecs(args));
        },
      };
    },
    diff(st, raw, facts) {
      return inner.diff(st, norm(raw), facts);
    },
    result: (st, raw) => inner.result(st, norm(raw)),
    explain(st, raw) {
      const set = (v.noted ?? []).filter((k) => (raw as Record<string, unknown>)[k] !== undefined);
      const text = inner.explain(st, norm(raw));
      return set.length ? `${text} (${set.join(", ")}: accepted, not used by keel)` : text;
    },
    resource(raw) {
      return inner.resource(norm(raw));
    },
    apply(host, raw, changes, st) {
      return inner.apply(host, norm(raw), changes, st);
    },
  });
}

/** The alias spellings folded into their canonical argument (both given: an error). */
export function normalise(raw: PackageArgs, v: PackageVariant): PackageArgs {
  const out: Record<string, unknown> = { ...raw };
  for (const [a, c] of [...Object.entries(v.argAliases), ...["pkg", "package"].filter((k) => v.extraArgs[k] !== undefined).map((k) => [k, "name"] as const)]) {
    if (!Object.hasOwn(out, a)) continue;
    if (out[a] === undefined || out[a] === null) {
      delete out[a];
      continue;
    }
    if (out[c] !== undefined && out[c] !== out[a]) throw new ArgError(a, `${a} and ${c} are the same argument; give one`, `keep ${c}`);
    out[c] = out[a];
    delete out[a];
  }
  for (const k of v.noted ?? []) delete out[k];
  // null is "not given", as Ansible treats every argument
  for (const k of Object.keys(out)) if (out[k] === null) delete out[k];
  return out as PackageArgs;
}

const COMMON_PROPS: Record<string, JSONSchema> = {
  name: {
    description:
      "Package name, or a list of them (a string may also list names separated by commas). `name=VERSION` pins an exact version " +
      "(apt: the full Debian version such as `1.2-3` or `1:9.2p1-2`; dnf: version or version-release; apk: version-rN).",
    oneOf: [{ type: "string", minLength: 1 }, { type: "array", items: { type: "string", minLength: 1 } }, { type: "null" }],
  },
  state: {
    description:
      "`present` (alias `installed`): installed, at the pinned version if one is given. `latest`: installed and at the newest version " +
      "the manager offers. `absent` (alias `removed`): not installed.",
    enum: ["present", "absent", "latest", "installed", "removed"],
    default: "present",
  },
  update_cache: {
    description:
      "Refresh the package index (apt-get update, dnf --refresh, apk --update-cache) before installing. Without cache_valid_time " +
      "the refresh is not part of the host's state: it runs whenever the task installs or upgrades something, and a task " +
      "with update_cache and no name is an action that always runs (reported as a change, never as drift).",
    type: "boolean",
    default: false,
  },
  cache_valid_time: {
    description:
      "apt only: seconds the package index stays fresh. When set (it implies update_cache), an index older than this is a " +
      'change of its own ("apt cache updated 5 h ago, older than cache_valid_time 3600 s"), visible in check mode and drift. ' +
      "The age is the newest mtime of /var/lib/apt/periodic/update-success-stamp and /var/lib/apt/lists; keel touches the stamp " +
      "after a successful update. Ignored by dnf and apk.",
    type: "integer",
    minimum: 0,
  },
  purge: {
    description: "apt only: with state absent, also remove configuration files (a package removed earlier whose configuration remains is purged).",
    type: "boolean",
    default: false,
  },
  autoremove: {
    description:
      "Remove dependencies that nothing needs any more (apt-get autoremove, dnf autoremove). The probe lists them through a " +
      "simulation, so check mode names each one. Ignored by apk, which does this by itself.",
    type: "boolean",
    default: false,
  },
  install_recommends: {
    description: "apt: install Recommends (APT::Install-Recommends); dnf: install weak dependencies. Unset keeps the manager's default.",
    type: "boolean",
  },
  allow_downgrade: {
    description: "Allow a pinned version older than the installed one to replace it (apt --allow-downgrades, dnf downgrade).",
    type: "boolean",
    default: false,
  },
  lock_timeout: {
    description:
      "apt: seconds to wait for the dpkg lock held by another process (DPkg::Lock::Timeout). If it is still held, the task fails " +
      "with an error naming the process that holds it.",
    type: "integer",
    minimum: 0,
    default: 60,
  },
};

/** The module's logic on normalised arguments, with the backend chosen by facts or by the probe's state. */
function packageCore() {
  const byState = (st: PkgState, facts: Facts): PackageBackend => BACKENDS[st.manager] ?? backend(facts);
  return {
    resource(args: PackageArgs): string {
      const specs = safeSpecs(args);
      if (specs.length === 0) return "package cache";
      return specs.length === 1 ? `package ${specs[0]!.name}` : `packages ${specs.map((s) => s.name).join(", ")}`;
    },

    probe(args: PackageArgs, _facts: Facts, be: PackageBackend): Probe<PkgState> {
      const specs = parseSpecs(args);
      const state = normState(args.state);
      const script = be.probeScript(specs, {
        candidates: state === "latest" ? "all" : state === "present" ? "missing" : "none",
        needCacheAge: be.cacheAge && args.cache_valid_time !== undefined,
        needCacheTime: state !== "absent",
        needUnneeded: args.autoremove === true && be.manager !== "apk" && upgradeMode(args.upgrade) === undefined,
        defaultRelease: args.default_release || undefined,
        ...upgradeProbe(args),
      });
      return { script, parse: (stdout, rc) => be.parse(stdout, rc, specs) };
    },

    diff(st: PkgState, args: PackageArgs, facts: Facts): Change<PkgOp>[] {
      const be = byState(st, facts);
      const specs = parseSpecs(args);
      const state = normState(args.state);
      const changes: Change<PkgOp>[] = [];
      // Audit evidence names the command that read the installed versions, not the resource.
      const source = specs.length ? be.queryCommand(specs.map((s) => s.name)) : undefined;
      const cvt = be.cacheAge ? args.cache_valid_time : undefined;
      if (staleCache(st, cvt)) {
        changes.push({
          summary:
            st.cacheAge === undefined
              ? `${be.manager} cache never updated`
              : `${be.manager} cache updated ${ageText(st.cacheAge)} ago, older than cache_valid_time ${cvt} s`,
          field: "cache",
          before: st.cacheAge,
          after: 0,
          data: { op: "update_cache" },
        });
      } else if (cvt === undefined && args.update_cache === true && specs.length === 0 && upgradeMode(args.upgrade) === undefined) {
        changes.push({ summary: `${be.manager} cache update`, field: "cache", data: { op: "update_cache", action: true } });
      }
      for (const s of specs) {
        const p = st.packages[s.name] ?? {};
        const cand = p.candidate !== undefined ? ` (→ ${p.candidate})` : "";
        if (state === "absent") {
          const installed = p.installed !== undefined && (s.version === undefined || be.matches(p.installed, s.version));
          if (installed) {
            const purge = args.purge === true && be.purge;
            changes.push({
              summary: `package ${s.name} installed, to ${purge ? "purge" : "remove"}`,
              field: "state",
              before: p.installed,
              ...(source ? { source } : {}),
              after: "absent",
              data: { op: purge ? "purge" : "remove", name: s.name },
            });
          } else if (p.configOnly && args.purge === true && be.purge) {
            changes.push({
              summary: `package ${s.name} removed but its configuration files remain, to purge`,
              field: "state",
              before: "config-files",
              ...(source ? { source } : {}),
              after: "absent",
              data: { op: "purge", name: s.name },
            });
          }
          continue;
        }
        if (p.installed === undefined) {
          // as Ansible's apt: a name the index does not know fails (unless the index is refreshed first)
          if (p.unknown && !changes.some((c) => c.data?.op === "update_cache") && args.update_cache !== true)
            throw new ModuleError(`No package matching '${s.name}' is available`);
          // as Ansible's apt: only_upgrade skips a package that is not installed
          if (args.only_upgrade === true) continue;
          const target = s.version !== undefined ? ` (→ ${s.version})` : cand;
          changes.push({
            summary: `package ${s.name} missing${target}`,
            field: "state",
            before: "absent",
            ...(source ? { source } : {}),
            after: s.version ?? p.candidate ?? "present",
            data: { op: "install", spec: s },
          });
        } else if (s.version !== undefined && !be.matches(p.installed, s.version)) {
          const downgrade = be.compare(s.version, p.installed) < 0;
          changes.push({
            summary: `package ${s.name} ${p.installed} → ${s.version} (pinned${downgrade ? ", downgrade" : ""})`,
            field: "version",
            before: p.installed,
            after: s.version,
            ...(source ? { source } : {}),
            data: { op: "install", spec: downgrade ? { ...s, downgrade } : s },
          });
        } else if (state === "latest" && p.candidate !== undefined && be.compare(p.candidate, p.installed) > 0) {
          changes.push({
            summary: `package ${s.name} ${p.installed} → ${p.candidate} (latest)`,
            field: "version",
            before: p.installed,
            after: p.candidate,
            ...(source ? { source } : {}),
            data: { op: "upgrade", name: s.name },
          });
        }
      }
      const mode = upgradeMode(args.upgrade);
      if (mode !== undefined) changes.push(...upgradeChanges(st, mode));
      else if (args.autoremove === true) {
        const removing = new Set(changes.flatMap((c) => (c.data?.op === "remove" || c.data?.op === "purge" ? [c.data.name] : [])));
        for (const u of st.unneeded ?? []) {
          if (removing.has(u)) continue;
          changes.push({
            summary: `package ${u} no longer needed, to autoremove`,
            field: "state",
            before: "installed",
            after: "absent",
            data: { op: "autoremove", name: u },
          });
        }
      }
      return changes;
    },

    result(st: PkgState, args: PackageArgs): Record<string, unknown> {
      const cvt = BACKENDS[st.manager]?.cacheAge ? args.cache_valid_time : undefined;
      return cacheKeys(st, normState(args.state) === "absent", cvt, cvt === undefined && args.update_cache === true && safeSpecs(args).length === 0);
    },

    explain(st: PkgState, args: PackageArgs): string {
      const specs = safeSpecs(args);
      const state = normState(args.state);
      const parts = specs.map((s) => {
        const p = st.packages[s.name] ?? {};
        if (state === "absent") return p.installed !== undefined ? `${s.name} ${p.installed} (not the version to remove)` : `${s.name} absent`;
        if (p.installed === undefined && args.only_upgrade === true) return `${s.name} not installed (only_upgrade)`;
        return `${s.name} ${p.installed ?? "?"}${state === "latest" ? " (latest)" : ""}`;
      });
      const cache = st.cacheAge !== undefined && args.cache_valid_time !== undefined ? `${st.manager} cache updated ${ageText(st.cacheAge)} ago` : "";
      const mode = upgradeMode(args.upgrade);
      if (mode !== undefined) {
        const up = `nothing to upgrade (${upgradeRunner(st, mode, args)})`;
        return cache ? `${up}; ${cache}` : up;
      }
      if (parts.length === 0) return cache || "nothing to do";
      const body = `${parts.length === 1 ? "package" : "packages"} ${parts.join(", ")}${state === "absent" ? "" : " installed"}`;
      return cache ? `${body}; ${cache}` : body;
    },

    async apply(host: Host, args: PackageArgs, changes: Change<PkgOp>[], st: PkgState): Promise<ApplyResult> {
      const be = byState(st, host.facts);
      // Every change diff makes carries its operation (Change<PkgOp>).
      const ops = changes.flatMap((c) => (c.data ? [c.data] : []));
      const state = normState(args.state);
      const cacheRefresh = ops.some((o) => o.op === "update_cache");
      const acting = ops.some((o) => o.op !== "update_cache");
      const plan: PkgPlan = {
        updateCache: cacheRefresh || (args.update_cache === true && acting && ops.some((o) => o.op === "install" || o.op === "upgrade")),
        install: ops.flatMap((o) => (o.op === "install" ? [o.spec] : [])),
        upgrade: ops.flatMap((o) => (o.op === "upgrade" ? [o.name] : [])),
        remove: ops.flatMap((o) => (o.op === "remove" ? [o.name] : [])),
        purge: ops.flatMap((o) => (o.op === "purge" ? [o.name] : [])),
        autoremove: ops.some((o) => o.op === "autoremove"),
        systemUpgrade: ops.some((o) => o.op === "system_upgrade"),
      };
      // as Ansible: the upgrade runs after a refresh (which may bring what the probe could not see)
      if (plan.systemUpgrade && args.update_cache === true) plan.updateCache = true;
      if (plan.updateCache && upgradeMode(args.upgrade) !== undefined) plan.systemUpgrade = true;
      // After a refresh, newer versions may have appeared that the probe could not see: ask for
      // every `latest` package (installing an up-to-date package changes nothing).
      if (plan.updateCache && state === "latest") {
        const planned = new Set([...plan.install.map((s) => s.name), ...plan.upgrade]);
        for (const s of parseSpecs(args)) if (!planned.has(s.name)) plan.upgrade.push(s.name);
      }
      const down = plan.install.find((s) => s.downgrade);
      if (down && args.allow_downgrade !== true && args.force !== true) {
        throw new ModuleError(
          `package ${down.name}: the pinned version ${down.version} is older than the installed one; set allow_downgrade: true to downgrade`,
        );
      }
      const out = await be.apply(host, plan, {
        installRecommends: args.install_recommends,
        allowDowngrade: args.allow_downgrade === true,
        lockTimeout: args.lock_timeout ?? 60,
        defaultRelease: args.default_release || undefined,
        ...(args.dpkg_options !== undefined ? { dpkgOptions: dpkgOptions(args.dpkg_options) } : {}),
        onlyUpgrade: args.only_upgrade === true,
        ...(args.policy_rc_d !== undefined ? { policyRcD: args.policy_rc_d } : {}),
        ...upgradeProbe(args, st),
        ...aptApplyFlags(args),
      });
      return withoutCacheKeys(out, state === "absent");
    },
  };
}

function backend(facts: Facts): PackageBackend {
  const be = BACKENDS[facts.pkg_mgr];
  if (!be) {
    throw new ModuleError(
      `no package manager backend for pkg_mgr '${facts.pkg_mgr}' on this host (supported: ${Object.keys(BACKENDS).join(", ")}); ` +
        "is fact gathering off (gather_facts: false)?",
    );
  }
  return be;
}

function normState(s: PackageArgs["state"]): "present" | "absent" | "latest" {
  if (s === "installed" || s === undefined) return "present";
  if (s === "removed") return "absent";
  return s;
}

/** The requested packages, validated: names and pins must be plain package tokens. */
export function parseSpecs(args: PackageArgs): PkgSpec[] {
  const raw = args.name === undefined ? [] : Array.isArray(args.name) ? args.name : args.name.split(",");
  const specs: PkgSpec[] = [];
  for (const r of raw.map((x) => x.trim()).filter(Boolean)) {
    const eq = r.indexOf("=");
    const name = eq >= 0 ? r.slice(0, eq) : r;
    const version = eq >= 0 ? r.slice(eq + 1) : undefined;
    if (!NAME_RE.test(name)) throw new ArgError("name", `invalid package name '${name}' in '${r}'`, "use letters, digits and . + - _ : only");
    if (version !== undefined && !VERSION_RE.test(version))
      throw new ArgError("name", `invalid version '${version}' in '${r}'`, "write a pin as name=version, e.g. nginx=1.22.1-9");
    if (version !== undefined && normState(args.state) === "latest") {
      throw new ArgError("name", `'${r}' pins a version, which contradicts state: latest`, "use state: present to pin");
    }
    if (!specs.some((s) => s.name === name)) specs.push(version !== undefined ? { name, version } : { name });
  }
  return specs;
}

function safeSpecs(args: PackageArgs): PkgSpec[] {
  try {
    return parseSpecs(args);
  } catch {
    return [];
  }
}
