// keel's SSH algorithm lists against a real OpenSSH server (lab01's sshd, Debian 12 defaults):
// keel's own transport negotiates the first cipher it offers, and both variants of the list (with
// and without ssh2's native binding) connect and agree on what keel prefers.
import { readFileSync } from "node:fs";
import ssh2 from "ssh2";
import type { ConnectConfig, NegotiatedAlgorithms } from "ssh2";
import { expect, it } from "vitest";
import { connect } from "../../engine/transport/index.js";
import { chooseAlgorithms, ssh2Capabilities, sshAlgorithms } from "../../engine/transport/ssh-algorithms.js";
import { SshConnection } from "../../engine/transport/ssh.js";
import { describeLab, lab } from "./lab.js";

describeLab("ssh algorithms against the lab's sshd", () => {
  it("keel's transport negotiates the algorithms it prefers", async () => {
    const st = lab();
    const h = st.hosts[0]!;
    const c = await connect(
      {
        name: h.name,
        address: h.address,
        port: 22,
        user: "root",
        connection: "ssh",
        privateKeyFile: st.privateKey,
        become: false,
        becomeUser: "root",
        becomeMethod: "sudo",
        knownHostsFile: st.knownHosts,
        vars: {},
        groups: [],
      },
      { hostKeyPolicy: "yes", connectTimeoutMs: 15_000, commandTimeoutMs: 30_000 },
    );
    try {
      expect(c).toBeInstanceOf(SshConnection);
      const n = (c as SshConnection).negotiated!;
      const want = sshAlgorithms();
      expect(n.kex).toBe(want.kex[0]);
      expect(n.cs.cipher).toBe(want.cipher[0]);
      expect(n.sc.cipher).toBe(want.cipher[0]);
      expect(n.cs.compress).toBe("none");
      expect((await c.exec({ command: "echo ok" })).stdout).toBe("ok\n");
    } finally {
      await c.close();
    }
  });

  for (const binding of [true, false]) {
    it(`the list for ${binding ? "a built" : "a missing"} native binding connects and uses ${binding ? "chacha20-poly1305" : "AES-GCM"}`, async () => {
      const st = lab();
      const h = st.hosts[0]!;
      const algorithms = chooseAlgorithms({ ...ssh2Capabilities(), binding });
      const client = new ssh2.Client();
      const n = await new Promise<NegotiatedAlgorithms>((resolve, reject) => {
        let got: NegotiatedAlgorithms | undefined;
        client.on("handshake", (x) => (got = x));
        client.on("ready", () => resolve(got!));
        client.on("error", reject);
        client.connect({
          host: h.address,
          port: 22,
          username: "root",
          privateKey: readFileSync(st.privateKey),
          algorithms: algorithms as ConnectConfig["algorithms"],
          hostVerifier: () => true,
          readyTimeout: 15_000,
        });
      });
      client.end();
      expect(n.cs.cipher).toBe(binding ? "chacha20-poly1305@openssh.com" : "aes128-gcm@openssh.com");
      expect(n.kex).toBe("curve25519-sha256");
    });
  }
});
