import { describe, expect, it } from "vitest";
import mod, { editPamd, normControl } from "../../../../modules/hardening/pamd.js";
import { BASE_FACTS } from "../harness.js";

const SU = "auth       sufficient pam_rootok.so\nsession    required   pam_limits.so\n";

describe("hardening.pamd", () => {
  it("refuses, before anything is written, a stack naming a module the host does not have", () => {
    const args = {
      name: "su",
      type: "auth",
      control: "sufficient",
      module_path: "pam_rootok.so",
      new_type: "auth",
      new_control: "required",
      new_module_path: "pam_google_authenticator.so",
      state: "before" as const,
    };
    const st = { exists: true, text: SU, installed: ["pam_rootok.so", "pam_limits.so"], present: [] };
    expect(() => mod.diff(st, args, BASE_FACTS)).toThrow(/not installed on the host: pam_google_authenticator\.so/);
  });
  it("matches bracketed controls however they are spaced, and updates in place", () => {
    expect(normControl("[ success=1  default = ignore ]")).toBe("[success=1 default=ignore]");
    const text = "auth\t[success=1 default=ignore]\tpam_unix.so nullok\n";
    const r = editPamd(text, {
      name: "x",
      type: "auth",
      control: "[success=1 default=ignore]",
      module_path: "pam_unix.so",
      new_control: "[success=2 default=ignore]",
      state: "updated",
    });
    expect(r.text).toBe("auth       [success=2 default=ignore] pam_unix.so nullok\n");
    // Converged afterwards: the rule no longer matches the old control (pamd.py's behaviour).
    expect(
      editPamd(r.text, {
        name: "x",
        type: "auth",
        control: "[success=1 default=ignore]",
        module_path: "pam_unix.so",
        new_control: "[success=2 default=ignore]",
        state: "updated",
      }).changes,
    ).toBe(0);
  });
  it("args_present updates a key=value argument; args_absent removes", () => {
    const t = "password   required pam_pwhistory.so remember=5 use_authtok\n";
    expect(
      editPamd(t, {
        name: "x",
        type: "password",
        control: "required",
        module_path: "pam_pwhistory.so",
        module_arguments: ["remember=24"],
        state: "args_present",
      }).text,
    ).toBe("password   required pam_pwhistory.so remember=24 use_authtok\n");
    expect(
      editPamd(t, { name: "x", type: "password", control: "required", module_path: "pam_pwhistory.so", module_arguments: "use_authtok", state: "args_absent" })
        .text,
    ).toBe("password   required pam_pwhistory.so remember=5\n");
  });
});
