// Real roles (robertdebock's rsyslog, memcached, haproxy) write `ansible.builtin.meta:
// flush_handlers` and put a block under handlers. ansible-core 2.14 (measured with
// ansible-playbook 2.14.18) loads such a block as its tasks: each task of block/rescue/always is a
// handler notified by its own name, with the block's keywords and vars; the block's name is no
// handler ("The requested handler 'Restart block' was not found"), and its rescue does not run
// when a notified handler fails.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPlaybook } from "../../../engine/playbook/index.js";
import { runPlaybook } from "../../../engine/run/index.js";
import { registry } from "../../../modules/index.js";
import { runnerHarness, recorder } from "../run/fakes.js";
import { thrown } from "../../thrown.js";

const { lab, opts } = runnerHarness();
const dir = mkdtempSync(join(tmpdir(), "keel-handler-blocks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const book = (notify: string) => `- hosts: all
  gather_facts: false
  tasks:
    - name: change
      debug: { msg: x }
      changed_when: true
      notify: ${notify}
    - ansible.builtin.meta: flush_handlers
    - name: after flush
      debug: { msg: after }
  handlers:
    - name: Restart block
      vars: { svc: rsyslog }
      when: svc == "rsyslog"
      block:
        - name: Restart rsyslog
          debug: { msg: "restart {{ svc }}" }
      rescue:
        - name: journal
          debug: { msg: journal }
`;

describe("a block under handlers, and meta by its FQCN", () => {
  it("each task of the block is a handler by its own name, with the block's vars and when; ansible.builtin.meta flushes", async () => {
    writeFileSync(join(dir, "ok.yml"), book("Restart rsyslog"));
    const l = lab(["h1"]);
    const rec = recorder();
    const s = await runPlaybook(loadPlaybook(join(dir, "ok.yml"), { registry }), l.inventory(), { ...opts(l), registry }, rec.sink);
    expect(s.failed).toEqual([]);
    const rs = rec.results().filter((r) => r.task.module !== "meta");
    expect(rs.map((r) => [r.task.name, r.result.status, r.result.msg])).toEqual([
      ["change", "changed", "x"],
      ["Restart rsyslog", "ok", "restart rsyslog"],
      ["after flush", "ok", "after"],
    ]);
  });

  it("the block's own name is no handler", () => {
    writeFileSync(join(dir, "bad.yml"), book("Restart block"));
    expect((thrown(() => loadPlaybook(join(dir, "bad.yml"), { registry })) as Error).message).toMatch(/Restart block/);
  });
});
