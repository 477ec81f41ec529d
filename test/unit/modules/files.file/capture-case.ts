// Shared by the capture cases (capture-cases.ts, capture-cases-text.ts): the case shape and sample files.
import { createHash } from "node:crypto";
export const sha = (s: string | Buffer) => createHash("sha256").update(s).digest("hex");
export const short = (s: string | Buffer) => sha(s).slice(0, 12) + "…";
type F = { content: string | number[]; mode?: string; owner?: string; group?: string };
type D = { mode?: string; owner?: string; group?: string };
export interface Case {
  module: string;
  name: string;
  description: string;
  args: Record<string, unknown>;
  files?: Record<string, F>;
  dirs?: Record<string, D>;
  links?: Record<string, string>;
  state?: unknown;
  changes: unknown[];
  explain?: string;
  apply?: unknown[];
  diff_error?: string;
}
export const SSHD = "# sshd config\nPort 22\n#PermitRootLogin prohibit-password\nPasswordAuthentication yes\nUsePAM yes\n";
export const BLOCK_FILE = "127.0.0.1 localhost\n# BEGIN ANSIBLE MANAGED BLOCK\n10.0.0.1 db\n# END ANSIBLE MANAGED BLOCK\n::1 localhost\n";
