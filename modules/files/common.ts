// The file modules' shared helpers (schemas, modes, the file probe, attribute diffs, writeWhole) are
// in engine/core/filestate.ts, where system.pam_limits reaches them too; re-exported here so the
// files area imports them from one place.
export * from "../../engine/core/filestate.js";
