// system.timezone — community.general.timezone: the system time zone, and the hardware clock's
// UTC/local mode. Two strategies, as in Ansible:
//   - systemd hosts: what `timedatectl show` reports, set with `timedatectl set-timezone` /
//     `set-local-rtc`;
//   - other hosts (Ansible's NosystemdTimezone, the Debian branch): /etc/timezone holds the name
//     and /etc/localtime links to /usr/share/zoneinfo/NAME (a copy with the same bytes also
//     counts); apply links it, writes /etc/timezone and runs `dpkg-reconfigure tzdata` when
//     present. The hardware clock goes through `hwclock --systohc --utc|--localtime`, judged by
//     the third line of /etc/adjtime.
import { defineModule, type Change } from "../../engine/core/module.js";
import { ArgError, ModuleError } from "../../engine/core/errors.js";
import { findRec, parseRecords } from "../../engine/core/record.js";
import { snip } from "../../engine/core/snippets.js";
import { shq } from "../../engine/core/shell.js";

export interface TimezoneArgs {
  name?: string;
  hwclock?: "UTC" | "local" | "utc" | "Local" | "LOCAL";
}

export interface TimezoneState {
  systemd: boolean;
  /** The zone now in effect: timedatectl's, or the first word of /etc/timezone (undefined: no file). */
  name?: string;
  /** Non-systemd: what /etc/localtime links to (or "copy" when it is a file with the wanted zone's bytes, "other" otherwise). */
  localtime?: string;
  /** /usr/share/zoneinfo/NAME exists for the wanted name. */
  zoneKnown: boolean;
  /** "UTC" or "local"; undefined when unknown. */
  hwclock?: "UTC" | "local";
  /** hwclock(8) is installed. */
  hwclockBin: boolean;
}

const ZONEINFO = "/usr/share/zoneinfo";

/** What apply does: set the zone (name, or the /etc/localtime link without systemd), set the RTC mode. */
type TimezoneOp = { op: "zone" } | { op: "hwclock" };

