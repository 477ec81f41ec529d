// The file modules' shared helpers (schemas, modes, the file probe, attribute diffs, writeWhole) are
// in engine/core/filestate.ts, where system.pam_limits reaches them too; re-exported here so the
// files area imports them from one place.
export * from "../../engine/core/filestate.js";
import type { JSONSchema } from "../../engine/core/module.js";

/**
 * Ansible's unsafe_writes: its atomic_move falls back to writing in place only when the final
 * rename fails (EBUSY/EXDEV/EPERM… on bind-mounted files); on a filesystem where rename works, as
 * on every host keel writes, it changes nothing. keel's write stays atomic either way: where the
 * rename fails, the task fails with the error instead of writing in place.
 */
export const UNSAFE_WRITES_SCHEMA: JSONSchema = {
  type: "boolean",
  default: false,
  description:
    "Accepted for Ansible compatibility; no effect where rename(2) works. keel never falls back to a non-atomic write: where the final rename fails (a bind-mounted file), the task fails.",
};
