// Octal literals in vars files keep their digits, as in playbooks, so that a mode stays the mode.
import { describe, expect, it } from "vitest";
import { readVarsYaml } from "../../../../modules/system/include_vars.js";
import { parseMode } from "../../../../modules/files/common.js";

describe("include_vars octal literals", () => {
  it("reads 0640 and 02770 as the modes they are, and yes/no as booleans", () => {
    const v = readVarsYaml("redis_conf_dir_mode: 02770\nredis_conf_mode: 0640\nflag: yes\nport: 6379\n") as Record<string, unknown>;
    expect(v).toEqual({ redis_conf_dir_mode: 2770, redis_conf_mode: 640, flag: true, port: 6379 });
    expect(parseMode(v.redis_conf_dir_mode as number)).toEqual({ octal: 0o2770 });
    expect(parseMode(v.redis_conf_mode as number)).toEqual({ octal: 0o640 });
  });
});
