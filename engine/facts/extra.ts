// The facts Ansible roles read most, parsed from sections of the ONE facts probe (probe.ts): the
// environment, the connecting account, the host's clock, the default IPv4/IPv6 interfaces and every
// address, mounts with their sizes, PID 1 (for service_mgr) and virtualisation markers. Pure; each
// value is computed as Ansible's fact collectors compute it (module_utils/facts), so
// engine/facts/ansible.ts can expose them under Ansible's names unchanged. The network facts are
// interfaces.ts's.
import { capsFacts, networkFacts, sshHostKeyFacts } from "./interfaces.js";

export interface MountFact {
  mount: string;
  device: string;
  fstype: string;
  options: string;
  size_total?: number;
  size_available?: number;
  block_size?: number;
  block_total?: number;
  block_available?: number;
  block_used?: number;
  inode_total?: number;
  inode_available?: number;
  inode_used?: number;
  /** lsblk's UUID, "N/A" without one; absent when statvfs timed out. */
  uuid?: string;
  /** Ansible's note when statvfs did not answer within 10 s. */
  note?: string;
}

/** Octal escapes of /proc/mounts fields (\040 for a space). */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Ansible's mounts: real devices only, statvfs sizes, ",bind" for bind mounts, lsblk's UUID. */
export function mountFacts(mounts: string[], findmnt: string[], lsblk: string[], statfs: string[]): MountFact[] {
  const binds = new Set<string>();
  for (const l of findmnt) {
    const f = l.trim().split(/\s+/);
    if (f.length >= 2 && /\]/.test(f[1]!)) binds.add(f[0]!);
  }
  const uuids = new Map<string, string>();
  for (const l of lsblk) {
    const f = l.trim().split(/\s+/);
    if (f.length >= 2) uuids.set(f[0]!, f[1]!);
  }
  const sizes = new Map<string, number[]>();
  const timedOut = new Set<string>();
  for (const l of statfs) {
    const f = l.split("|");
    if (f[0] === "timeout" && f.length >= 2) timedOut.add(f.slice(1).join("|"));
    else if (f.length >= 7) sizes.set(f.slice(6).join("|"), f.slice(0, 6).map(Number));
  }
  const out: MountFact[] = [];
  for (const l of mounts) {
    const f = l.split(" ");
    if (f.length < 4) continue;
    const [devRaw, mntRaw, fstype, options] = f as [string, string, string, string];
    const device = unescape(devRaw);
    const mount = unescape(mntRaw);
    if ((!device.startsWith("/") && !device.startsWith("\\") && !device.includes(":/")) || fstype === "none") continue;
    const m: MountFact = {
      mount,
      device,
      fstype,
      options: binds.has(mount) && !/bind/.test(options) ? `${options},bind` : options,
    };
    // statvfs did not answer within Ansible's 10 s (a hung network mount): Ansible's note, no sizes, no uuid
    if (timedOut.has(mntRaw)) {
      out.push({ ...m, note: "Could not get extra information due to timeout" });
      continue;
    }
    const s = sizes.get(mntRaw);
    if (s && s.every(Number.isFinite)) {
      const [frsize, bsize, blocks, bavail, files, ffree] = s as [number, number, number, number, number, number];
      Object.assign(m, {
        size_total: frsize * blocks,
        size_available: frsize * bavail,
        block_size: bsize,
        block_total: blocks,
        block_available: bavail,
        block_used: blocks - bavail,
        inode_total: files,
        inode_available: ffree,
        inode_used: files - ffree,
      });
    }
    // after the sizes, as Ansible adds it
    m.uuid = uuids.get(device) ?? "N/A";
    out.push(m);
  }
  return out;
}

const WEEKDAY_RE = /^\d{4}\|/;

/** Ansible's date_time from one `date +…` line (local time) and the zone's summer name. */
export function dateTimeFacts(lines: string[]): Record<string, string> | undefined {
  const line = lines.find((l) => WEEKDAY_RE.test(l));
  if (!line) return undefined;
  const [year, month, weekday, wnum, weeknumber, day, hour, minute, second, epoch, nanos, tz, tzOffset] = line.split("|") as string[];
  const micro = (nanos ?? "000000000").padEnd(9, "0").slice(0, 6);
  const utc = new Date(Number(epoch) * 1000).toISOString().slice(0, 19);
  const dst = lines.find((l) => l !== line && l.trim() !== "")?.trim() ?? tz ?? "";
  return {
    year: year!,
    month: month!,
    weekday: weekday!,
    weekday_number: wnum!,
    weeknumber: weeknumber!,
    day: day!,
    hour: hour!,
    minute: minute!,
    second: second!,
    epoch: epoch!,
    epoch_int: String(Number(epoch)),
    date: `${year}-${month}-${day}`,
    time: `${hour}:${minute}:${second}`,
    iso8601_micro: `${utc}.${micro}Z`,
    iso8601: `${utc}Z`,
    iso8601_basic: `${year}${month}${day}T${hour}${minute}${second}${micro}`,
    iso8601_basic_short: `${year}${month}${day}T${hour}${minute}${second}`,
    tz: tz!,
    tz_dst: dst,
    tz_offset: tzOffset!,
  };
}

