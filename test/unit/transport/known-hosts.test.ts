// known_hosts parsing and matching. The hashed lines and fingerprints below were produced by
// OpenSSH 9.2 (`ssh-keygen -H`, `ssh-keygen -l`), so they check compatibility, not self-consistency.
import { describe, it, expect } from "vitest";
import {
  checkHostKey,
  entriesFor,
  fingerprint,
  formatKnownHostLine,
  globMatch,
  hashHostName,
  hostFieldMatches,
  hostLookupName,
  keyBlobType,
  knownKeyTypes,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
} from "../../../engine/transport/known-hosts.js";

const K1 = "AAAAC3NzaC1lZDI1NTE5AAAAIHsDWIIgbU3hM0O2b7Uo5JjCIKCYA21xEzQOdwm3oFLZ"; // SHA256:DWP+DWAlijw5CVDWzBHsDDYsFm8ElmESuUyHhr2zGHk
const K2 = "AAAAC3NzaC1lZDI1NTE5AAAAICeimMirBwwevJMiZvxWgJqQeQBY8kDkq49NZaJFIaCc"; // SHA256:e3uz68qDYNRuGyaMLc4lxBiyMQITEFckufwZflfTLB4
const K3 = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBLUldGhxZpkrz9pHqGKTRToW7JegXTwPKusQhouf3vjevEXu1Wi0PBs2Xm5wEFE+YxykMgprdNE/0rVkDT12at4=";
const blob = (b64: string) => Buffer.from(b64, "base64");

// `ssh-keygen -H` of "[127.0.0.1]:2222 ssh-ed25519 K1" and "lab01 ssh-ed25519 K2"
const HASHED_2222 = `|1|bgw9bAaMxaYIODf6ANXYH/lMq4Y=|rucqfarWq6nV1VnyGHcJn3hXs8M= ssh-ed25519 ${K1}`;
const HASHED_LAB01 = `|1|ZwGurlc6lzkpf9FIX0ndM6u7FJg=|vnRi0h5CevWCzhv4ZC+IvK8ddog= ssh-ed25519 ${K2}`;

