// The patch strategies keyed by facts.pkg_mgr (yum is dnf on EL8 and later).
import { ModuleError } from "../../engine/core/errors.js";
import type { Facts } from "../../engine/core/facts.js";
import { aptPatch } from "./apt.js";
import { dnfPatch } from "./dnf.js";
import type { PatchBackend } from "./types.js";

export const PATCH_BACKENDS: Readonly<Record<string, PatchBackend>> = { apt: aptPatch, dnf: dnfPatch, yum: dnfPatch };

export function patchBackend(facts: Pick<Facts, "pkg_mgr">): PatchBackend {
  const be = PATCH_BACKENDS[facts.pkg_mgr];
  if (!be) {
    throw new ModuleError(
      `no patch backend for pkg_mgr '${facts.pkg_mgr}' on this host (supported: ${Object.keys(PATCH_BACKENDS).join(", ")}); is fact gathering off (gather_facts: false)?`,
    );
  }
  return be;
}
