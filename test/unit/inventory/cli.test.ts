// `keel inventory`: the command registered on a bare commander program, output captured.
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import type { CommandContext } from "../../../engine/cli/context.js";
import { registerInventory } from "../../../engine/cli/commands/inventory.js";
import { InputError } from "../../../engine/core/errors.js";
import { defaultInventoryPath } from "../../../engine/inventory/index.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES } from "./helpers.js";

async function keel(...args: string[]): Promise<{ out: string; err: string; code: number; error?: unknown }> {
  let out = "";
  let err = "";
  const ctx: CommandContext = { io: { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false, color: false }, exitCode: 0 };
  const program = new Command("keel").exitOverride().configureOutput({ writeOut: ctx.io.out, writeErr: ctx.io.err });
  registerInventory(program, ctx);
  for (const sub of program.commands) sub.exitOverride().configureOutput({ writeOut: ctx.io.out, writeErr: ctx.io.err });
  const cwd = process.cwd();
  process.chdir(FIXTURES);
  try {
    await program.parseAsync(args, { from: "user" });
    return { out, err, code: ctx.exitCode };
  } catch (e) {
    return { out, err, code: 1, error: e };
  } finally {
    process.chdir(cwd);
  }
}

describe("keel inventory", () => {
  it("--list prints ansible-inventory's JSON", async () => {
    const r = await keel("inventory", "-i", "ini-full/hosts.ini", "--list");
    expect(r.code).toBe(0);
    expect(r.out).toBe(readFileSync(join(FIXTURES, "expected", "ini-full.list.json"), "utf8"));
  });

  it("-i repeats and merges sources", async () => {
    const r = await keel("inventory", "-i", "multi-a/hosts", "-i", "multi-b/hosts.yml", "--graph");
    expect(r.out).toBe(readFileSync(join(FIXTURES, "expected", "multi.graph.txt"), "utf8"));
  });

  it("--host prints merged variables; --resolved the connection settings", async () => {
    const vars = await keel("inventory", "-i", "yaml-basic/hosts.yml", "--host", "web-canary");
    expect(JSON.parse(vars.out)).toMatchObject({ ansible_port: 8022, level: "web", http_port: 80 });
    const spec = await keel("inventory", "-i", "yaml-basic/hosts.yml", "--host", "web-canary", "--resolved");
    expect(JSON.parse(spec.out)).toMatchObject({ name: "web-canary", address: "web-canary", port: 8022, connection: "ssh" });
  });

  it("without -i uses the built-in localhost inventory", async () => {
    expect(defaultInventoryPath()).toMatch(/inventories\/localhost\.yml$/);
    const r = await keel("inventory", "--host", "localhost", "--resolved");
    expect(JSON.parse(r.out)).toMatchObject({ name: "localhost", connection: "local" });
  });

  it("needs --list, --graph or --host", async () => {
    const r = await keel("inventory", "-i", "ini-full/hosts.ini");
    expect(r.error).toBeInstanceOf(InputError);
    expect((r.error as InputError).message).toMatch(/--list, --graph or --host/);
  });

  it("--list and --graph conflict", async () => {
    const r = await keel("inventory", "--list", "--graph");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot be used with/);
  });

  it("an unknown host is an input error with a suggestion", async () => {
    const r = await keel("inventory", "-i", "yaml-basic/hosts.yml", "--host", "stage2");
    expect((r.error as InputError).hint).toMatch(/did you mean 'stage1'\?/);
  });
});
