// hardening.profile: resolve a hardening profile (a shipped name or a profile file) against the
// catalog and set, for the rest of the run, which controls the role's tasks apply. Runs on the
// controller. Every task of roles/hardening is gated on `'<id>' in hardening_controls`, so this one
// task decides the selection (the profile) and the applicability (each control's applies_when over
// the host's facts) for both `keel run` and `keel audit`. Parameters the profile sets are set too,
// over the role's defaults; `-e` still wins over them.
import { defineControllerModule, type ControllerResult } from "../../engine/core/module.js";
import { GATE_VAR, applies, defaultCatalogDir, loadCatalog, resolveProfile, type Catalog } from "../../engine/controls/catalog.js";
import { KeelError } from "../../engine/core/errors.js";

export interface ProfileArgs {
  profile: string;
  catalog?: string;
}

/** Variables set besides the profile's parameters. */
export const PROFILE_FACTS = [GATE_VAR, "hardening_not_applicable", "hardening_resolved_profile"];

const catalogs = new Map<string, Catalog>();

/** The catalog of a folder, loaded once per process (loading validates every file and task). */
export function catalogAt(dir: string | undefined): Catalog {
  const key = dir ?? defaultCatalogDir();
  let c = catalogs.get(key);
  if (!c) catalogs.set(key, (c = loadCatalog(key)));
  return c;
}

export default defineControllerModule<ProfileArgs>({
  name: "hardening.profile",
  description:
    "Resolve a hardening profile and select the controls the hardening role applies on this host: sets hardening_controls (selected and applicable), hardening_not_applicable (id → reason) and the profile's parameters.",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["profile"],
    properties: {
      profile: { type: "string", minLength: 1, description: "A shipped profile (cis-level1-server, devsec) or the path of a profile file that extends one." },
      catalog: { type: "string", description: "The catalog folder. Default: keel's roles/hardening." },
    },
  },

  resource: (a) => `hardening profile ${a.profile}`,

  produces: (a) => [...PROFILE_FACTS, ...catalogAt(typeof a.catalog === "string" && !a.catalog.includes("{{") ? a.catalog : undefined).params.keys()],

  run(a, ctx): ControllerResult {
    let catalog: Catalog;
    let profile;
    try {
      catalog = catalogAt(a.catalog);
      profile = resolveProfile(catalog, a.profile);
    } catch (e) {
      if (e instanceof KeelError) return { failed: true, msg: "format" in e && typeof e.format === "function" ? (e.format as () => string)() : e.message };
      throw e;
    }
    const selected: string[] = [];
    const notApplicable: Record<string, string> = {};
    for (const id of profile.controls) {
      const r = applies(catalog.controls.get(id)!, ctx.vars);
      if (r.applies) selected.push(id);
      else notApplicable[id] = r.reason;
    }
    const na = Object.keys(notApplicable).length;
    return {
      changed: false,
      msg: `profile ${profile.name}: ${profile.controls.length} controls selected, ${selected.length} apply${na ? `, ${na} not applicable` : ""}`,
      setFacts: {
        ...profile.overrides,
        [GATE_VAR]: selected,
        hardening_not_applicable: notApplicable,
        hardening_resolved_profile: { name: profile.name, sha256: profile.sha256, files: profile.chain.map((c) => c.file) },
      },
    };
  },
});
