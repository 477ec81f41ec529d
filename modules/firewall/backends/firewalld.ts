// firewall.rule's firewalld strategy: the rule goes to the default zone, as a port (`--add-port`)
// when it allows from anywhere, else as a rich rule. firewalld keeps a runtime and a permanent
// configuration: they are separate facets ("runtime:", "permanent:") with their own changes, and
// apply changes both. Risky changes run under the dead-man switch, which restores /etc/firewalld and
// reloads. The probe reads `firewall-cmd --list-all` (runtime and --permanent) of the default zone.
import type { Change, Host } from "../../../engine/core/module.js";
import { ModuleError } from "../../../engine/core/errors.js";
import { shq } from "../../../engine/core/shell.js";
import { snip } from "../../../engine/core/snippets.js";
import { findRec, type Rec } from "../../../engine/core/record.js";
import { contains, parsePrefix } from "../addr.js";
import type { SshPath } from "../guard.js";
import { guardedChange } from "../deadman.js";
import type { Intent, NormRule } from "../ufw-args.js";

export interface ZoneView {
  zone: string;
  target: string;
  services: string[];
  ports: string[];
  richRules: string[];
}

export interface FirewalldState {
  zone: string;
  runtime: ZoneView;
  permanent: ZoneView;
}

export const FIREWALLD_PROBE = [
  `if command -v firewall-cmd >/dev/null 2>&1; then`,
  `_keel_z=$(firewall-cmd --get-default-zone 2>/dev/null)`,
  snip.cmd("fwd_runtime", `firewall-cmd --zone="$_keel_z" --list-all`),
  snip.cmd("fwd_permanent", `firewall-cmd --permanent --zone="$_keel_z" --list-all`),
  `fi`,
].join("\n");

/** Parses `firewall-cmd --list-all` ("public (active)", then "  key: values", rich rules one per line). */
export function parseListAll(text: string): ZoneView {
  const lines = text.split("\n");
  const z: ZoneView = { zone: (lines[0] ?? "").trim().split(/\s+/)[0] ?? "", target: "default", services: [], ports: [], richRules: [] };
  let inRich = false;
  for (const raw of lines.slice(1)) {
    const line = raw.replace(/\r$/, "");
    const kv = /^\s{2}([a-z -]+):\s?(.*)$/.exec(line);
    if (kv && !line.startsWith("\t")) {
      inRich = kv[1] === "rich rules";
      const v = kv[2]!.trim();
      if (kv[1] === "target") z.target = v;
      else if (kv[1] === "services") z.services = v ? v.split(/\s+/) : [];
      else if (kv[1] === "ports") z.ports = v ? v.split(/\s+/) : [];
      else if (inRich && v) z.richRules.push(v);
      continue;
    }
    if (inRich && line.trim()) z.richRules.push(line.trim());
  }
  return z;
}

export function parseFirewalld(recs: Rec[]): FirewalldState | undefined {
  const rt = findRec(recs, "cmd", "fwd_runtime");
  const pm = findRec(recs, "cmd", "fwd_permanent");
  if (!rt || rt.int("rc") !== 0 || !pm || pm.int("rc") !== 0) return undefined;
  const runtime = parseListAll(rt.get("out") ?? "");
  return { zone: runtime.zone, runtime, permanent: parseListAll(pm.get("out") ?? "") };
}

const TARGET = { allow: "ACCEPT", deny: "DROP", reject: "REJECT" } as const;