/** Ansible's service_mgr from PID 1's name; undefined when it says nothing (init, a shell). */
export function serviceMgrFromProc1(comm: string | undefined): string | undefined {
  const p = (comm ?? "").trim().split("/").pop() ?? "";
  if (!p || p === "init" || p.endsWith("sh")) return undefined;
  const map: Record<string, string> = { procd: "openwrt_init", "runit-init": "runit", svscan: "svc", "openrc-init": "openrc" };
  return map[p] ?? p;
}

/** virtualization_type/role from container markers and DMI, as Ansible's Linux collector orders them; NA when nothing says. */
export function virtFacts(lines: string[]): { virtualization_type: string; virtualization_role: string } {
  const kv = new Map<string, string>();
  const markers = new Set<string>();
  for (const l of lines) {
    const i = l.indexOf("=");
    if (i < 0) continue;
    const k = l.slice(0, i);
    const v = l.slice(i + 1).trim();
    if (k === "marker") markers.add(v);
    else kv.set(k, v);
  }
  const guest = (type: string) => ({ virtualization_type: type, virtualization_role: "guest" });
  const cg = kv.get("cgroup") ?? "";
  if (cg.includes("docker") || markers.has("docker")) return guest("docker");
  if (cg.includes("lxc")) return guest("lxc");
  if (markers.has("podman") || cg.includes("libpod")) return guest("podman");
  if (cg.includes("kubepods")) return guest("container");
  const container = kv.get("container") ?? kv.get("systemd_container");
  if (container) return guest(container === "oci" ? "container" : container);
  const product = kv.get("product_name") ?? "";
  const vendor = kv.get("sys_vendor") ?? "";
  if (/^(KVM|KVM Server|Bochs|AHV)$/.test(product)) return guest("kvm");
  if (/^RHEV Hypervisor$|^RHV$/.test(product)) return guest("RHEV");
  if (/^VMware/.test(product)) return guest("VMware");
  if (product === "OpenStack Compute" || product === "OpenStack Nova") return guest("openstack");
  if (product === "VirtualBox") return guest("virtualbox");
  if (product === "HVM domU") return guest("xen");
  if (product === "Parallels Virtual Platform") return guest("parallels");
  if (vendor === "Microsoft Corporation" && product === "Virtual Machine") return guest("VirtualPC");
  if (vendor === "Amazon EC2") return guest("amazon");
  if (vendor === "QEMU") return guest("kvm");
  if (vendor === "oVirt") return guest("oVirt");
  if (vendor === "Google") return guest("kvm");
  if (markers.has("xen")) return guest("xen");
  return { virtualization_type: "NA", virtualization_role: "NA" };
}

/** The environment from `env -0` (NUL-separated) or `env` (lines). */
export function envFacts(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  const entries = text.includes("\0") ? text.split("\0") : text.split("\n");
  for (const e of entries) {
    const i = e.indexOf("=");
    if (i > 0) out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}

/** keel's facts (snake_case keys of Facts) from the extra sections; old captures without them add nothing. */
export function parseExtraFacts(s: Map<string, string[]>, envText: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (envText !== undefined) out.env = envFacts(envText);
  const pw = s.get("pw");
  if (pw && pw.length >= 3) {
    const f = pw[2]!.split(":");
    out.user_uid = Number(pw[0]);
    out.user_gid = Number(pw[1]);
    if (f.length >= 7) Object.assign(out, { user_gecos: f[4], user_dir: f[5], user_shell: f[6] });
  }
  const dt = dateTimeFacts(s.get("date") ?? []);
  if (dt) out.date_time = dt;
  if (s.has("proc1")) {
    const mgr = serviceMgrFromProc1(s.get("proc1")![0]);
    if (mgr) out.proc1_service_mgr = mgr;
  }
  if (s.has("mounts")) out.mounts = mountFacts(s.get("mounts")!, s.get("findmnt") ?? [], s.get("lsblk") ?? [], s.get("statfs") ?? []);
  if (s.has("virt")) Object.assign(out, virtFacts(s.get("virt")!));
  if (s.has("caps")) Object.assign(out, capsFacts(s.get("caps")));
  if (s.has("sshkeys")) Object.assign(out, sshHostKeyFacts(s.get("sshkeys")!));
  if (s.has("addr-all")) Object.assign(out, networkFacts(s.get("route4") ?? [], s.get("route6") ?? [], s.get("addr-all")!, s.get("sysnet") ?? []));
  return out;
}
