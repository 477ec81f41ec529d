// The HTML audit report in headless Chromium (playwright-core driving /usr/bin/chromium): it must
// show the JSON's identity and numbers, put failing controls first, filter, and expand evidence.
// A screenshot is kept in test/artifacts/audit-report.png for a person to look at.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { renderAuditHtml } from "../../../../engine/report/audit/html.js";
import { applyWaivers, loadWaivers } from "../../../../engine/report/audit/waivers.js";
import { CATALOG_IDS, NOW, sampleReport } from "./fixture.js";

const ROOT = new URL("../../../../", import.meta.url).pathname;
const BROWSER = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];
const maybe = BROWSER || process.env.CI ? describe : describe.skip;

maybe("HTML audit report in headless Chromium", () => {
  let browser: Browser;
  let page: Page;
  const tmp = mkdtempSync(join(tmpdir(), "keel-audit-html-"));
  const wf = join(tmp, "waivers.yml");
  writeFileSync(
    wf,
    "waivers:\n  - control: ssh.permit-root-login\n    hosts: web1\n    justification: break-glass access (SEC-1234)\n    approver: alice@example.com\n    expires: 2026-12-31\n  - control: kernel.aslr\n    hosts: web4\n    justification: legacy\n    approver: bob\n    expires: 2026-11-30\n",
  );
  const report = applyWaivers(
    sampleReport(),
    loadWaivers(wf, CATALOG_IDS, (p) => [p]),
    NOW,
  );
  const file = join(tmp, "audit.html");

  beforeAll(async () => {
    if (!BROWSER) throw new Error("chromium is not installed (apt-get install chromium)");
    writeFileSync(
      file,
      renderAuditHtml(report, { signature: { signer: "security@example.com", key_fingerprint: "SHA256:abc", signed_at: "2026-12-03T02:01:00.000Z" } }),
    );
    browser = await chromium.launch({ executablePath: BROWSER, args: FLAGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Self-contained: any request other than the file itself fails the test.
    const external: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith("file://")) external.push(r.url());
    });
    await page.goto(`file://${file}`);
    expect(external).toEqual([]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it("shows the same identity and numbers as the JSON", async () => {
    expect(await page.textContent("#profile-sha256")).toBe(report.profile.sha256);
    expect(await page.textContent("#waivers-sha256")).toBe(report.waivers!.sha256);
    expect(await page.textContent("#identity")).toContain(`keel version${report.keel_version}`);
    expect(await page.textContent("#score")).toBe(String(report.summary.score.with_waivers));
    for (const k of ["fail", "waived", "pass", "error", "unknown", "manual", "not_applicable"] as const)
      expect(await page.textContent(`#count-${k}`)).toBe(String(report.summary.counts[k]));
    expect(await page.textContent("#signature")).toContain("signed by security@example.com");
    const embedded = JSON.parse((await page.textContent("#keel-audit-report"))!);
    expect(embedded.summary).toEqual(report.summary);
  });

  it("a controls × hosts matrix, failing controls first by severity", async () => {
    const ids = await page.$$eval("tr.ctl", (rows) => rows.map((r) => (r as HTMLElement).dataset.id));
    expect(ids[0]).toBe("kernel.aslr");
    expect(ids.slice(1, 4)).toEqual(["accounts.one-uid0", "ssh.max-auth-tries", "fs.tmp-noexec"]);
    expect(await page.$$eval("table.matrix thead th.h", (ths) => ths.length)).toBe(5);
    expect(await page.$$eval('tr.ctl[data-id="kernel.aslr"] td.c span.s', (s) => s.map((x) => x.textContent))).toEqual(["?", "error", "FAIL", "pass", "pass"]);
  });

  it("filters by status, severity and text; evidence expands", async () => {
    await page.click('button[data-status="fail"]');
    expect(await page.$$eval("tr.ctl:not([hidden])", (r) => r.map((x) => (x as HTMLElement).dataset.id))).toEqual(["kernel.aslr"]);
    await page.click('button[data-status="waived"]');
    expect(await page.$$eval("tr.ctl:not([hidden])", (r) => r.map((x) => (x as HTMLElement).dataset.id))).toEqual(["ssh.permit-root-login"]);
    await page.click('button[data-status="all"]');
    await page.selectOption("#sev", "critical");
    expect(await page.textContent("#shown")).toBe("1");
    await page.selectOption("#sev", "all");
    await page.fill("#q", "randomize");
    expect(await page.$$eval("tr.ctl:not([hidden])", (r) => r.map((x) => (x as HTMLElement).dataset.id))).toEqual(["kernel.aslr"]);
    await page.fill("#q", "");
    const ev = page.locator('tr.ctl[data-id="kernel.aslr"] ul.ev');
    expect(await ev.isVisible()).toBe(false);
    await page.click('tr.ctl[data-id="kernel.aslr"] summary');
    expect(await ev.isVisible()).toBe(true);
    expect(await ev.textContent()).toContain('value: observed "0", expected "2" (read from sysctl kernel.randomize_va_space)');
    expect(await page.textContent('tr.ctl[data-id="kernel.aslr"]')).toContain("CIS 5.1.8");
    await page.click('tr.ctl[data-id="ssh.permit-root-login"] summary');
    expect(await page.textContent('tr.ctl[data-id="ssh.permit-root-login"]')).toContain("waived by alice@example.com, until 2026-12-31");
  });

  it("lists the waivers with their expiry; keeps a screenshot", async () => {
    const rows = await page.$$eval("#waivers tbody tr", (r) => r.map((x) => x.textContent));
    expect(rows[0]).toContain("2026-12-31");
    expect(rows[1]).toContain("2026-11-30 (expired)");
    mkdirSync(join(ROOT, "test/artifacts"), { recursive: true });
    await page.screenshot({ path: join(ROOT, "test/artifacts/audit-report.png"), fullPage: true });
  });
});
