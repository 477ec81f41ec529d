// system.hostname: ensure the host's name, both live (`hostname`) and persisted (/etc/hostname).
// Arguments follow Ansible's hostname module. On systemd hosts apply also runs hostnamectl.
import { findRec, parseRecords } from "../../engine/core/record.js";
import { snip } from "../../engine/core/snippets.js";
import { defineModule, type Change } from "../../engine/core/module.js";
import { shq } from "../../engine/core/shell.js";
import { ArgError } from "../../engine/core/errors.js";

export interface HostnameArgs {
  name: string;
  use?: string;
}

/** Ansible's hostname strategies (`use`); keel implements the two a Debian host has. */
const STRATEGIES = ["alpine", "debian", "freebsd", "generic", "macos", "macosx", "darwin", "openbsd", "openrc", "redhat", "sles", "solaris", "systemd"];
const IMPLEMENTED = new Set(["debian", "systemd"]);

export interface HostnameState {
  live: string;
  /** First line of /etc/hostname; absent when the file does not exist. */
  file?: string;
}

/** What apply does: write /etc/hostname, set the live name. */
type HostnameOp = { op: "file" } | { op: "live" };

export default defineModule<HostnameArgs, HostnameState, HostnameOp>({
  name: "system.hostname",
  aliases: ["hostname"],
  description: "Ensure the host's name, live and in /etc/hostname (and through hostnamectl on systemd hosts).",
  args: {
    type: "object",
    additionalProperties: false,
    required: ["name"],
    properties: {
      name: {
        description: "The host name: letters, digits and hyphens, in dot-separated labels of at most 63 characters (RFC 1123).",
        type: "string",
        maxLength: 253,
        pattern: "^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$",
      },
      use: {
        description:
          "Ansible's strategy: `debian` writes /etc/hostname and sets the live name (`hostname`); `systemd` does both through `hostnamectl set-hostname` (the host must run systemd). Unset: /etc/hostname and the live name, plus hostnamectl when the host's init is systemd. Ansible's other strategies (redhat, sles, alpine, openrc, the BSDs…) are refused at load.",
        enum: STRATEGIES,
      },
    },
  },

  validate(a) {
    if (a.use !== undefined && !IMPLEMENTED.has(a.use))
      throw new ArgError(
        "use",
        `hostname strategy '${a.use}' is not implemented by keel`,
        "keel implements use: debian and use: systemd (Debian's two); leave use unset to pick by the host's init",
      );
  },

  resource(args) {
    return `hostname ${args.name}`;
  },

  probe() {
    return {
      script: [
        snip.begin("hostname"),
        snip.field("live", '"$(hostname)"'),
        "if [ -f /etc/hostname ]; then",
        snip.field("file", '"$(head -n 1 /etc/hostname)"'),
        "fi",
      ].join("\n"),
      parse(stdout) {
        const r = findRec(parseRecords(stdout), "hostname");
        const st: HostnameState = { live: r?.get("live")?.trim() ?? "" };
        const file = r?.get("file");
        if (file !== undefined) st.file = file.trim();
        return st;
      },
    };
  },

  diff(st, args) {
    const changes: Change<HostnameOp>[] = [];
    if (st.file !== args.name) {
      changes.push({
        summary: st.file === undefined ? `/etc/hostname missing (→ ${args.name})` : `/etc/hostname ${st.file} → ${args.name}`,
        field: "file",
        before: st.file,
        after: args.name,
        diff: { path: "/etc/hostname", before: st.file === undefined ? "" : `${st.file}\n`, after: `${args.name}\n` },
        data: { op: "file" },
      });
    }
    if (st.live !== args.name) {
      changes.push({ summary: `hostname ${st.live} → ${args.name}`, field: "hostname", before: st.live, after: args.name, data: { op: "live" } });
    }
    return changes;
  },

  explain(st) {
    return `hostname is ${st.live}, as in /etc/hostname`;
  },

  async apply(host, args, changes) {
    const ops = new Set(changes.map((c) => c.data!.op));
    // Ansible's SystemdStrategy: hostnamectl --static (/etc/hostname) and --transient (the live name), each only when it differs.
    if (args.use === "systemd") {
      if (ops.has("file")) await host.run(`hostnamectl --static set-hostname ${shq(args.name)}`);
      if (ops.has("live")) await host.run(`hostnamectl --transient set-hostname ${shq(args.name)}`);
      return;
    }
    if (ops.has("file")) await host.writeFile("/etc/hostname", `${args.name}\n`, { mode: "0644" });
    if (ops.has("live")) await host.run(`hostname ${shq(args.name)}`);
    if (args.use === undefined && host.facts.init === "systemd") await host.run(`hostnamectl set-hostname ${shq(args.name)}`);
  },
});
