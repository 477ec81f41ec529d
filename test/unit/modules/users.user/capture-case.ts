// Shared by the capture cases of users.*, system.command and system.shell (see capture-fixtures.ts):
// the case shape, password hashes, public keys and their fingerprints, paths the cases write.
import type { HostModule } from "../../../../engine/core/module.js";

export const HASH1 = "$6$keeltestsalt1$2TGr4/aVfmtBiUVaJ5vq97EJZv/f0/J4m/79qxSR.Kskmt6MTNC55boS564BKJNnnjrUXGKkRRz/oWAHWMlqF0";
export const HASH2 = "$6$keeltestsalt2$.1Jl//FyiiX9dhCAth87ZeCaN9R/.wrYGsE6yB/Q8x63TGG7eaPsW9CBhNs5KnGNAywkVBEhvzUSogEfF7KBZ.";
export const KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAJn8pOdikveYDSXXrqE1g4xrMcHS5L8wBqfZMS/WDYB alice@laptop";
export const KEY_B = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFj9F3Y/dMM5qkle34E06grdeE30jtF5V6aNHTmOe1qe bob@desk";
export const KEY_C =
  "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEl2Do7yUr+pZN3wGp0wTiqRu36ozJI0ptLJeoNUNtsPggdJOWX4NXPhIokogsDkBzzMUeg7bj5Nm67wRgcWZ9E= carol@old";
// Fingerprints as printed by `ssh-keygen -lf` for the keys above.
export const FP_A = "SHA256:kbVRHgscjIrKv5n0Jbgy0xJ0g5UJIbp8jvr7LPcToc8";
export const FP_B = "SHA256:CLzgO/QAtaR0yhG7IHwei2yW8c9UQSltgTzXfSabVQA";
export const FP_C = "SHA256:c+vUzrtosnGf5Yt4pzHW0rvG9Sd1pt/pEmdcot1d+BA";

export interface Case {
  mod: HostModule;
  file: string;
  description: string;
  setup?: string;
  args: Record<string, unknown>;
  /** Run the probe as `nobody` (no become). */
  asNobody?: boolean;
  expect: Record<string, unknown>;
}

export const AK = "/home/keeltest-u1/.ssh/authorized_keys";
export const writeKeys = (content: string, mode = "600") =>
  `mkdir -p /home/keeltest-u1/.ssh && chmod 700 /home/keeltest-u1/.ssh && printf '%s' '${content}' > ${AK} && chmod ${mode} ${AK} && chown -R keeltest-u1:keeltest-u1 /home/keeltest-u1/.ssh`;
export const SUD = "/etc/sudoers.d/keeltest-s1";
