import { fileURLToPath } from "node:url";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import mod, { probeScript } from "../../../../modules/services/service_facts.js";
import { runModuleFixtures } from "../harness.js";

const here = dirname(fileURLToPath(import.meta.url));
runModuleFixtures(mod, here);

describe("services.service_facts probe", () => {
  it("scans systemd only when PID 1 is systemd, and sysv only without chkconfig and rc-status", () => {
    const s = probeScript();
    expect(s).toContain("case $(cat /proc/1/comm 2>/dev/null) in *systemd*)");
    expect(s).toContain(`if [ -n "$_keel_sf_service" ] && [ -z "$_keel_sf_chkconfig" ] && [ -z "$_keel_sf_rcstatus" ]; then`);
    expect(s).toContain("list-unit-files --no-pager --type service --all");
  });
});