export default defineModule<TimezoneArgs, TimezoneState, TimezoneOp>({
  name: "system.timezone",
  aliases: ["timezone", "community.general.timezone"],
  description:
    "Ensure the system time zone (timedatectl on systemd hosts; /etc/timezone and the /etc/localtime link elsewhere, as Ansible does on Debian) and the hardware clock's UTC/local mode.",
  argAliases: { rtc: "hwclock" },
  args: {
    type: "object",
    additionalProperties: false,
    anyOf: [{ required: ["name"] }, { required: ["hwclock"] }],
    properties: {
      name: { type: "string", minLength: 1, description: "The time zone, a name under /usr/share/zoneinfo (Europe/Paris, Etc/UTC…)." },
      hwclock: { enum: ["UTC", "local", "utc", "Local", "LOCAL"], description: "Whether the hardware clock keeps UTC or local time." },
    },
  },
  resource: (a) => `timezone ${a.name ?? ""}${a.hwclock ? `${a.name ? ", " : ""}hwclock ${rtc(a.hwclock)}` : ""}`,

  validate(a) {
    if (a.name !== undefined && (!/^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/.test(a.name) || a.name.split("/").some((p) => p === ".." || p === "."))) {
      throw new ArgError("name", `invalid time zone name '${a.name}'`, "a zone name under /usr/share/zoneinfo, e.g. Europe/Paris or Etc/UTC");
    }
  },

  probe(a) {
    const zone = a.name ?? "Etc/UTC";
    const lines = [
      snip.begin("tz"),
      `if [ -f ${shq(`${ZONEINFO}/${zone}`)} ]; then printf 'known=1\\n'; fi`,
      `if command -v hwclock >/dev/null 2>&1; then printf 'hwclock_bin=1\\n'; fi`,
    ];
    // As Ansible: timedatectl when it exists and systemd manages the host (/run/systemd/system).
    lines.push(
      `if command -v timedatectl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then printf 'systemd=1\\n'`,
      snip.field("name", '"$(timedatectl show -p Timezone --value 2>/dev/null)"'),
      snip.field("rtc", '"$(timedatectl show -p LocalRTC --value 2>/dev/null)"'),
      `else`,
      `if [ -f /etc/timezone ]; then`,
      snip.field("name", '"$(head -n 1 /etc/timezone)"'),
      `fi`,
      `if [ -L /etc/localtime ]; then`,
      snip.field("link", '"$(readlink /etc/localtime)"'),
      `elif [ -f /etc/localtime ] && cmp -s /etc/localtime ${shq(`${ZONEINFO}/${zone}`)}; then printf 'link=copy\\n'`,
      `elif [ -e /etc/localtime ]; then printf 'link=other\\n'; fi`,
      `if [ -f /etc/adjtime ]; then`,
      snip.field("adjtime", '"$(sed -n 3p /etc/adjtime)"'),
      `fi`,
      `fi`,
    );
    return {
      script: lines.join("\n"),
      parse(stdout) {
        const r = findRec(parseRecords(stdout), "tz");
        if (!r) throw new ModuleError(`unexpected probe output: ${JSON.stringify(stdout.slice(0, 200))}`);
        const systemd = r.get("systemd") === "1";
        const st: TimezoneState = { systemd, zoneKnown: r.get("known") === "1", hwclockBin: r.get("hwclock_bin") === "1" };
        const name = r.get("name")?.trim().split(/\s+/)[0];
        if (name) st.name = name;
        const link = r.get("link");
        if (link !== undefined) st.localtime = link;
        const mode = systemd ? r.get("rtc") : r.get("adjtime");
        if (mode === "no" || mode === "UTC") st.hwclock = "UTC";
        else if (mode === "yes" || mode === "LOCAL") st.hwclock = "local";
        return st;
      },
    };
  },

  diff(st, a) {
    const out: Change<TimezoneOp>[] = [];
    if (a.name !== undefined) {
      if (!st.zoneKnown) throw new ModuleError(`given timezone "${a.name}" is not available: no ${ZONEINFO}/${a.name} on the host (is tzdata installed?)`);
      if (st.name !== a.name)
        out.push({ summary: `timezone ${st.name ?? "unset"} → ${a.name}`, field: "name", before: st.name ?? null, after: a.name, data: { op: "zone" } });
      if (!st.systemd && !localtimeOk(st.localtime, a.name)) {
        out.push({
          summary: `/etc/localtime ${st.localtime === undefined ? "missing" : `→ ${st.localtime}`}, to link ${ZONEINFO}/${a.name}`,
          field: "localtime",
          before: st.localtime ?? null,
          after: `${ZONEINFO}/${a.name}`,
          data: { op: "zone" },
        });
      }
    }
    if (a.hwclock !== undefined && st.hwclock !== rtc(a.hwclock)) {
      out.push({
        summary: `hardware clock ${st.hwclock ?? "unknown"} → ${rtc(a.hwclock)}`,
        field: "hwclock",
        before: st.hwclock ?? null,
        after: rtc(a.hwclock),
        data: { op: "hwclock" },
      });
    }
    return out;
  },

  explain(st, a) {
    const parts: string[] = [];
    if (a.name !== undefined) parts.push(`timezone is ${st.name}${st.systemd ? "" : ", /etc/localtime matches"}`);
    if (a.hwclock !== undefined) parts.push(`hardware clock keeps ${st.hwclock}`);
    return parts.join("; ");
  },

  async apply(host, a, changes, st) {
    const ops = new Set(changes.map((c) => c.data!.op));
    // hwclock first, as Ansible sets its arguments in argument_spec order (hwclock, name): a failing
    // hwclock leaves the zone as it was
    if (ops.has("hwclock")) {
      const mode = rtc(a.hwclock!);
      if (st.systemd) await host.run(`timedatectl set-local-rtc ${mode === "local" ? "yes" : "no"}`);
      else {
        if (!st.hwclockBin) throw new ModuleError("hwclock is not installed on the host: the hardware clock mode cannot be set (Ansible requires it too)");
        await host.run(`hwclock --systohc ${mode === "local" ? "--localtime" : "--utc"}`);
      }
    }
    if (ops.has("zone")) {
      const name = a.name!;
      if (st.systemd) await host.run(`timedatectl set-timezone ${shq(name)}`);
      else {
        await host.run(`ln -sf ${shq(`${ZONEINFO}/${name}`)} /etc/localtime`);
        await host.writeFile("/etc/timezone", `${name}\n`, { mode: "0644" });
        // As Ansible on Debian: let tzdata re-read the link (it writes the same two files).
        await host.run("if command -v dpkg-reconfigure >/dev/null 2>&1; then dpkg-reconfigure --frontend noninteractive tzdata; fi");
      }
    }
  },
});

function rtc(h: string): "UTC" | "local" {
  return h.toLowerCase() === "utc" ? "UTC" : "local";
}

/** /etc/localtime is right when it links to the zone's file (absolute or relative) or is a copy of it. */
function localtimeOk(link: string | undefined, name: string): boolean {
  if (link === undefined || link === "other") return false;
  if (link === "copy") return true;
  return link === `${ZONEINFO}/${name}` || link.replace(/^(\.\.\/)+/, "/") === `${ZONEINFO}/${name}`;
}
