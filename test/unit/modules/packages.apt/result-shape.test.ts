// apt's registered cache_updated and cache_update_time after a real refresh: apply prints the touched
// stamp's mtime last, registers it as cache_update_time (as ansible-core 2.14's apt reads the stamp
// first), and keeps it out of the registered stdout. A removal registers neither key, as Ansible's
// apt returns none from remove(). The probe-side values are pinned by the fixtures beside this file.
import { describe, expect, it } from "vitest";
import apt from "../../../../modules/packages/apt.js";
import { BASE_FACTS, RecordingHost } from "../harness.js";

const UPDATE_OUT = "Get:1 file:/srv/keel-repo keel InRelease\nReading package lists...\n";

describe("packages.apt registered cache keys after apply", () => {
  it("a refresh registers the stamp's mtime and cache_updated true; stdout is apt-get's alone", async () => {
    const args = { update_cache: true, cache_valid_time: 1 };
    const st = apt
      .probe(args, BASE_FACTS)
      .parse("@out cache\ntext:b64=" + Buffer.from("now 1796393239\n/var/lib/apt/lists 1796392437\n").toString("base64") + "\n", 0);
    const changes = apt.diff(st, args, BASE_FACTS);
    expect(changes).toHaveLength(1);
    const host = new RecordingHost(BASE_FACTS, [{ match: " update && ", stdout: `${UPDATE_OUT}keel-cache-time=1796393300\n` }]);
    const r = await apt.apply(host, args, changes, st);
    expect(r).toMatchObject({ stdout: UPDATE_OUT, data: { cache_updated: true, cache_update_time: 1796393300 } });
  });

  it("an install without update_cache registers cache_updated false and leaves cache_update_time to the probe", async () => {
    const args = { name: "keel-tool" };
    const st = { manager: "apt", packages: { "keel-tool": { candidate: "1.1" } }, cacheTime: 1796392570 };
    const r = await apt.apply(new RecordingHost(), args, apt.diff(st, args, BASE_FACTS), st);
    expect(r && r.data).toEqual({ cache_updated: false });
    expect(apt.result?.(st, args, BASE_FACTS)).toEqual({ cache_updated: false, cache_update_time: 1796392570 });
  });

  it("a removal registers no cache keys, as Ansible's apt", async () => {
    const args = { name: "keel-hello", state: "absent" as const };
    const st = { manager: "apt", packages: { "keel-hello": { installed: "1.1" } }, cacheTime: 1796392570 };
    const r = await apt.apply(new RecordingHost(), args, apt.diff(st, args, BASE_FACTS), st);
    expect(r && r.data).toEqual({});
    expect(apt.result?.(st, args, BASE_FACTS)).toEqual({});
  });
});
