// Drift on purpose: helpers that change a lab host behind keel's back, the way a person with a
// root shell would. They act through hostExec (namespaces + chroot), never over SSH.
import { shq } from "../../engine/core/shell.js";
import type { LabHostName } from "./config.js";
import { hostExec } from "./host.js";
import type { RunResult } from "./util.js";

type HostRef = string | number | LabHostName;

/** Write a file on the host (atomically: temp file then rename). */
export async function writeHostFile(host: HostRef, path: string, content: string, mode = "0644"): Promise<void> {
  const tmp = `${path}.keel-lab-tmp`;
  await hostExec(host, `umask 077 && cat > ${shq(tmp)} && chmod ${shq(mode)} ${shq(tmp)} && mv -f ${shq(tmp)} ${shq(path)}`, { input: content });
}

/** Read a file on the host; undefined when it does not exist. */
export async function readHostFile(host: HostRef, path: string): Promise<string | undefined> {
  const r = await hostExec(host, `cat ${shq(path)}`, { check: false });
  return r.code === 0 ? r.stdout : undefined;
}

/** Append a line to a file on the host (creating it). */
export async function appendHostFile(host: HostRef, path: string, line: string): Promise<void> {
  await hostExec(host, `cat >> ${shq(path)}`, { input: line.endsWith("\n") ? line : line + "\n" });
}

export async function removeHostFile(host: HostRef, path: string): Promise<void> {
  await hostExec(host, `rm -rf -- ${shq(path)}`);
}

/** Add a local user (useradd -m), e.g. an unexpected account as drift. */
export async function addHostUser(host: HostRef, user: string, opts: { uid?: number; shell?: string; groups?: string[] } = {}): Promise<void> {
  const args = ["useradd", "-m"];
  if (opts.uid !== undefined) args.push("-u", String(opts.uid));
  if (opts.shell) args.push("-s", opts.shell);
  if (opts.groups?.length) args.push("-G", opts.groups.join(","));
  await hostExec(host, [...args, user].map(shq).join(" "));
}

export async function removeHostUser(host: HostRef, user: string): Promise<void> {
  await hostExec(host, `userdel -r ${shq(user)} 2>/dev/null || userdel ${shq(user)}`);
}

/** Flush the host's whole nftables ruleset (only the host's: it has its own network namespace). */
export async function flushFirewall(host: HostRef): Promise<void> {
  await hostExec(host, "nft flush ruleset");
}

/** The host's nftables ruleset as `nft list ruleset` prints it. */
export async function listFirewall(host: HostRef): Promise<string> {
  return (await hostExec(host, "nft list ruleset")).stdout;
}

/** Run a sysv service action on the host: `service NAME ACTION`. */
export function hostService(host: HostRef, name: string, action: string): Promise<RunResult> {
  return hostExec(host, `service ${shq(name)} ${shq(action)}`, { check: false });
}
