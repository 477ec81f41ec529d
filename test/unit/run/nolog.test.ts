// no_log (issue 10 #4): a secret rendered into a task's name, a loop item, a path, a content or a
// command never reaches stdout/stderr (also with --diff), --json, --log, the drift reports (text,
// JSON, HTML, Markdown) or the drift history. In-process CLI on the local connection.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, readFileSync, rmSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../engine/cli/main.js";
import { captureIO as io } from "../../capture-io.js";

const dir = mkdtempSync(join(tmpdir(), "keel-nolog-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SECRET = "S3cr3tT0ken";

writeFileSync(join(dir, "inv.yml"), `all:\n  hosts:\n    box:\n      ansible_connection: local\n      root: ${dir}/out\n`);
writeFileSync(
  join(dir, "play.yml"),
  `- hosts: all
  gather_facts: false
  vars:
    token: ${SECRET}
  tasks:
    - file: { path: "{{ root }}", state: directory }
    - name: "write {{ token }}"
      copy: { dest: "{{ root }}/{{ token }}.conf", content: "key={{ token }}\\n" }
      no_log: true
    - name: "loop over secrets"
      copy: { dest: "{{ root }}/{{ item }}.item", content: "{{ item }}" }
      loop: ["${SECRET}-a"]
      no_log: true
    - name: "cmd {{ token }}"
      command: "echo {{ token }}"
      no_log: true
    - name: "fails with {{ token }}"
      command: "sh -c 'echo {{ token }} >&2; exit 3'"
      no_log: true
`,
);

describe("no_log masks every rendered field", () => {
  it("keel run: stdout, stderr, --json and --log, with --diff", async () => {
    const o = io();
    const code = await main(
      ["run", join(dir, "play.yml"), "-i", join(dir, "inv.yml"), "--diff", "--json", join(dir, "run.json"), "--log", join(dir, "run.log")],
      o,
    );
    expect(code).toBe(2);
    // the task really ran with the secret
    expect(readFileSync(join(dir, "out", `${SECRET}.conf`), "utf8")).toBe(`key=${SECRET}\n`);
    for (const [what, text] of [
      ["stdout", o.stdout],
      ["stderr", o.stderr],
      ["--json", readFileSync(join(dir, "run.json"), "utf8")],
      ["--log", readFileSync(join(dir, "run.log"), "utf8")],
    ]) {
      if (what !== "stderr") expect(text.length, what).toBeGreaterThan(0);
      expect(text.includes(SECRET), `${what} shows the secret:\n${text}`).toBe(false);
    }
    // what is shown instead: the name as written, the module, the masked resource
    expect(o.stdout + o.stderr).toContain("write {{ token }}");
  });

  it("keel drift: text, JSON, HTML, Markdown and the history", async () => {
    // make the first file drift
    writeFileSync(join(dir, "out", `${SECRET}.conf`), "tampered\n");
    const hist = join(dir, "hist.sqlite");
    const outs = ["json", "html", "md"].map((e) => join(dir, `drift.${e}`));
    const o = io();
    const code = await main(["drift", join(dir, "play.yml"), "-i", join(dir, "inv.yml"), "--details", "--history", hist, ...outs.flatMap((f) => ["-o", f])], o);
    expect(code).toBe(2);
    for (const [what, text] of [["stdout", o.stdout], ["stderr", o.stderr], ...outs.map((f) => [f, readFileSync(f, "utf8")])]) {
      expect(text!.includes(SECRET), `${what} shows the secret`).toBe(false);
    }
    const db = readFileSync(hist);
    expect(db.includes(Buffer.from(SECRET))).toBe(false);
    for (const f of readdirSync(dir).filter((f) => f.startsWith("hist.sqlite-"))) expect(readFileSync(join(dir, f)).includes(Buffer.from(SECRET))).toBe(false);
  });
});
