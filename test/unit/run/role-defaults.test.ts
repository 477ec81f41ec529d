// Role defaults are visible to the whole play (Ansible's private_role_vars off): the real loader
// and runner, through the local connection, into a temp folder.
import { describe, it, expect } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPlaybook } from "../../../engine/playbook/index.js";
import { loadInventory, defaultInventoryPath } from "../../../engine/inventory/index.js";
import { runPlaybook } from "../../../engine/run/index.js";
import { registry } from "../../../modules/index.js";

describe("role defaults", () => {
  it("are visible to play tasks outside the role", async () => {
    const out = mkdtempSync(join(tmpdir(), "keel-roledef-"));
    const plan = loadPlaybook(fileURLToPath(new URL("../../e2e/fixtures/roles-defaults/site.yml", import.meta.url)), { registry });
    const inv = await loadInventory([defaultInventoryPath()]);
    const s = await runPlaybook(plan, inv, { registry, check: false, diff: false, extraVars: { out_dir: out } }, () => {});
    expect(s.failed).toEqual([]);
    expect(readFileSync(join(out, "inside"), "utf8")).toBe("hello from the role's defaults\n");
    expect(readFileSync(join(out, "outside"), "utf8")).toBe("hello from the role's defaults\n");
    // role_name, ansible_role_name and role_path inside a role (os_hardening's templates read them)
    expect(readFileSync(join(out, "magic"), "utf8")).toBe("greeter greeter greeter\n");
  });
});
