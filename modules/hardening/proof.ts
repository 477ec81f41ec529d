// The proof after a change that can cut access lives in engine/core/sshd-access.ts (services.service uses it too).
export { proveNewLogin, type Proof } from "../../engine/core/sshd-access.js";
