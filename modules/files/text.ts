// The line-editing helpers of lineinfile and blockinfile are in engine/core/textedit.ts (shared with
// system.pam_limits); re-exported here with the one Python regex of keel.
export * from "../../engine/core/textedit.js";
export { pyRegex } from "../../engine/core/pyregex.js";
