// patches.upgrade: apply pending updates (security only by default) at exactly the versions the
// probe listed, keep held packages, and reboot where a reboot is required.
//
// One probe (apt.ts / dnf.ts) lists every pending update with installed version, candidate,
// security or not and source; select.ts decides purely which ones the task takes, so check mode
// and --diff show exactly what apply will install. apply re-reads the candidates first: a package
// whose candidate moved since the probe is reported (register: changed_since_probe), never taken.
import { defineModule } from "../../engine/core/module.js";
import { InputError } from "../../engine/core/errors.js";
import { REBOOT_ARG_SCHEMA, readBootId, rebootAndWait, type RebootOptions } from "../../engine/transport/reboot.js";
import { patchBackend } from "./backends.js";
import { explainUpgrade, selectUpdates, updateLine, upgradeChanges, type UpgradeOp } from "./select.js";
import type { PatchState } from "./types.js";

export interface UpgradeArgs extends RebootOptions {
  scope?: "all" | "security";
  only?: string[];
  exclude?: string[];
  autoremove?: boolean;
  update_cache?: boolean;
  cache_valid_time?: number;
  reboot?: "never" | "if_required";
  lock_timeout?: number;
}

const GLOB_RE = /^[A-Za-z0-9_.+:*?[\]!-]+$/;

export default defineModule<UpgradeArgs, PatchState, UpgradeOp>({
  name: "patches.upgrade",
  description:
    "Apply pending package updates — by default only security updates — at exactly the versions the probe listed. " +
    "Held packages (apt-mark hold, dnf versionlock) are never upgraded and are reported; a reboot happens only where one is required (reboot: if_required).",
  args: {
    type: "object",
    additionalProperties: false,
    properties: {
      scope: {
        description:
          "`security`: only updates whose candidate comes from a security source (apt: a suite or codename ending in -security, or a Release labelled " +
          "Debian-Security; dnf: a security advisory). `all`: every pending update.",
        enum: ["all", "security"],
        default: "security",
      },
      only: {
        description: "Take only packages matching one of these shell globs (`openssl*`, `libc6`); matched against the name with and without its :arch.",
        type: "array",
        items: { type: "string", minLength: 1 },
      },
      exclude: { description: "Never take packages matching one of these shell globs.", type: "array", items: { type: "string", minLength: 1 } },
      autoremove: {
        description: "After upgrading, remove dependencies nothing needs any more (apt-get autoremove, dnf autoremove).",
        type: "boolean",
        default: false,
      },
      update_cache: {
        description:
          "Refresh the package lists (apt-get update, dnf makecache --refresh) before upgrading, as Ansible's apt does. Without cache_valid_time it runs on " +
          "every run (an action: reported as a change, never as drift); updates that appear only after the refresh are taken on the next run, so the " +
          "list check mode showed is exactly what is installed.",
        type: "boolean",
        default: false,
      },
      cache_valid_time: {
        description:
          "Seconds the package lists stay fresh (a non-zero value implies update_cache, as in Ansible's apt): lists older than this are refreshed, " +
          "and that is a change of its own, visible in check mode. The age is Ansible's apt's: the mtime of /var/lib/apt/periodic/update-success-stamp " +
          "when it exists (keel touches it after a successful refresh), else of /var/lib/apt/lists (dnf: the newest repomd.xml in its cache). " +
          "0, Ansible's default, is no window: alone it refreshes nothing.",
        type: "integer",
        minimum: 0,
      },
      reboot: {
        description:
          "`if_required`: after upgrading, reboot when the host needs it (/var/run/reboot-required, a newer installed kernel than the running one, " +
          "needs-restarting -r on dnf hosts), and also when it already needed one before. `never`: report it only (register: reboot_required).",
        enum: ["never", "if_required"],
        default: "never",
      },
      lock_timeout: {
        description: "apt: seconds to wait for the dpkg lock held by another process; still held after that, the task fails naming the holder.",
        type: "integer",
        minimum: 0,
        default: 60,
      },
      ...REBOOT_ARG_SCHEMA,
    },
  },

  validate(args) {
    for (const key of ["only", "exclude"] as const) {
      for (const g of args[key] ?? []) {
        if (!GLOB_RE.test(g))
          throw new InputError(`${key}: '${g}' is not a package name glob`, undefined, "use letters, digits, . + - _ : and the glob characters * ? [ ]");
      }
    }
  },

  resource(args) {
    return `${args.scope ?? "security"} updates`;
  },

  probe(_args, facts) {
    const be = patchBackend(facts);
    return { script: be.probeScript(), parse: (stdout, rc) => be.parse(stdout, rc) };
  },

  diff(st, args) {
    return upgradeChanges(st, args);
  },

  explain(st, args) {
    return explainUpgrade(st, args);
  },

  async apply(host, args, changes, st) {
    const be = patchBackend(host.facts);
    const ops = changes.map((c) => c.data!);
    const held = selectUpdates(st, args).held;
    const outcome = await be.upgrade(host, {
      updateCache: ops.some((o) => o.op === "update_cache"),
      updates: ops.flatMap((o) => (o.op === "upgrade" ? [o.update] : [])),
      autoremove: args.autoremove === true,
      lockTimeout: args.lock_timeout ?? 60,
    });
    const msgs: string[] = [];
    if (outcome.upgraded.length) msgs.push(`upgraded ${outcome.upgraded.map(updateLine).join(", ")}`);
    if (outcome.changedSinceProbe.length) {
      msgs.push(
        `not taken, the candidate changed since the probe: ${outcome.changedSinceProbe.map((c) => `${c.name} (planned ${c.planned}, now ${c.now})`).join(", ")}`,
      );
    }
    if (held.length) msgs.push(`held, not upgraded: ${held.map(updateLine).join(", ")}`);
    let reboot = st.reboot;
    if (outcome.upgraded.length) reboot = await be.rebootRequired(host);
    const data: Record<string, unknown> = {
      upgraded: outcome.upgraded.map((u) => ({ name: u.name, from: u.installed, to: u.candidate, security: u.security, source: u.source })),
      changed_since_probe: outcome.changedSinceProbe,
      held: held.map((u) => u.name),
      reboot_required: reboot.required,
      rebooted: false,
    };
    if (reboot.required && (args.reboot ?? "never") === "if_required") {
      const before = await readBootId(host, args);
      const r = await rebootAndWait(host, args, before);
      msgs.push(`reboot required (${reboot.reasons.join("; ")}): ${r.msg}`);
      Object.assign(data, r.data, { reboot_required: false, rebooted: true });
    } else if (reboot.required) msgs.push(`reboot required: ${reboot.reasons.join("; ")}`);
    return { stdout: outcome.stdout, msg: msgs.join("; ") || "nothing to upgrade", data };
  },
});
