// system.hostname: ensure the host's name, both live (`hostname`) and persisted (/etc/hostname).
// Arguments follow Ansible's hostname module. On systemd hosts apply also runs hostnamectl.
import { findRec, parseRecords } from "../../engine/core/record.js";
import { snip } from "../../engine/core/snippets.js";
import { defineModule, type Change } from "../../engine/core/module.js";
import { shq } from "../../engine/core/shell.js";

export interface HostnameArgs {
  name: string;
}

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
  refusedArgs: { use: "choosing the hostname strategy is not implemented; keel writes /etc/hostname and sets the kernel hostname (Ansible's debian strategy)" },
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
    },
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
    if (ops.has("file")) await host.writeFile("/etc/hostname", `${args.name}\n`, { mode: "0644" });
    if (ops.has("live")) await host.run(`hostname ${shq(args.name)}`);
    if (host.facts.init === "systemd") await host.run(`hostnamectl set-hostname ${shq(args.name)}`);
  },
});