/** What the rule becomes in firewalld: ports of the zone, or one rich rule per family. */
export function firewalldItems(r: NormRule): { kind: "port" | "rich"; value: string }[] {
  if (r.dir !== "in") throw new ModuleError("firewalld zones filter incoming traffic; direction: out is not supported with firewalld");
  if (r.iface) throw new ModuleError("with firewalld, interfaces belong to zones; bind the interface to a zone instead of interface: on a rule");
  if (r.sport) throw new ModuleError("from_port is not supported with firewalld");
  if (r.action === "limit") throw new ModuleError("rule: limit is not supported with firewalld (use a rich rule limit in firewalld's own tooling)");
  const protos = r.proto === "any" ? (r.dport ? ["tcp", "udp"] : []) : [r.proto];
  const ports = (r.dport ?? "")
    .split(",")
    .filter(Boolean)
    .map((p) => p.replace(":", "-"));
  if (r.action === "allow" && r.src === "any" && r.dst === "any" && ports.length && !r.log)
    return protos.flatMap((pr) => ports.map((p) => ({ kind: "port" as const, value: `${p}/${pr}` })));
  const fam = (x: string) => (x === "any" ? 0 : parsePrefix(x)!.family);
  const f = fam(r.src) || fam(r.dst);
  const families = f ? [f] : [4, 6];
  const verdict = r.action === "allow" ? "accept" : r.action === "deny" ? "drop" : "reject";
  return families.flatMap((family) =>
    (ports.length
      ? protos.flatMap((pr) => ports.map((p) => ` port port="${p}" protocol="${pr}"`))
      : [protos.length ? ` protocol value="${protos[0]}"` : ""]
    ).map((pp) => ({
      kind: "rich" as const,
      value: `rule family="ipv${family}"${r.src !== "any" ? ` source address="${r.src}"` : ""}${r.dst !== "any" ? ` destination address="${r.dst}"` : ""}${pp}${r.log ? " log" : ""} ${verdict}`,
    })),
  );
}

/** One edit of a zone, as the lockout check replays it on the runtime zone. */
export type ZoneEdit = { set: "target"; value: string } | { list: "port" | "rich"; add: boolean; value: string };

export interface FirewalldPlan {
  backend: "firewalld";
  /** The zone configuration the commands change ("reload": neither; an action). */
  facet: "runtime" | "permanent" | "reload";
  /** The zone edit the commands make (absent for a reload). */
  edit?: ZoneEdit;
  commands: string[];
  guarded: boolean;
  action?: boolean;
}

/** Pure: runtime and permanent changes of the default zone. */
export function diffFirewalld(st: FirewalldState, intent: Intent): Change<FirewalldPlan>[] {
  if (intent.state === "enabled" || intent.state === "disabled" || intent.state === "reset")
    throw new ModuleError(`state: ${intent.state} starts or stops firewalld itself; manage the firewalld service with services.service instead`);
  if (intent.logging !== undefined) throw new ModuleError("logging: is a ufw setting; with firewalld use firewall-cmd --set-log-denied");
  const out: Change<FirewalldPlan>[] = [];
  for (const facet of ["runtime", "permanent"] as const) {
    const v = st[facet];
    const fc = (c: string) => `firewall-cmd${facet === "permanent" ? " --permanent" : ""} --zone=${shq(st.zone)} ${c}`;
    if (
      intent.policy &&
      intent.policy.dir === "incoming" &&
      v.target.toUpperCase() !== TARGET[intent.policy.value] &&
      !(v.target === "default" && intent.policy.value === "reject")
    ) {
      out.push({
        summary: `${facet}: zone ${st.zone} target ${v.target} → ${TARGET[intent.policy.value]}`,
        field: facet,
        before: v.target,
        after: TARGET[intent.policy.value],
        data: {
          backend: "firewalld",
          facet,
          edit: { set: "target", value: TARGET[intent.policy.value] },
          commands: [fc(`--set-target=${TARGET[intent.policy.value]}`)],
          guarded: intent.policy.value !== "allow",
        },
      });
    }
    if (intent.policy && intent.policy.dir !== "incoming")
      throw new ModuleError(`firewalld zones have no ${intent.policy.dir} policy; only direction: incoming maps to the zone's target`);
    const r = intent.rule;
    if (r) {
      for (const it of firewalldItems(r)) {
        const have = it.kind === "port" ? v.ports.includes(it.value) : v.richRules.includes(it.value);
        const opt = it.kind === "port" ? "port" : "rich-rule";
        if (r.delete && have)
          out.push({
            summary: `${facet}: ${it.kind === "port" ? `port ${it.value}` : `rich rule ${it.value}`} present, to remove`,
            field: facet,
            before: it.value,
            data: {
              backend: "firewalld",
              facet,
              edit: { list: it.kind, add: false, value: it.value },
              commands: [fc(`--remove-${opt}=${shq(it.value)}`)],
              guarded: r.action === "allow",
            },
          });
        if (!r.delete && !have)
          out.push({
            summary: `${facet}: ${it.kind === "port" ? `port ${it.value}` : `rich rule ${it.value}`} missing`,
            field: facet,
            after: it.value,
            data: {
              backend: "firewalld",
              facet,
              edit: { list: it.kind, add: true, value: it.value },
              commands: [fc(`--add-${opt}=${shq(it.value)}`)],
              guarded: r.action !== "allow",
            },
          });
      }
    }
  }
  if (intent.state === "reloaded")
    out.push({
      summary: "firewalld reload",
      field: "state",
      data: { backend: "firewalld", facet: "reload", commands: ["firewall-cmd --reload"], guarded: true, action: true },
    });
  return out;
}

