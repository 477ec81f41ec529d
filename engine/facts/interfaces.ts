// Ansible's network facts on Linux, computed as ansible-core 2.14's LinuxNetwork collector computes
// them (module_utils/facts/network/linux.py get_interfaces_info): one fact per interface
// (ansible_eth0: device, macaddress, mtu, active, type, promisc, speed, module, pciid, bridge and
// bonding details, ipv4, ipv4_secondaries, ipv6), the interface list, default_ipv4/ipv6 completed
// from the interface that holds their address, and every address. Ansible runs
// `ip addr show primary|secondary dev X` per interface; keel's probe runs `ip addr show` once and
// splits it here (secondary IPv4 and temporary IPv6 addresses, the ones `secondary` selects, carry
// that word on their line). Pure: the input is the text of probe sections (probe.ts networkPart).

/** Ansible's LinuxNetwork.INTERFACE_TYPE (/sys/class/net/X/type). */
const IFTYPE: Record<string, string> = { "1": "ether", "32": "infiniband", "512": "ppp", "772": "loopback", "65534": "tunnel" };

/** One interface as the probe's sysnet section saw it in /sys/class/net. */
interface SysIface {
  name: string;
  address: string;
  mtu: string;
  type: string;
  operstate: string;
  flags: string;
  speed: string;
  /** "+key=value" lines: module, pciid, bridge, bonding… */
  extra: Map<string, string>;
}

/**
 * The sysnet section: one `name|address|mtu|type|operstate|flags|speed` line per interface, in
 * directory order, followed by its `+key=value` lines (captures before those fields have four).
 */
export function parseSysnet(lines: readonly string[]): SysIface[] {
  const out: SysIface[] = [];
  for (const l of lines) {
    if (l.startsWith("+")) {
      const cur = out[out.length - 1];
      const i = l.indexOf("=");
      if (cur) cur.extra.set(i < 0 ? l.slice(1) : l.slice(1, i), i < 0 ? "" : l.slice(i + 1));
      continue;
    }
    const [name = "", address = "", mtu = "", type = "", operstate = "", flags = "", speed = ""] = l.split("|");
    if (name)
      out.push({
        name,
        address: address.trim(),
        mtu: mtu.trim(),
        type: type.trim(),
        operstate: operstate.trim(),
        flags: flags.trim(),
        speed: speed.trim(),
        extra: new Map(),
      });
  }
  return out;
}

/** `ip addr show` split per device (header "2: eth0@if9: <…>"), in the kernel's order. */
function addrBlocks(addr: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const line of addr) {
    const head = /^\d+:\s+([^\s:@]+)/.exec(line);
    if (head) {
      cur = [];
      out.set(head[1]!, cur);
    } else if (cur) cur.push(line);
  }
  return out;
}

/** Ansible's route-lookup parsing: dev, src and via after the queried address. */
function routeGet(lines: readonly string[], target: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const w = (lines[0] ?? "").trim().split(/\s+/);
  if (w[0] !== target) return out;
  for (let i = 0; i < w.length - 1; i++) {
    if (w[i] === "dev") out.interface = w[i + 1];
    else if (w[i] === "src") out.address = w[i + 1];
    else if (w[i] === "via" && w[i + 1] !== target) out.gateway = w[i + 1];
  }
  return out;
}

function ipv4Net(address: string, prefix: number): { netmask: string; network: string } {
  const toInt = (ip: string) => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
  const toIp = (n: number) => [24, 16, 8, 0].map((b) => Math.floor(n / 2 ** b) % 256).join(".");
  const mask = prefix === 0 ? 0 : 2 ** 32 - 2 ** (32 - prefix);
  return { netmask: toIp(mask), network: toIp((toInt(address) & mask) >>> 0) };
}

const firstWord = (s: string | undefined) => (s ?? "").trim().split(/\s+/)[0] ?? "";

/** The sysfs part of one interface's fact, field by field as Ansible fills it. */
function sysfsFacts(d: SysIface): Record<string, unknown> {
  const f: Record<string, unknown> = { device: d.name };
  const x = d.extra;
  if (d.address && d.address !== "00:00:00:00:00:00") f.macaddress = d.address;
  if (/^\d+$/.test(d.mtu)) f.mtu = Number(d.mtu);
  if (d.operstate) f.active = d.operstate !== "down";
  if (x.has("module")) f.module = x.get("module")!.split("/").pop();
  if (d.type) f.type = IFTYPE[d.type] ?? "unknown";
  if (x.has("bridge")) {
    f.type = "bridge";
    f.interfaces = (x.get("brif") ?? "").split(/\s+/).filter(Boolean);
    if (x.has("bridge_id")) f.id = x.get("bridge_id");
    if (x.has("stp_state")) f.stp = x.get("stp_state") === "1";
  }
  if (x.has("bonding")) {
    f.type = "bonding";
    f.slaves = (x.get("slaves") ?? "").split(/\s+/).filter(Boolean);
    f.mode = firstWord(x.get("mode"));
    f.miimon = firstWord(x.get("miimon"));
    f.lacp_rate = firstWord(x.get("lacp_rate"));
    const primary = x.get("primary");
    if (primary) {
      f.primary = primary;
      if (x.has("all_slaves_active")) f.all_slaves_active = x.get("all_slaves_active") === "1";
    }
  }
  if (x.has("perm_hwaddr")) f.perm_macaddress = x.get("perm_hwaddr");
  if (x.has("pciid")) f.pciid = x.get("pciid")!.split("/").pop();
  if (/^-?\d+$/.test(d.speed)) f.speed = Number(d.speed);
  if (/^(0x)?[0-9a-fA-F]+$/.test(d.flags)) f.promisc = (parseInt(d.flags, 16) & 0x0100) > 0;
  return f;
}

