// `npm run lab -- <command>`: bring the test lab up and down by hand and poke at its hosts.
import { labPaths } from "./config.js";
import { buildAptRepo } from "./aptrepo.js";
import { ensureRootfs } from "./rootfs.js";
import { cutLink, down, labUnavailableReason, liveLeases, readLabState, resetHost, restoreLink, status, up } from "./lab.js";
import { hostExec, startSshd, stopSshd } from "./host.js";
import { measure } from "./scratch.js";
import { startDelayProxy } from "./proxy.js";
import { LabError } from "./util.js";
import { hostIndex, labHost } from "./config.js";

const USAGE = `usage: npm run lab -- <command>

  up [N]                 bring hosts lab01..labN up (default 4; idempotent; extra hosts removed)
  down [--force]         remove every lab host, link, namespace and the bridge
                         (refused while a test run holds a lease, unless --force)
  status                 list running hosts
  exec HOST CMD...       run a shell command as root inside HOST (no SSH)
  sshd stop|start HOST   stop or start HOST's sshd
  link cut|restore HOST  take HOST's link down or up
  reset HOST             discard HOST's changes (fresh overlay, same address and host key)
  proxy HOST DELAY_MS [PORT]
                         forward 127.0.0.1:PORT to HOST:22 adding DELAY_MS each way (Ctrl-C stops)
  measure [N...]         time down, up N, down for each N (default 50 200) and report memory
  rootfs                 build the cached Debian rootfs if missing
  repo                   build the local apt repository

Hosts: lab01 …, at 198.18.0.11 …; inventory and key in ${labPaths().state}.
Example: npm run lab -- up 4 && node bin/keel.js inventory -i .lab/inventory.yml`;

const log = (line: string) => process.stderr.write(`lab: ${line}\n`);

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const t0 = Date.now();
  const secs = () => ((Date.now() - t0) / 1000).toFixed(1) + " s";
  if (!cmd || cmd === "help" || cmd === "--help" || cmd === "-h") {
    process.stdout.write(USAGE + "\n");
    return cmd ? 0 : 1;
  }
  if (cmd !== "status") {
    const why = await labUnavailableReason();
    if (why) throw new LabError(`cannot run the lab here: ${why}`);
  }
  switch (cmd) {
    case "up": {
      const n = rest[0] === undefined ? 4 : Number(rest[0]);
      if (!Number.isInteger(n) || n < 1) throw new LabError(`up: N must be a positive integer, got ${rest[0]}`);
      const users = liveLeases();
      if (users.length) log(`test run(s) ${users.join(", ")} use the lab: hosts are only added, none removed`);
      const st = await up(n, { log, owner: "cli", exact: users.length === 0 });
      process.stdout.write(
        `${st.hosts.length} host(s) up in ${secs()}\n  inventory: ${st.inventoryYaml}\n  ini:       ${st.inventoryIni}\n  key:       ${st.privateKey}\n  known:     ${st.knownHosts}\n`,
      );
      process.stdout.write(`try: ssh -i ${st.privateKey} -o UserKnownHostsFile=${st.knownHosts} root@${st.hosts[0]!.address} hostname\n`);
      return 0;
    }
    case "down": {
      const force = rest.includes("--force");
      const users = liveLeases();
      if (users.length && !force) throw new LabError(`test run(s) ${users.join(", ")} are using the lab; wait for them or use 'down --force'`);
      const n = await down({ log });
      process.stdout.write(`${n} host(s) removed in ${secs()}\n`);
      return 0;
    }
    case "status": {
      const rows = await status();
      const st = readLabState();
      if (!rows.length) {
        process.stdout.write("lab is down\n");
        return 0;
      }
      process.stdout.write(`${"HOST".padEnd(8)}${"ADDRESS".padEnd(16)}${"PID1".padEnd(9)}${"SSHD".padEnd(6)}LINK\n`);
      for (const r of rows) {
        process.stdout.write(`${r.name.padEnd(8)}${r.address.padEnd(16)}${String(r.initPid ?? "-").padEnd(9)}${(r.sshd ? "up" : "down").padEnd(6)}${r.link}\n`);
      }
      if (st) process.stdout.write(`inventory: ${st.inventoryYaml} (owner: ${st.owner})\n`);
      return rows.every((r) => r.initPid && r.sshd && r.link === "up") ? 0 : 2;
    }
    case "exec": {
      const [host, ...words] = rest;
      if (!host || !words.length) throw new LabError("usage: exec HOST CMD...");
      const r = await hostExec(host, words.join(" "), { check: false });
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      return r.code;
    }
    case "sshd": {
      const [action, host] = rest;
      if (!host || (action !== "stop" && action !== "start")) throw new LabError("usage: sshd stop|start HOST");
      await (action === "stop" ? stopSshd(host) : startSshd(host));
      return 0;
    }
    case "link": {
      const [action, host] = rest;
      if (!host || (action !== "cut" && action !== "restore")) throw new LabError("usage: link cut|restore HOST");
      await (action === "cut" ? cutLink(host) : restoreLink(host));
      return 0;
    }
    case "reset": {
      if (!rest[0]) throw new LabError("usage: reset HOST");
      const h = await resetHost(rest[0]);
      process.stdout.write(`${h.name} reset in ${secs()}\n`);
      return 0;
    }
    case "proxy": {
      const [host, delay, port] = rest;
      if (!host || delay === undefined) throw new LabError("usage: proxy HOST DELAY_MS [PORT]");
      const h = labHost(hostIndex(host));
      const p = await startDelayProxy({ target: h.address, delayMs: Number(delay), listenPort: port ? Number(port) : 0 });
      process.stdout.write(`127.0.0.1:${p.port} -> ${h.name} (${h.address}:22) +${p.delayMs} ms each way; Ctrl-C to stop\n`);
      await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
      await p.close();
      return 0;
    }
    case "measure": {
      const sizes = (rest.length ? rest : ["50", "200"]).map(Number);
      const rows = await measure(sizes, { log });
      for (const r of rows) process.stdout.write(`${r.step.padEnd(16)} ${r.seconds.toFixed(1).padStart(6)} s   used ${r.usedMiB} MiB\n`);
      return 0;
    }
    case "rootfs": {
      const r = await ensureRootfs({ log });
      process.stdout.write(`${r.dir} (${r.built ? `built in ${r.seconds.toFixed(1)} s` : "cached"})\n`);
      return 0;
    }
    case "repo": {
      const r = await buildAptRepo();
      process.stdout.write(`${r.dir} (${r.built ? "built" : "up to date"})\n`);
      return 0;
    }
    default:
      throw new LabError(`unknown command '${cmd}'\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`lab: error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