describe("known_hosts", () => {
  it("computes fingerprints and key types like ssh-keygen", () => {
    expect(fingerprint(blob(K1))).toBe("SHA256:DWP+DWAlijw5CVDWzBHsDDYsFm8ElmESuUyHhr2zGHk");
    expect(fingerprint(blob(K2))).toBe("SHA256:e3uz68qDYNRuGyaMLc4lxBiyMQITEFckufwZflfTLB4");
    expect(keyBlobType(blob(K1))).toBe("ssh-ed25519");
    expect(keyBlobType(blob(K3))).toBe("ecdsa-sha2-nistp256");
    expect(keyBlobType(Buffer.from([0, 0]))).toBeUndefined();
  });

  it("parses comments, markers, blank and malformed lines", () => {
    const e = parseKnownHosts(
      [
        "# comment",
        "",
        `host1,host2 ssh-ed25519 ${K1} a comment`,
        "garbage",
        `@revoked * ssh-ed25519 ${K2}`,
        `@cert-authority *.example ssh-ed25519 ${K2}`,
        `@bogus x ssh-ed25519 ${K2}`,
        `h ssh-ed25519 !!notbase64`,
        `\th3 ecdsa-sha2-nistp256 ${K3}\r`,
      ].join("\n"),
    );
    expect(e.map((x) => [x.line, x.marker, x.hosts, x.keyType])).toEqual([
      [3, undefined, "host1,host2", "ssh-ed25519"],
      [5, "revoked", "*", "ssh-ed25519"],
      [6, "cert-authority", "*.example", "ssh-ed25519"],
      [9, undefined, "h3", "ecdsa-sha2-nistp256"],
    ]);
    expect(e[0]!.key.equals(blob(K1))).toBe(true);
  });

  it("names hosts like OpenSSH", () => {
    expect(hostLookupName("Lab01", 22)).toBe("lab01");
    expect(hostLookupName("127.0.0.1", 2222)).toBe("[127.0.0.1]:2222");
  });

  it("matches patterns, negations and hashed entries", () => {
    expect(globMatch("*.example.com", "web1.example.com")).toBe(true);
    expect(globMatch("web?", "web12")).toBe(false);
    expect(globMatch("*", "")).toBe(true);
    expect(globMatch("a*b*c", "aXXbYYc")).toBe(true);
    expect(globMatch("a*b*c", "aXXbYY")).toBe(false);
    expect(hostFieldMatches("web*,!web2", "web1")).toBe(true);
    expect(hostFieldMatches("web*,!web2", "web2")).toBe(false);
    expect(hostFieldMatches("LAB01", "lab01")).toBe(true);
    expect(hostFieldMatches("127.0.0.1", "[127.0.0.1]:2222")).toBe(false);
    expect(hostFieldMatches("[127.0.0.1]:2222", "[127.0.0.1]:2222")).toBe(true);
    const [h1, h2] = parseKnownHosts(`${HASHED_2222}\n${HASHED_LAB01}\n`);
    expect(hostFieldMatches(h1!.hosts, "[127.0.0.1]:2222")).toBe(true);
    expect(hostFieldMatches(h1!.hosts, "127.0.0.1")).toBe(false);
    expect(hostFieldMatches(h2!.hosts, "lab01")).toBe(true);
    expect(hostFieldMatches(h2!.hosts, "lab02")).toBe(false);
    expect(hostFieldMatches("|1|broken", "lab01")).toBe(false);
  });

  it("hashes names the way OpenSSH does", () => {
    const salt = Buffer.from("bgw9bAaMxaYIODf6ANXYH/lMq4Y=", "base64");
    expect(hashHostName("[127.0.0.1]:2222", salt)).toBe("|1|bgw9bAaMxaYIODf6ANXYH/lMq4Y=|rucqfarWq6nV1VnyGHcJn3hXs8M=");
    const random = hashHostName("lab07");
    expect(hostFieldMatches(random, "lab07")).toBe(true);
    expect(hostFieldMatches(random, "lab08")).toBe(false);
  });

  it("decides known, unknown, mismatch and revoked", () => {
    const entries = parseKnownHosts(
      [`${HASHED_LAB01}`, `lab02 ssh-ed25519 ${K1}`, `lab02 ecdsa-sha2-nistp256 ${K3}`, `lab03 ecdsa-sha2-nistp256 ${K3}`, `@revoked * ssh-ed25519 ${K1}`].join(
        "\n",
      ),
    );
    expect(checkHostKey(entries, "lab01", blob(K2))).toMatchObject({ status: "known", entry: { line: 1 } });
    expect(checkHostKey(entries, "lab09", blob(K2))).toEqual({ status: "unknown" });
    const mm = checkHostKey(entries, "lab01", blob(K3));
    expect(mm.status).toBe("mismatch");
    // revoked wins even though lab02 lists the key
    expect(checkHostKey(entries, "lab02", blob(K1))).toMatchObject({ status: "revoked", entry: { line: 5 } });
    // a host known only by another key type: fail closed, naming what is known
    const other = checkHostKey(entries, "lab03", blob(K2));
    expect(other).toMatchObject({ status: "mismatch", entries: [{ line: 4, keyType: "ecdsa-sha2-nistp256" }] });
    // same-type entries are reported first
    const entries2 = parseKnownHosts(`lab04 ecdsa-sha2-nistp256 ${K3}\nlab04 ssh-ed25519 ${K1}\n`);
    expect(checkHostKey(entries2, "lab04", blob(K2))).toMatchObject({ status: "mismatch", entries: [{ line: 2 }] });
  });

  it("finds a host's entries through the index exactly as a pass over every entry does, in file order", () => {
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) {
      const kind = i % 6;
      if (kind === 0) lines.push(`host${i},10.0.${i >> 8}.${i & 255} ssh-ed25519 ${K1}`);
      else if (kind === 1) lines.push(`HOST${i - 1} ecdsa-sha2-nistp256 ${K3}`);
      else if (kind === 2) lines.push(`${hashHostName(`host${i - 2}`)} ssh-rsa AAAAB3NzaC1yc2E=`);
      else if (kind === 3) lines.push(`host${i - 3}?,!host${i - 3}1 ssh-ed25519 ${K2}`);
      else if (kind === 4) lines.push(`@cert-authority host${i - 4} ssh-ed25519 ${K1}`);
      else lines.push(`[host${i - 5}]:2222,host${i - 5},host${i - 5} ssh-ed25519 ${K2}`);
    }
    lines.push(`host* ssh-ed25519 ${K1}`);
    const entries = parseKnownHosts(lines.join("\n"));
    const linear = (name: string) => entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name));
    for (const name of ["host0", "host6", "host61", "host60", "host66", "[host6]:2222", "10.0.0.6", "nohost", "host299", "other"]) {
      expect(entriesFor(entries, name), name).toEqual(linear(name));
      expect(knownKeyTypes(entries, name), name).toEqual([...new Set(linear(name).map((e) => e.keyType))]);
    }
    expect(entriesFor(entries, "host6").map((e) => e.line)).toEqual([7, 8, 9, 12, 301]);
  });

  it("orders host key algorithms with known types first", () => {
    const entries = parseKnownHosts(`lab01 ssh-rsa AAAAB3NzaC1yc2E=\nlab01 ecdsa-sha2-nistp256 ${K3}\n`);
    const types = knownKeyTypes(entries, "lab01");
    expect(types).toEqual(["ssh-rsa", "ecdsa-sha2-nistp256"]);
    const algs = preferredHostKeyAlgorithms(types);
    expect(algs.slice(0, 4)).toEqual(["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa", "ecdsa-sha2-nistp256"]);
    expect(new Set(algs).size).toBe(algs.length);
    expect(algs).toContain("ssh-ed25519");
    expect(preferredHostKeyAlgorithms([])[0]).toBe("ssh-ed25519");
  });

  it("formats a new line that parses back and matches", () => {
    const line = formatKnownHostLine("[127.0.0.1]:2222", blob(K1));
    expect(line).toBe(`[127.0.0.1]:2222 ssh-ed25519 ${K1}`);
    expect(checkHostKey(parseKnownHosts(line), "[127.0.0.1]:2222", blob(K1)).status).toBe("known");
  });
});
