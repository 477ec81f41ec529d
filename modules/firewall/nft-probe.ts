// The probe shared by the firewall modules that manage an nftables table: the live ruleset as JSON,
// the persisted files, and keel's own SSH connection as the host sees it (SSH_CONNECTION, read from
// the probe's ancestors when become/sudo dropped it) with the interface it arrives on.
import { snip } from "../../engine/core/snippets.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { MAIN_FILE, type PersistInput } from "./nft-persist.js";
import { parseNftJson, type LiveRuleset } from "./nft-json.js";
import { parseSshConnection, type SshPath } from "./guard.js";

export interface NftHostState {
  /** nft's exit code and error when listing failed (127: nft not installed). */
  nftRc: number;
  nftErr?: string;
  live?: LiveRuleset;
  persist: PersistInput;
  ssh?: SshPath;
}

/** Finds SSH_CONNECTION in the environment or in the closest ancestor process that has it. */
export const SSH_SNIPPET = [
  `_keel_sc=\${SSH_CONNECTION:-}; _keel_pp=$$; _keel_i=0`,
  `while [ -z "$_keel_sc" ] && [ "$_keel_pp" -gt 1 ] 2>/dev/null && [ $_keel_i -lt 30 ]; do`,
  `  _keel_sc=$(tr '\\000' '\\n' < /proc/$_keel_pp/environ 2>/dev/null | sed -n 's/^SSH_CONNECTION=//p' | head -n 1)`,
  `  _keel_pp=$(sed -n 's/^PPid:[[:space:]]*//p' /proc/$_keel_pp/status 2>/dev/null); _keel_i=$((_keel_i+1))`,
  `done`,
  snip.begin("ssh"),
  snip.field("conn", `"$_keel_sc"`),
  `set -- $_keel_sc`,
  `if [ $# -eq 4 ] && command -v ip >/dev/null 2>&1; then`,
  snip.field("iif", `"$(ip -o addr show 2>/dev/null | awk -v a="$3" '{ split($4, p, "/"); if (p[1] == a) { print $2; exit } }')"`),
  `fi`,
].join("\n");

export function nftProbeScript(files: string[]): string {
  return [
    "LC_ALL=C; export LC_ALL",
    snip.cmd("nft", "if command -v nft >/dev/null 2>&1; then nft -j list ruleset; else echo 'nft: command not found' >&2; exit 127; fi"),
    snip.readFile("main", MAIN_FILE),
    ...files.map((f, i) => snip.readFile(`f${i}`, f)),
    SSH_SNIPPET,
  ].join("\n");
}

export function parseNftProbe(stdout: string, files: string[]): NftHostState {
  const recs = parseRecords(stdout);
  const nft = findRec(recs, "cmd", "nft");
  const rc = nft?.int("rc") ?? 127;
  const st: NftHostState = { nftRc: rc, persist: { files: {} } };
  if (rc === 0) st.live = parseNftJson(nft?.get("out") ?? "");
  else st.nftErr = (nft?.get("err") ?? "").trim() || `exit code ${rc}`;
  const content = (id: string) => {
    const r = findRec(recs, "file", id);
    return r?.get("exists") === "1" && r.get("type") === "file" ? (r.get("content") ?? "") : undefined;
  };
  const main = content("main");
  if (main !== undefined) st.persist.main = main;
  files.forEach((f, i) => (st.persist.files[f] = content(`f${i}`)));
  const ssh = findRec(recs, "ssh");
  const path = parseSshConnection(ssh?.get("conn"), ssh?.get("iif") || undefined);
  if (path) st.ssh = path;
  return st;
}