export interface NetworkFacts {
  default_ipv4: Record<string, unknown>;
  default_ipv6: Record<string, unknown>;
  all_ipv4_addresses: string[];
  all_ipv6_addresses: string[];
  /** Interface names as Ansible lists them (`:` of alias labels replaced by `_`). */
  interfaces: string[];
  /** Each interface's fact (ansible_<name>), keyed as `interfaces`. */
  interface_facts: Record<string, Record<string, unknown>>;
}

/**
 * Ansible's network facts from `ip -4/-6 route get` (the default interfaces), `ip addr show` and
 * /sys/class/net (the sysnet section, whose order is the directory's, as Python's glob reads it).
 */
export function networkFacts(route4: readonly string[], route6: readonly string[], addr: readonly string[], sysnet: readonly string[]): NetworkFacts {
  const v4 = routeGet(route4, "8.8.8.8");
  const v6 = routeGet(route6, "2404:6800:400a:800::1012");
  const blocks = addrBlocks(addr);
  const sys = parseSysnet(sysnet);
  // captures without the sysnet section: the devices of `ip addr show`, with nothing from sysfs
  const devices: SysIface[] = sys.length
    ? sys
    : [...blocks.keys()].map((name) => ({ name, address: "", mtu: "", type: "", operstate: "", flags: "", speed: "", extra: new Map() }));
  const interfaces: Record<string, Record<string, unknown>> = {};
  const all4: string[] = [];
  const all6: string[] = [];
  for (const d of devices) {
    const device = d.name;
    interfaces[device] = sysfsFacts(d);
    const macaddress = d.address;
    const lines = blocks.get(device) ?? [];
    const isSecondary = (w: string[]) => w.includes("secondary") || w.includes("temporary");
    for (const secondary of [false, true]) {
      for (const line of lines) {
        const words = line.trim().split(/\s+/);
        if (!line.trim() || isSecondary(words) !== secondary) continue;
        if (words[0] === "inet") {
          let address: string;
          let len: string;
          let broadcast = "";
          if (words[1]!.includes("/")) {
            [address, len] = words[1]!.split("/") as [string, string];
            if (words.length > 3 && words[2] === "brd") broadcast = words[3]!;
          } else {
            // pointopoint interfaces have no prefix
            address = words[1]!;
            len = "32";
          }
          const entry = { address, broadcast, ...ipv4Net(address, Number(len)), prefix: len };
          const iface = words[words.length - 1]!;
          if (iface !== device) interfaces[iface] = {};
          const target = interfaces[iface]!;
          if (!secondary && !("ipv4" in target)) target.ipv4 = entry;
          else ((target.ipv4_secondaries ??= []) as unknown[]).push({ ...entry });
          if (secondary) {
            const own = interfaces[device]!;
            own.ipv4_secondaries ??= [];
            if (device !== iface) (own.ipv4_secondaries as unknown[]).push({ ...entry });
          }
          if (v4.address === address) {
            Object.assign(v4, {
              broadcast,
              netmask: entry.netmask,
              network: entry.network,
              prefix: len,
              macaddress,
              mtu: interfaces[device]!.mtu,
              type: (interfaces[device]!.type as string | undefined) ?? "unknown",
              alias: iface,
            });
          }
          if (!address.startsWith("127.")) all4.push(address);
        } else if (words[0] === "inet6") {
          const peer = words[2] === "peer";
          const address = peer ? words[1]! : words[1]!.split("/")[0]!;
          const prefix = peer ? ((words[3] ?? "").split("/")[1] ?? "") : (words[1]!.split("/")[1] ?? "");
          const scope = peer ? words[5] : words[3];
          ((interfaces[device]!.ipv6 ??= []) as unknown[]).push({ address, prefix, scope });
          if (v6.address === address)
            Object.assign(v6, { prefix, scope, macaddress, mtu: interfaces[device]!.mtu, type: (interfaces[device]!.type as string | undefined) ?? "unknown" });
          if (address !== "::1") all6.push(address);
        }
      }
    }
  }
  // `:` of alias labels (eth0:1) becomes `_`: such names are hard to use in templates
  const renamed: Record<string, Record<string, unknown>> = {};
  for (const [k, v] of Object.entries(interfaces)) renamed[k.replace(/:/g, "_")] = v;
  return {
    default_ipv4: v4,
    default_ipv6: v6,
    all_ipv4_addresses: all4,
    all_ipv6_addresses: all6,
    interfaces: Object.keys(renamed),
    interface_facts: renamed,
  };
}

