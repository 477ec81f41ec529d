// Every bad inventory is an InputError that names file:line:col, shows the line and gives a hint.
import { relative } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../../engine/core/errors.js";
import { loadInventory } from "../../../engine/inventory/index.js";
import { tempInventory } from "./helpers.js";

interface Case {
  name: string;
  files: Record<string, string>;
  /** -i sources, relative to the temp dir; default: the first file. */
  sources?: string[];
  /** Calls inv.host(name) after loading (connection settings are checked per host). */
  host?: string;
  message: RegExp;
  /** "file:line:col" relative to the temp dir, or undefined when there is no position. */
  at?: string;
  hint: RegExp;
}

const CASES: Case[] = [
  // YAML
  { name: "YAML syntax error", files: { "h.yml": "all:\n  hosts:\n    web1:\n   bad: [\n" }, message: /YAML syntax error/, at: "h.yml:3:", hint: /./ }, // the yaml package reports the end of the previous entry
  {
    name: "YAML root is a list",
    files: { "h.yml": "- web1\n- web2\n" },
    message: /must be a mapping of group names, found a list/,
    at: "h.yml:1:1",
    hint: /all:/,
  },
  {
    name: "host entry is a list",
    files: { "h.yml": "all:\n  hosts:\n    web1: [a, b]\n" },
    message: /host 'web1' must map to its variables, found a list/,
    at: "h.yml:3:11",
    hint: /ansible_host/,
  },
  {
    name: "host entry is a string",
    files: { "h.yml": "all:\n  hosts:\n    web1: 10.0.0.1\n" },
    message: /host 'web1' must map to its variables, found the string '10.0.0.1'/,
    at: "h.yml:3:11",
    hint: /mapping/,
  },
  {
    name: "unknown key in a group, close to hosts",
    files: { "h.yml": "all:\n  host:\n    web1:\n" },
    message: /unknown key 'host' in group 'all'/,
    at: "h.yml:2:3",
    hint: /did you mean 'hosts'\?/,
  },
  {
    name: "host written directly under a group",
    files: { "h.yml": "web:\n  web1.example.com:\n    ansible_port: 22\n" },
    message: /unknown key 'web1.example.com' in group 'web'/,
    at: "h.yml:2:3",
    hint: /put it under 'hosts:'/,
  },
  {
    name: "hosts is a list",
    files: { "h.yml": "web:\n  hosts:\n    - web1\n" },
    message: /'hosts' of group 'web' must be a mapping, found a list/,
    at: "h.yml:3:5",
    hint: /web1:/,
  },
  {
    name: "children is a list",
    files: { "h.yml": "all:\n  children: [web]\n" },
    message: /'children' of group 'all' must be a mapping/,
    at: "h.yml:2:13",
    hint: /./,
  },
  {
    name: "group is a string",
    files: { "h.yml": "web: web1\n" },
    message: /group 'web' must be a mapping with hosts, children or vars/,
    at: "h.yml:1:6",
    hint: /hosts:/,
  },
  {
    name: "range with unequal widths",
    files: { "h.yml": "all:\n  hosts:\n    web[01:3]:\n" },
    message: /bad host range in 'web\[01:3\]': .*equal-length/,
    at: "h.yml:3:5",
    hint: /web\[01:20\]/,
  },
  { name: "range without an end", files: { "h.yml": "all:\n  hosts:\n    web[1:]:\n" }, message: /must specify end value/, at: "h.yml:3:5", hint: /range/ },
  { name: "numeric host name", files: { "h.yml": "all:\n  hosts:\n    10:\n" }, message: /host name 10 must be a string/, at: "h.yml:3:5", hint: /quotes/ },
  {
    name: "group loop",
    files: { "h.yml": "a:\n  children:\n    b:\n      children:\n        a:\n" },
    message: /adding group 'b' as a child of 'a' creates a loop/,
    at: "h.yml:3:5",
    hint: /descendant/,
  },
  {
    name: "inventory plugin config",
    files: { "h.yml": "plugin: aws_ec2\nregions: [eu-west-1]\n" },
    message: /plugin configuration files are not supported/,
    at: "h.yml:1:1",
    hint: /all:/,
  },
  {
    name: "duplicate host key",
    files: { "h.yml": "all:\n  hosts:\n    web1:\n    web1:\n" },
    message: /YAML syntax error/,
    at: "h.yml:3:",
    hint: /appears twice/,
  },
  // group_vars / host_vars
  {
    name: "group_vars file is a list",
    files: { "h.yml": "web:\n  hosts:\n    w1:\n", "group_vars/web.yml": "- a\n" },
    sources: ["h.yml"],
    message: /variables file must be a mapping/,
    at: "group_vars/web.yml:1:1",
    hint: /name: value/,
  },
  {
    name: "host_vars YAML error",
    files: { "h.yml": "web:\n  hosts:\n    w1:\n", "host_vars/w1/main.yml": "a: 1\nb: [\n" },
    sources: ["h.yml"],
    message: /YAML syntax error/,
    at: "host_vars/w1/main.yml:",
    hint: /./,
  },
  // INI
  {
    name: "INI unknown section type",
    files: { "h.ini": "[web]\nw1\n[web:hosts2]\n" },
    message: /section \[web:hosts2\] has unknown type 'hosts2'/,
    at: "h.ini:3:6",
    hint: /\[group:children\]/,
  },
  {
    name: "INI section with a space",
    files: { "h.ini": "[web servers]\nw1\n" },
    message: /invalid section '\[web servers\]'/,
    at: "h.ini:1:1",
    hint: /no spaces/,
  },
  {
    name: "INI host variable without =",
    files: { "h.ini": "[web]\nw1 ansible_port=22 oops\n" },
    message: /expected key=value after the host name, got 'oops'/,
    at: "h.ini:2:20",
    hint: /key="a b"/,
  },
  { name: "INI unclosed quote", files: { "h.ini": '[web]\n  w1 motd="hello\n' }, message: /no closing quotation/, at: "h.ini:2:3", hint: /quote/ },
  {
    name: "INI child group never defined",
    files: { "h.ini": "[web]\nw1\n[prod:children]\nwebb\n" },
    message: /\[prod:children\] includes undefined group 'webb'/,
    at: "h.ini:4:1",
    hint: /did you mean 'web'\?/,
  },
  {
    name: "INI vars for an undefined group",
    files: { "h.ini": "[web]\nw1\n[db:vars]\nx=1\n" },
    message: /section \[db:vars\] is for a group that is not defined/,
    at: "h.ini:3:1",
    hint: /\[db\]/,
  },
  { name: "INI bad range", files: { "h.ini": "[web]\nweb[a:3] x=1\n" }, message: /bad host range in 'web\[a:3\]'/, at: "h.ini:2:1", hint: /range/ },
  { name: "INI host ending in a colon", files: { "h.ini": "[web]\nweb1:\n" }, message: /host 'web1:' ends in ':'/, at: "h.ini:2:1", hint: /port/ },
  {
    name: "INI vars line without =",
    files: { "h.ini": "[web]\nw1\n[web:vars]\n  ntp_server\n" },
    message: /expected key=value in \[web:vars\], got 'ntp_server'/,
    at: "h.ini:4:3",
    hint: /name=value/,
  },
  {
    name: "INI bad group priority",
    files: { "h.ini": "[web]\nw1\n[web:vars]\nansible_group_priority=high\n" },
    message: /ansible_group_priority of group 'web' must be an integer/,
    at: "h.ini:4:1",
    hint: /10/,
  },
  // scripts
  {
    name: "script exits non-zero",
    files: { "inv.sh": "#!/bin/sh\necho 'cannot reach the CMDB' >&2\nexit 3\n" },
    message: /inventory script failed \(exit code 3\): cannot reach the CMDB/,
    at: "inv.sh:1:1",
    hint: /inv.sh --list/,
  },
  {
    name: "script prints bad JSON",
    files: { "inv.sh": '#!/bin/sh\nprintf \'{\\n  "web": {"hosts": ["w1",]}\\n}\\n\'\n' },
    message: /inventory script printed invalid JSON/,
    at: "inv.sh --list (output):2:26",
    hint: /one JSON object/,
  },
  {
    name: "script prints a list",
    files: { "inv.sh": "#!/bin/sh\necho '[1]'\n" },
    message: /output must be a JSON object of groups/,
    at: "inv.sh:1:1",
    hint: /_meta/,
  },
  {
    name: "script hosts is not a list",
    files: { "inv.sh": '#!/bin/sh\necho \'{"web": {"hosts": "w1"}}\'\n' },
    message: /group 'web' has bad data for its host list/,
    at: "inv.sh:1:1",
    hint: /./,
  },
  // sources
  { name: "missing source", files: { "h.yml": "" }, sources: ["nope.yml"], message: /inventory source nope.yml does not exist/, hint: /comma-separated/ },
  // connection settings, checked per host
  {
    name: "port is not an integer",
    files: { "h.yml": "all:\n  hosts:\n    web1:\n      ansible_port: twenty-two\n" },
    host: "web1",
    message: /host 'web1': ansible_port must be an integer, found the string 'twenty-two'/,
    at: "h.yml:4:21",
    hint: /2222/,
  },
  {
    name: "port out of range (INI)",
    files: { "h.ini": "[web]\nweb1 ansible_port=70000\n" },
    host: "web1",
    message: /ansible_port must be between 1 and 65535/,
    at: "h.ini:2:6",
    hint: /^$/,
  },
  {
    name: "port from group vars",
    files: { "h.ini": "[web]\nweb1\n[web:vars]\nport=1.5\n" },
    host: "web1",
    message: /host 'web1': port must be an integer, found the number 1.5/,
    at: "h.ini:4:1",
    hint: /number/,
  },
  {
    name: "become_method other than sudo",
    files: { "h.yml": "all:\n  vars:\n    ansible_become_method: su\n  hosts:\n    web1:\n" },
    host: "web1",
    message: /ansible_become_method 'su' is not supported/,
    at: "h.yml:3:28",
    hint: /sudo/,
  },
  {
    name: "unsupported connection",
    files: { "h.yml": "all:\n  hosts:\n    win1:\n      ansible_connection: winrm\n" },
    host: "win1",
    message: /ansible_connection 'winrm' is not supported/,
    at: "h.yml:4:27",
    hint: /ssh or local/,
  },
  {
    name: "become is not a boolean",
    files: { "h.yml": "all:\n  hosts:\n    web1:\n      become: maybe\n" },
    host: "web1",
    message: /become must be a boolean/,
    at: "h.yml:4:15",
    hint: /true or false/,
  },
  {
    name: "unknown host",
    files: { "h.yml": "all:\n  hosts:\n    web1:\n" },
    host: "webl",
    message: /host 'webl' is not in the inventory/,
    hint: /did you mean 'web1'\?/,
  },
];

describe("inventory errors", () => {
  it.each(CASES)("$name", async (c) => {
    const dir = tempInventory(c.files);
    const sources = c.sources ?? [Object.keys(c.files)[0]!];
    let err: unknown;
    try {
      const inv = await loadInventory(sources, { cwd: dir });
      if (c.host) inv.host(c.host);
    } catch (e) {
      err = e;
    }
    expect(err, "expected an error").toBeInstanceOf(InputError);
    const e = err as InputError;
    expect(e.message).toMatch(c.message);
    expect(e.hint ?? "").toMatch(c.hint);
    if (c.at === undefined) {
      expect(e.pos).toBeUndefined();
    } else {
      expect(e.pos, "position").toBeDefined();
      const where = `${relative(dir, e.pos!.file)}:${e.pos!.line}:${e.pos!.col}`;
      expect(where.startsWith(c.at), `${where} should start with ${c.at}`).toBe(true);
      // the formatted error shows the offending line with a caret
      expect(e.format()).toMatch(/\n \d+ \| .*\n +\| *\^/);
    }
  });
});