/** The NEW SSH connection from the controller after the runtime changes: refusal text, or undefined. */
export function firewalldLockout(st: FirewalldState, changes: Change<FirewalldPlan>[], ssh: SshPath): string | undefined {
  const z: ZoneView = { ...st.runtime, ports: [...st.runtime.ports], richRules: [...st.runtime.richRules] };
  for (const c of changes) {
    const e = c.data?.facet === "runtime" ? c.data.edit : undefined;
    if (!e) continue;
    if ("set" in e) {
      z.target = e.value;
      continue;
    }
    const list = e.list === "port" ? z.ports : z.richRules;
    if (e.add) list.push(e.value);
    else list.splice(list.indexOf(e.value), 1);
  }
  const client = parsePrefix(ssh.client)!;
  const conn = `${ssh.client} → ${ssh.server}:${ssh.serverPort}`;
  const portHit = (spec: string) =>
    spec.split("-").map(Number).length === 2
      ? ssh.serverPort >= Number(spec.split("-")[0]) && ssh.serverPort <= Number(spec.split("-")[1])
      : Number(spec) === ssh.serverPort;
  for (const rr of z.richRules) {
    const fam = /family="ipv(\d)"/.exec(rr)?.[1];
    if (fam && Number(fam) !== client.family) continue;
    const src = /source address="([^"]+)"/.exec(rr)?.[1];
    if (src && !(parsePrefix(src) && contains(parsePrefix(src)!, client))) continue;
    const port = /port port="([^"]+)" protocol="(\w+)"/.exec(rr);
    if (port && (port[2] !== "tcp" || !portHit(port[1]!))) continue;
    if (/ (drop|reject)$/.test(rr))
      return `refusing to apply: a NEW SSH connection from the controller (${conn}) would be ${rr.endsWith("reject") ? "rejected" : "dropped"} by the firewalld rich rule \`${rr}\` in zone ${st.zone}. Nothing was changed. Set allow_lockout: true if this is intended`;
    if (/ accept$/.test(rr)) return undefined;
  }
  if (z.services.includes("ssh") && ssh.serverPort === 22) return undefined;
  if (z.ports.some((p) => p.endsWith("/tcp") && portHit(p.slice(0, -4)))) return undefined;
  if (z.target.toUpperCase() === "ACCEPT") return undefined;
  return `refusing to apply: in zone ${st.zone} (target ${z.target}) nothing would allow a NEW SSH connection from the controller (${conn}). Nothing was changed. Keep the ssh service or port ${ssh.serverPort}/tcp in the zone, or set allow_lockout: true if this is intended`;
}

/** Runs the commands; risky ones under the dead-man switch (restores /etc/firewalld and reloads). */
export async function applyFirewalld(host: Host, changes: Change<FirewalldPlan>[], timeoutS: number): Promise<string> {
  const commands = changes.flatMap((c) => c.data?.commands ?? []);
  if (!changes.some((c) => c.data?.guarded)) {
    for (const c of commands) await host.run(c);
    return commands.join("; ");
  }
  const r = await guardedChange(host, {
    files: { "restore.sh": `tar -C / -xf "$d/firewalld.tar" && firewall-cmd --reload\n` },
    save: `tar -C / -cf "$d/firewalld.tar" etc/firewalld || exit 11`,
    apply: commands.map((c) => `${c} || exit $?`).join("\n"),
    tool: "firewall-cmd",
    label: `firewalld change (${commands.join("; ")})`,
    restores: "firewalld configuration",
    timeoutS,
  });
  return `${commands.join("; ")} (applied in ${r.loadMs} ms; a new SSH connection worked in ${r.proofMs} ms)`;
}
