// Variable precedence, Ansible's order: all < parent groups < child groups (by depth, then
// ansible_group_priority, then name) < group_vars/all < group_vars/<group> < host < host_vars/<host>.
import { describe, expect, it } from "vitest";
import { loadInventory } from "../../../engine/inventory/index.js";
import { FIXTURES, tempInventory } from "./helpers.js";

const CASES: [sources: string[], host: string, variable: string, expected: unknown, why: string][] = [
  [["vars-dirs/hosts.yml"], "web1", "shared", "host_vars-web1", "host_vars/ beats the host's inline vars"],
  [["vars-dirs/hosts.yml"], "web2", "shared", "group_vars-all", "group_vars/all beats a child group's inline vars"],
  [["vars-dirs/hosts.yml"], "db1", "shared", "group_vars-all", "group_vars/all beats inline all vars"],
  [["vars-dirs/hosts.yml"], "web2", "order", "extra", "files of a group_vars folder load in name order, later wins"],
  [["vars-dirs/hosts.yml"], "web2", "from_json", [true, null, 2.5], ".json files in group_vars"],
  [["vars-dirs/hosts.yml"], "db1", "db_noext", true, "group_vars file without extension (YAML 1.1 yes)"],
  [["vars-dirs/hosts.yml"], "web3.example.com", "full_name", true, "host_vars file named after a dotted host"],
  [["vars-dirs/hosts.yml"], "web2", "not_loaded", undefined, "host_vars/web2.ini is not a vars file"],
  [["vars-dirs/hosts.yml"], "web1", "web_inline", 1, "group inline vars"],
  [["vars-dirs/hosts.yml"], "web1", "from_inline_all", 1, "all inline vars"],
  [["yaml-basic/hosts.yml"], "web01.example.com", "level", "eu", "same depth: higher ansible_group_priority wins over web"],
  [["yaml-basic/hosts.yml"], "web03.example.com", "level", "web", "child group (depth 2) beats parent prod (depth 1)"],
  [["yaml-basic/hosts.yml"], "db-b.internal", "level", "db", "child group beats parent"],
  [["yaml-basic/hosts.yml"], "10.0.0.5", "level", "host", "host vars beat group vars"],
  [["yaml-basic/hosts.yml"], "bastion.example.com", "level", "all", "only all"],
  [["yaml-basic/hosts.yml"], "db-a.internal", "role", "primary", "vars of a host listed twice merge"],
  [["yaml-basic/hosts.yml"], "stage1", "tags", ["a", "b"], "YAML merge key <<"],
  [["yaml-basic/hosts.yml"], "web-canary", "ansible_port", 8022, "host:port sets ansible_port"],
  [["ini-full/hosts.ini"], "web01.example.com", "level", "web", "INI: [web:vars] beats [prod:vars]"],
  [["ini-full/hosts.ini"], "db1", "env", "production", "INI: parent group vars reach child hosts"],
  [["ini-full/hosts.ini"], "lb1", "ntp", "pool.ntp.org", "INI: [all:vars]"],
  [["multi-a/hosts", "multi-b/hosts.yml"], "w1", "src", "b", "later source's group vars win"],
  [["multi-a/hosts", "multi-b/hosts.yml"], "w3", "src", "b", "host only in the second source"],
];

describe("variable precedence", () => {
  it.each(CASES)("%j %s %s = %j (%s)", async (sources, host, variable, expected) => {
    const inv = await loadInventory(sources, { cwd: FIXTURES });
    expect(inv.hostVars(host)[variable]).toEqual(expected);
    expect(inv.host(host).vars[variable]).toEqual(expected);
  });

  it("ties at the same depth and priority are broken by group name", async () => {
    const dir = tempInventory({ "h.ini": "[b]\nh1\n[a]\nh1\n[b:vars]\nx=b\n[a:vars]\nx=a\n" });
    const inv = await loadInventory(["h.ini"], { cwd: dir });
    expect(inv.hostVars("h1").x).toBe("b");
  });

  it("implicit localhost gets all's vars and a local connection", async () => {
    const inv = await loadInventory(["yaml-basic/hosts.yml"], { cwd: FIXTURES });
    const spec = inv.host("localhost");
    expect(spec.connection).toBe("local");
    expect(spec.vars.ntp_server).toBe("pool.ntp.org");
    expect(inv.hosts()).not.toContain("localhost");
  });
});
