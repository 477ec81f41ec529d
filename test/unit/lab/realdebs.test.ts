import { describe, expect, it } from "vitest";
import { blockedByPins } from "../../lab/realdebs.js";

// apt-get -s's refusal when a security update needs the newer build of a package pinned to the
// rootfs's version (seen 2026-12-04 with mariadb-server: libdbi-perl deb12u4 needs perl deb12u4).
const APT = `Some packages could not be installed. This may mean that you have
The following information may help to resolve the situation:

The following packages have unmet dependencies:
 libdbi-perl : Depends: perl (>= 5.36.0-7+deb12u4) but 5.36.0-7+deb12u3 is to be installed
 libfoo : PreDepends: perl-base (>= 5.36.0-7+deb12u4) but 5.36.0-7+deb12u3 is to be installed
 libbar : Depends: zlib1g (>= 1:1.3) but 1:1.2.13 is to be installed
E: Unable to correct problems, you have held broken packages.
`;

describe("blockedByPins", () => {
  it("names the packages whose dependency is held back by a pin, and only those", () => {
    const pins = new Map([
      ["perl", "5.36.0-7+deb12u3"],
      ["perl-base", "5.36.0-7+deb12u3"],
    ]);
    expect(blockedByPins(APT, pins)).toEqual(["libdbi-perl", "libfoo"]);
  });
  it("names nothing when the held version is not the pinned one", () => {
    expect(blockedByPins(APT, new Map([["perl", "5.36.0-7+deb12u2"]]))).toEqual([]);
  });
});
