// ansible.cfg: found in Ansible's order (first found wins, never merged); ANSIBLE_* beats the file;
// CLI flags beat both. keel config shows where each effective value came from.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { findConfigFile, resolveSettings, parseIniConfig, ignoredWorldWritableConfig, worldWritableWarning } from "../../../engine/config/ansiblecfg.js";
import { captureIO as io } from "../../capture-io.js";
import { askPasswords, connectionOptions } from "../../../engine/cli/commands/flags.js";
import { main } from "../../../engine/cli/main.js";
import { InputError } from "../../../engine/core/errors.js";
import { routeOf } from "../../../engine/run/connect.js";
import { hostSpec } from "../run/fakes.js";

const KEEL = resolve(fileURLToPath(new URL("../../../bin/keel.js", import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), "keel-cfg-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const home = join(dir, "home");
const cwd = join(dir, "proj");
const other = join(dir, "other");
for (const d of [home, cwd, other]) mkdirSync(d, { recursive: true });
writeFileSync(join(home, ".ansible.cfg"), "[defaults]\nforks = 3\n");
writeFileSync(
  join(cwd, "ansible.cfg"),
  "[defaults]\nforks = 4\nremote_user = deploy\ninventory = inv/hosts.ini,extra.yml\nroles_path = roles:/opt/roles\nhost_key_checking = False\ntimeout = 25\n[privilege_escalation]\nbecome = yes\nbecome_user = app\n[ssh_connection]\nssh_args = -C -o ControlMaster=auto -o StrictHostKeyChecking=accept-new\n",
);
writeFileSync(join(other, "ansible.cfg"), "[defaults]\nforks = 5\n");

/** Run with this environment and working folder. */
function withEnv<T>(env: Record<string, string>, folder: string, fn: () => T): T {
  const saved = { ...process.env };
  const savedCwd = process.cwd();
  for (const k of Object.keys(process.env)) if (k.startsWith("ANSIBLE_")) delete process.env[k];
  Object.assign(process.env, { HOME: home }, env);
  process.chdir(folder);
  try {
    return fn();
  } finally {
    process.chdir(savedCwd);
    process.env = saved;
  }
}

/** withEnv for an async command: the folder and HOME stay until it has finished. */
async function withEnvAsync<T>(folder: string, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  const savedCwd = process.cwd();
  for (const k of Object.keys(process.env)) if (k.startsWith("ANSIBLE_")) delete process.env[k];
  process.env.HOME = home;
  process.chdir(folder);
  try {
    return await fn();
  } finally {
    process.chdir(savedCwd);
    process.env = saved;
  }
}

describe("which ansible.cfg", () => {
  it.each([
    ["ANSIBLE_CONFIG (a file) first", { ANSIBLE_CONFIG: join(other, "ansible.cfg") }, cwd, join(other, "ansible.cfg")],
    ["ANSIBLE_CONFIG (a folder)", { ANSIBLE_CONFIG: other }, cwd, join(other, "ansible.cfg")],
    ["then ./ansible.cfg", {}, cwd, join(cwd, "ansible.cfg")],
    ["then ~/.ansible.cfg", {}, dir, join(home, ".ansible.cfg")],
  ])("%s", (_n, env, folder, want) => {
    expect(withEnv(env, folder, () => findConfigFile(process.env, process.cwd(), home))).toBe(want);
  });

  it("a world-writable current folder's ansible.cfg is ignored, as in Ansible", () => {
    const ww = join(dir, "ww");
    mkdirSync(ww);
    writeFileSync(join(ww, "ansible.cfg"), "[defaults]\nforks = 9\n");
    chmodSync(ww, 0o777);
    expect(findConfigFile({}, ww, home)).toBe(join(home, ".ansible.cfg"));
  });

  it("keel warns, as Ansible does, that it ignores ./ansible.cfg of a world-writable folder (unless ANSIBLE_CONFIG chose a file)", async () => {
    const ww = join(dir, "ww2");
    mkdirSync(ww);
    writeFileSync(join(ww, "ansible.cfg"), "[defaults]\nforks = 9\n");
    chmodSync(ww, 0o777);
    expect(ignoredWorldWritableConfig({}, ww, home)).toBe(ww);
    expect(ignoredWorldWritableConfig({ ANSIBLE_CONFIG: join(other, "ansible.cfg") }, ww, home)).toBeUndefined();
    expect(ignoredWorldWritableConfig({ ANSIBLE_CONFIG: join(other, "missing.cfg") }, ww, home)).toBe(ww);
    expect(ignoredWorldWritableConfig({}, cwd, home)).toBeUndefined();
    const o = io();
    const rc = await withEnvAsync(ww, () => main(["config"], o));
    expect(rc).toBe(0);
    expect(o.stderr.split("\n").filter((l) => l.startsWith("warning: keel is being run in a world writable directory"))).toEqual([worldWritableWarning(ww)]);
    expect(o.stdout).toContain(`config file: ${join(home, ".ansible.cfg")}`);
    const quiet = io();
    await withEnvAsync(cwd, () => main(["config"], quiet));
    expect(quiet.stderr).toBe("");
  });

  it("the first found wins: files are not merged", () => {
    const r = withEnv({ ANSIBLE_CONFIG: join(other, "ansible.cfg") }, cwd, () => resolveSettings(process.env));
    expect(r.settings.forks).toEqual({ value: 5, source: `${join(other, "ansible.cfg")}:2` });
    expect(r.settings.remote_user).toBeUndefined();
  });
});

describe("precedence: CLI > ANSIBLE_* > ansible.cfg", () => {
  // [setting, file value, env, env value, flag, flag value]
  it.each([
    ["forks", 4, "ANSIBLE_FORKS", "12", "forks", "20", (c: ReturnType<typeof connectionOptions>) => c.run.forks, [4, 12, 20]],
    [
      "become_user",
      "app",
      "ANSIBLE_BECOME_USER",
      "web",
      "becomeUser",
      "db",
      (c: ReturnType<typeof connectionOptions>) => c.run.becomeUser,
      ["app", "web", "db"],
    ],
    [
      "host_key_checking",
      false,
      "ANSIBLE_HOST_KEY_CHECKING",
      "True",
      undefined,
      undefined,
      (c: ReturnType<typeof connectionOptions>) => c.run.hostKeyChecking,
      [false, true, true],
    ],
    [
      "inventory",
      "",
      "ANSIBLE_INVENTORY",
      "/env/inv",
      "inventory",
      ["/cli/inv"],
      (c: ReturnType<typeof connectionOptions>) => c.inventory,
      [[join(cwd, "inv/hosts.ini"), join(cwd, "extra.yml")], ["/env/inv"], ["/cli/inv"]],
    ],
  ] as const)("%s", (_s, _f, envName, envValue, flag, flagValue, pick, want) => {
    const fileOnly = withEnv({}, cwd, () => pick(connectionOptions({})));
    const envToo = withEnv({ [envName]: envValue }, cwd, () => pick(connectionOptions({})));
    const cliToo = withEnv({ [envName]: envValue }, cwd, () => pick(connectionOptions(flag ? { [flag]: flagValue } : {})));
    expect([fileOnly, envToo, cliToo]).toEqual(want);
  });

  it("file settings map onto the run: defaults below the inventory, become, ssh_args, roles_path", () => {
    const c = withEnv({}, cwd, () => {
      const c = connectionOptions({});
      return { ...c, roles: process.env.ANSIBLE_ROLES_PATH };
    });
    expect(c.run).toMatchObject({
      defaultUser: "deploy",
      defaultConnectTimeoutMs: 25_000,
      become: true,
      becomeUser: "app",
      sshArgs: "-C -o ControlMaster=auto -o StrictHostKeyChecking=accept-new",
    });
    expect(c.roles).toBe(`${join(cwd, "roles")}:/opt/roles`);
  });

  it("remote_port: the port of hosts whose inventory names none, above ssh_config's Port and below ansible_port", () => {
    writeFileSync(join(other, "port.cfg"), "[defaults]\nremote_port = 2222\n");
    writeFileSync(join(other, "ssh_config"), "Host *\n  Port 2200\n");
    const run = withEnv({ ANSIBLE_CONFIG: join(other, "port.cfg") }, cwd, () => connectionOptions({}).run);
    expect(run.defaultPort).toBe(2222);
    const host = hostSpec("h", { address: "198.18.0.99" });
    const o = { ...run, sshConfigFile: join(other, "ssh_config") };
    expect(routeOf(host, o).spec.port).toBe(2222);
    expect(routeOf({ ...host, port: 2022, portSet: true }, o).spec.port).toBe(2022);
    expect(routeOf(host, { sshConfigFile: join(other, "ssh_config") }).spec.port).toBe(2200);
    expect(withEnv({ ANSIBLE_CONFIG: join(other, "port.cfg"), ANSIBLE_REMOTE_PORT: "2323" }, cwd, () => connectionOptions({}).run.defaultPort)).toBe(2323);
    writeFileSync(join(other, "badport.cfg"), "[defaults]\nremote_port = 70000\n");
    expect(() => withEnv({ ANSIBLE_CONFIG: join(other, "badport.cfg") }, cwd, () => connectionOptions({}))).toThrow(
      /remote_port .*badport\.cfg:2.* must be a port/,
    );
  });

  it("bad values are errors at ansible.cfg:line; unhonoured ssh_args and become_method stop", () => {
    writeFileSync(join(other, "bad.cfg"), "[defaults]\nforks = many\n");
    expect(() => withEnv({ ANSIBLE_CONFIG: join(other, "bad.cfg") }, cwd, () => resolveSettings(process.env))).toThrow(InputError);
    try {
      withEnv({ ANSIBLE_CONFIG: join(other, "bad.cfg") }, cwd, () => resolveSettings(process.env));
    } catch (e) {
      expect((e as InputError).pos).toMatchObject({ line: 2 });
    }
    writeFileSync(join(other, "proxy.cfg"), "[ssh_connection]\nssh_args = -o HostKeyAlias=bastion\n[privilege_escalation]\nbecome_method = su\n");
    expect(() => withEnv({ ANSIBLE_CONFIG: join(other, "proxy.cfg") }, cwd, () => connectionOptions({}))).toThrow(
      /ssh_args .*proxy\.cfg:2.* sets -o HostKeyAlias=bastion/,
    );
    // a ProxyJump there is honoured: the config loads
    writeFileSync(join(other, "jump.cfg"), "[ssh_connection]\nssh_args = -C -o ControlMaster=auto -o ProxyJump=bastion\n");
    expect(withEnv({ ANSIBLE_CONFIG: join(other, "jump.cfg") }, cwd, () => connectionOptions({})).run.sshArgs).toMatch(/ProxyJump=bastion/);
    expect(() => parseIniConfig("forks = 3\n", "x.cfg")).toThrow(/before any \[section\]/);
  });

  it("keel config shows each value and its source", async () => {
    let out = "";
    const io = { out: (t: string) => void (out += t), err: () => undefined, isTTY: false, color: false };
    const saved = { ...process.env };
    const savedCwd = process.cwd();
    process.env.HOME = home;
    process.env.ANSIBLE_FORKS = "12";
    process.chdir(cwd);
    try {
      expect(await main(["config", "--json"], io)).toBe(0);
    } finally {
      process.chdir(savedCwd);
      process.env = saved;
    }
    const j = JSON.parse(out) as { config_file: string; settings: Array<{ setting: string; value: string; source: string }> };
    expect(j.config_file).toBe(join(cwd, "ansible.cfg"));
    const by = Object.fromEntries(j.settings.map((s) => [s.setting, s]));
    expect(by.forks).toMatchObject({ value: "12", source: "ANSIBLE_FORKS (environment)" });
    expect(by.remote_user).toMatchObject({ value: "deploy", source: `${join(cwd, "ansible.cfg")}:3` });
    expect(by.private_key_file).toMatchObject({ value: "", source: "default (not set)" });
  });
});

describe("settings that change a run's result (issue 16 audit: they were dropped without a word)", () => {
  const cfg = (name: string, text: string) => {
    writeFileSync(join(other, name), text);
    return join(other, name);
  };
  const refusal = (env: Record<string, string>): InputError | undefined => {
    try {
      withEnv(env, cwd, () => connectionOptions({}));
    } catch (e) {
      if (e instanceof InputError) return e;
      throw e;
    }
    return undefined;
  };

  it("a value keel cannot honour stops at ansible.cfg:LINE with a hint; the default value, and presentation keys, load", () => {
    const f = cfg("merge.cfg", "[defaults]\nnocows = 1\nstdout_callback = yaml\nhash_behaviour = merge\n");
    const e = refusal({ ANSIBLE_CONFIG: f })!;
    expect(e.message).toBe("[defaults] hash_behaviour = merge changes the result of a run, and keel cannot honour it");
    expect(e.pos).toEqual({ file: f, line: 4, col: 1 });
    expect(e.hint).toMatch(/combine filter/);
    expect(refusal({ ANSIBLE_CONFIG: f, ANSIBLE_HASH_BEHAVIOUR: "replace" })).toBeUndefined();
    expect(refusal({ ANSIBLE_HASH_BEHAVIOUR: "" })).toBeUndefined();
    expect(
      refusal({ ANSIBLE_CONFIG: cfg("replace.cfg", "[defaults]\nhash_behaviour = replace\nerror_on_undefined_vars = True\njinja2_native = False\n") }),
    ).toBeUndefined();
    // a fact cache cannot change keel's result: it gathers afresh every run
    expect(
      refusal({ ANSIBLE_CONFIG: cfg("cache.cfg", "[defaults]\ngathering = smart\nfact_caching = jsonfile\nfact_caching_connection = /tmp/f\n") }),
    ).toBeUndefined();
    expect(refusal({ ANSIBLE_HASH_BEHAVIOUR: "merge" })?.message).toBe(
      "ANSIBLE_HASH_BEHAVIOUR=merge (environment) changes the result of a run, and keel cannot honour it",
    );
    for (const [text, line] of [
      ["[defaults]\nerror_on_undefined_vars = False\n", "error_on_undefined_vars = False"],
      ["[defaults]\njinja2_native = True\n", "jinja2_native = True"],
      ["[defaults]\nany_errors_fatal = True\n", "any_errors_fatal = True"],
      ["[defaults]\nforce_handlers = yes\n", "force_handlers = yes"],
      ["[privilege_escalation]\nbecome_flags = -i\n", "become_flags = -i"],
      ["[tags]\nskip = slow\n", "skip = slow"],
    ] as const) {
      const r = refusal({ ANSIBLE_CONFIG: cfg("x.cfg", text) });
      expect(r?.sourceLine, text).toBe(line);
      expect(r?.hint, text).toBeTruthy();
    }
  });

  it("gathering: explicit makes a play gather facts only with gather_facts: true; keel config lists it with its source", async () => {
    const f = cfg("explicit.cfg", "[defaults]\ngathering = explicit\n");
    const pb = join(other, "gather.yml");
    writeFileSync(
      pb,
      "- hosts: localhost\n  tasks:\n    - debug: { msg: \"family={{ ansible_facts.os_family | default('none') }}\" }\n- hosts: localhost\n  gather_facts: true\n  tasks:\n    - debug: { msg: \"family={{ ansible_facts.os_family | default('none') }}\" }\n",
    );
    const runIt = async (env: Record<string, string>) => {
      const o = io();
      const rc = await withEnvAsync(cwd, () => {
        Object.assign(process.env, env);
        return main(["run", pb, "-c", "local", "--check"], o);
      });
      return { rc, out: o.stdout.match(/family=\w+/g) };
    };
    const explicit = await runIt({ ANSIBLE_CONFIG: f });
    expect(explicit).toEqual({ rc: 0, out: ["family=none", "family=Debian"] });
    expect(await runIt({ ANSIBLE_CONFIG: f, ANSIBLE_GATHERING: "smart" })).toEqual({ rc: 0, out: ["family=Debian", "family=Debian"] });
    const bad = cfg("badgather.cfg", "[defaults]\ngathering = sometimes\n");
    expect(() => withEnv({ ANSIBLE_CONFIG: bad }, cwd, () => resolveSettings(process.env))).toThrow(/gathering = sometimes is not a valid value/);
    const o = io();
    await withEnvAsync(cwd, () => {
      process.env.ANSIBLE_CONFIG = f;
      return main(["config", "--json"], o);
    });
    const by = Object.fromEntries((JSON.parse(o.stdout) as { settings: { setting: string }[] }).settings.map((s) => [s.setting, s]));
    expect(by.gathering).toMatchObject({ value: "explicit", source: `${f}:2` });
    expect(by.become_ask_pass).toMatchObject({ source: "default (not set)" });
  });

  it("become_password_file / become_ask_pass: the sudo password from the file, else a prompt; a flag wins", async () => {
    const pw = join(other, "become-pw.txt");
    writeFileSync(pw, "fromcfg\n");
    const f = cfg("bpw.cfg", `[defaults]\nbecome_password_file = ${pw}\n`);
    const got = await withEnvAsync(cwd, async () => {
      process.env.ANSIBLE_CONFIG = f;
      const s = connectionOptions({});
      await askPasswords({}, s, io());
      return s;
    });
    expect(got.run.becomePassword).toBe("fromcfg");
    expect(got.secrets).toEqual(["fromcfg"]);
    const flagPw = join(other, "flag-pw.txt");
    writeFileSync(flagPw, "fromflag\n");
    const flagWins = await withEnvAsync(cwd, async () => {
      process.env.ANSIBLE_CONFIG = f;
      const s = connectionOptions({});
      await askPasswords({ becomePasswordFile: flagPw }, s, io());
      return s.run.becomePassword;
    });
    expect(flagWins).toBe("fromflag");
    // become_ask_pass = True prompts as -K does (the prompt reads stdin: the built CLI, fed a line)
    const ask = cfg("ask.cfg", "[privilege_escalation]\nbecome_ask_pass = True\n");
    const pb = join(other, "one.yml");
    writeFileSync(pb, "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: { msg: hi }\n");
    const r = spawnSync(process.execPath, [KEEL, "run", pb, "-c", "local"], {
      input: "typed\n",
      encoding: "utf8",
      env: { ...process.env, HOME: home, ANSIBLE_CONFIG: ask },
      cwd,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("BECOME password: ");
  });
});