/** The sysnet section's shell text: builtins only, a process only for links that exist (module, pciid, bridge ports). */
export const SYSNET_SCRIPT = [
  // directory order (ls -U), not the shell's sorted glob: Ansible's glob reads readdir order
  'for _b in $(ls -U /sys/class/net); do _n=/sys/class/net/$_b; [ -d "$_n" ] || continue',
  '_a=; _m=; _t=; _o=; _f=; _s=; IFS= read -r _a < "$_n/address"; IFS= read -r _m < "$_n/mtu"; IFS= read -r _t < "$_n/type"',
  'IFS= read -r _o < "$_n/operstate"; IFS= read -r _f < "$_n/flags"; IFS= read -r _s < "$_n/speed"',
  `printf '%s|%s|%s|%s|%s|%s|%s\\n' "\${_n##*/}" "$_a" "$_m" "$_t" "$_o" "$_f" "$_s"`,
  '[ -e "$_n/device/driver/module" ] && echo "+module=$(readlink -f "$_n/device/driver/module")"',
  '[ -e "$_n/device" ] && echo "+pciid=$(readlink "$_n/device")"',
  'if [ -d "$_n/bridge" ]; then echo +bridge; echo "+brif=" $(ls -U "$_n/brif")',
  '  for _k in bridge_id stp_state; do _v=; [ -e "$_n/bridge/$_k" ] && IFS= read -r _v < "$_n/bridge/$_k"; [ -e "$_n/bridge/$_k" ] && echo "+$_k=$_v"; done; fi',
  'if [ -d "$_n/bonding" ]; then echo +bonding',
  '  for _k in slaves mode miimon lacp_rate primary all_slaves_active; do _v=; [ -e "$_n/bonding/$_k" ] && { IFS= read -r _v < "$_n/bonding/$_k"; echo "+$_k=$_v"; }; done; fi',
  '[ -e "$_n/bonding_slave" ] && { _v=; IFS= read -r _v < "$_n/bonding_slave/perm_hwaddr"; echo "+perm_hwaddr=$_v"; }',
  "done",
  "true",
].join("\n");

/** Ansible's caps collector: `capsh --print`'s Current line; N/A without capsh. */
export function capsFacts(lines: readonly string[] | undefined): Record<string, unknown> {
  if (!lines || lines[lines.length - 1] !== "capsh-ok") return { system_capabilities_enforced: "N/A", system_capabilities: "N/A" };
  let enforced = "NA";
  let caps: string[] = [];
  for (const line of lines) {
    if (!line.startsWith("Current:")) continue;
    // as Python's split: the text between the first and the second colon, after the first `=`
    if ((line.split(":")[1] ?? "").trim() === "=ep") enforced = "False";
    else {
      enforced = "True";
      caps = (line.split("=")[1] ?? "").split(",").map((c) => c.trim());
    }
  }
  return { system_capabilities_enforced: enforced, system_capabilities: caps };
}

/** The caps section: capsh's output, then a marker when it succeeded (Ansible reads it only then). */
export const CAPS_SCRIPT = "command -v capsh >/dev/null && capsh --print && echo capsh-ok\ntrue";

const KEY_ALGOS = ["dsa", "rsa", "ecdsa", "ed25519"];
const KEY_DIRS = ["/etc/ssh", "/etc/openssh", "/etc"];

/** The ssh host keys section: `dir|algo|first line` of each public host key file that can be read. */
export const SSH_KEYS_SCRIPT = [
  `for _d in ${KEY_DIRS.join(" ")}; do for _k in ${KEY_ALGOS.join(" ")}; do _f=$_d/ssh_host_\${_k}_key.pub`,
  '[ -r "$_f" ] && { _v=; IFS= read -r _v < "$_f"; printf \'%s|%s|%s\\n\' "$_d" "$_k" "$_v"; }; done; done',
  "true",
].join("\n");

/** Ansible's ssh_pub_keys collector: the first directory with keys wins, in its own loop order. */
export function sshHostKeyFacts(lines: readonly string[]): Record<string, string> {
  const found = new Map<string, string>();
  for (const l of lines) {
    const [d = "", k = "", ...rest] = l.split("|");
    found.set(`${d}|${k}`, rest.join("|"));
  }
  const out: Record<string, string> = {};
  for (const dir of KEY_DIRS)
    for (const algo of KEY_ALGOS) {
      const name = `ssh_host_key_${algo}_public`;
      // a previous directory had this key: Ansible stops looking
      if (name in out) return out;
      const data = found.get(`${dir}|${algo}`);
      if (data === undefined) continue;
      const [keytype, key] = data.trim().split(/\s+/);
      if (keytype === undefined || key === undefined) continue;
      out[name] = key;
      out[`${name}_keytype`] = keytype;
    }
  return out;
}
