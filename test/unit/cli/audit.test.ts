// keel audit / keel report at the CLI, without hosts: input is checked before any host is touched
// (a playbook that could act during an audit is refused), and audit reports render and verify.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../engine/cli/main.js";
import { captureIO as io } from "../../capture-io.js";
import { renderAudit } from "../../../engine/report/audit/formats.js";
import { sampleReport } from "../report/audit/fixture.js";

const dir = mkdtempSync(join(tmpdir(), "keel-audit-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("keel audit input", () => {
  it("--list prints the profile's controls and touches nothing", async () => {
    const o = io();
    expect(await main(["audit", "--list"], o)).toBe(0);
    expect(o.stdout).toMatch(/^kernel\.aslr\s+medium\s+automated\s+/m);
    expect(o.stdout).toMatch(/\d+ controls in profile cis-level1-server \(sha256 [0-9a-f]{64}\)/);
  });

  it("refuses bad options, profiles and playbooks before any host (exit 1)", async () => {
    const cases: [string[], RegExp][] = [
      [["audit", "-i", "nohost.invalid,", "--sign", join(dir, "k")], /--sign signs the report files: add -o FORMAT:FILE/],
      [["audit", "-i", "nohost.invalid,", "--fail-under", "150"], /invalid --fail-under '150'/],
      [["audit", "cis-level1-servr", "-i", "nohost.invalid,"], /unknown profile 'cis-level1-servr', did you mean 'cis-level1-server'\?/],
      [["audit", "-i", "nohost.invalid,", "-o", "audit.pdf"], /cannot tell the format of -o 'audit.pdf'/],
      [["audit", "-i", "nohost.invalid,", "-t", "kernel.aslrr"], /'kernel.aslrr' is not a control id of the catalog, did you mean 'kernel.aslr'\?/],
    ];
    for (const [args, re] of cases) {
      const o = io();
      expect(await main(args, o), args.join(" ")).toBe(1);
      expect(o.stderr).toMatch(re);
      expect(o.stderr).not.toMatch(/auditing|unreachable/);
    }
  });

  it("a playbook with check_mode: false is refused: an audit never acts", async () => {
    const pb = join(dir, "acts.yml");
    const marker = join(dir, "touched");
    writeFileSync(
      pb,
      `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: acts even in check mode\n      command: touch ${marker}\n      check_mode: false\n`,
    );
    const o = io();
    expect(await main(["audit", "--playbook", pb, "-c", "local", "-i", "localhost,", "--no-history"], o)).toBe(1);
    expect(o.stderr).toMatch(/acts\.yml:4:7: task 'acts even in check mode' sets check_mode: false, which would change hosts during an audit/);
    expect(existsSync(marker)).toBe(false);
  });
});

describe("keel schema waivers", () => {
  it("prints the waivers file's JSON Schema, with the catalog's control ids", async () => {
    const o = io();
    expect(await main(["schema", "waivers"], o)).toBe(0);
    const s = JSON.parse(o.stdout) as {
      $id: string;
      required: string[];
      properties: { waivers: { items: { required: string[]; properties: { control: { enum: string[] } } } } };
    };
    expect(s.$id).toBe("https://keel.dev/schemas/waivers.schema.json");
    expect(s.properties.waivers.items.required).toEqual(["control", "justification", "approver", "expires"]);
    expect(s.properties.waivers.items.properties.control.enum).toContain("ssh.permit-root-login");
    const bad = io();
    expect(await main(["schema", "waiver"], bad)).toBe(1);
    expect(bad.stderr).toMatch(/unknown schema 'waiver', did you mean 'waivers'\?/);
  });
});

describe("keel history --audit", () => {
  it("lists the recorded audits", async () => {
    const { AuditHistory } = await import("../../../engine/report/audit/history.js");
    const db = join(dir, "audit.sqlite");
    const h = new AuditHistory(db);
    h.record(sampleReport());
    h.close();
    const o = io();
    expect(await main(["history", "--audit", "--history", db], o)).toBe(0);
    expect(o.stdout).toMatch(/^audit\s+time\s+profile\s+hosts\s+fail\s+waived\s+score\n1\s+2026-12-03T02:00:00Z\s+cis-level1-server\s+5\s+2\s+0\s+61.5\n$/);
  });
});

describe("keel report with audit reports", () => {
  const file = join(dir, "audit.json");
  writeFileSync(file, renderAudit(sampleReport(), "json", { color: false, details: true }));

  it("renders any format from the JSON, saying it was not verified", async () => {
    const o = io();
    expect(await main(["report", "render", file, "--format", "sarif", "-o", join(dir, "r.html"), "-o", `junit:${join(dir, "r.xml")}`], o)).toBe(0);
    expect(JSON.parse(o.stdout).version).toBe("2.1.0");
    expect(o.stderr).toContain("rendered without signature verification");
    expect(readFileSync(join(dir, "r.html"), "utf8")).toContain("Not signature-verified");
    expect(readFileSync(join(dir, "r.xml"), "utf8")).toContain("<testsuites");
  });

  it("keygen, verify, and a render that refuses an edited report", async () => {
    const key = join(dir, "signer");
    expect(await main(["report", "keygen", "--out", key, "--comment", "sec@example.com"], io())).toBe(0);
    const { signReport, loadPrivateKey } = await import("../../../engine/report/sign.js");
    const sig = signReport(readFileSync(file), "audit.json", loadPrivateKey(readFileSync(key, "utf8"), key), {
      now: new Date("2026-12-03T04:00:00Z"),
      signer: "sec@example.com",
    });
    writeFileSync(`${file}.sig`, JSON.stringify(sig));
    const ok = io();
    expect(await main(["report", "verify", file, "--sig", `${file}.sig`, "--key", `${key}.pub`], ok)).toBe(0);
    expect(ok.stdout).toMatch(/signed by\s+sec@example.com \(key SHA256:[A-Za-z0-9+/]{43}\)\n\s+signed at\s+2026-12-03T04:00:00.000Z/);
    const html = join(dir, "verified.html");
    expect(await main(["report", "render", file, "--sig", `${file}.sig`, "--key", `${key}.pub`, "-o", html], io())).toBe(0);
    expect(readFileSync(html, "utf8")).toContain("Signature verified: signed by <b>sec@example.com</b>");
    writeFileSync(file, readFileSync(file, "utf8").replace('"score"', '"score" '));
    const bad = io();
    expect(await main(["report", "verify", file, "--sig", `${file}.sig`, "--key", `${key}.pub`], bad)).toBe(1);
    expect(bad.stderr).toContain("NOT VERIFIED");
    const refused = io();
    expect(await main(["report", "render", file, "--sig", `${file}.sig`, "--key", `${key}.pub`, "-o", join(dir, "no.html")], refused)).toBe(1);
    expect(existsSync(join(dir, "no.html"))).toBe(false);
  });
});
