// An HTTP and an HTTPS (self-signed certificate from argv[2]/argv[3]) server for
// authorized-key-url.test.ts, in its own process (the controller's fetch is synchronous and blocks
// the caller's event loop): prints "HTTP_PORT HTTPS_PORT", serves fixed answers, exits on stdin EOF.
const http = require("node:http");
const https = require("node:https");
const fs = require("node:fs");
const KEYS =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAJn8pOdikveYDSXXrqE1g4xrMcHS5L8wBqfZMS/WDYB alice@laptop\n" +
  "# a comment line\n" +
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFj9F3Y/dMM5qkle34E06grdeE30jtF5V6aNHTmOe1qe bob@desk\n";
const handler = (req, res) => {
  const send = (status, body, headers = {}) => {
    res.writeHead(status, { "content-type": "text/plain", ...headers });
    res.end(body);
  };
  if (req.url === "/alice.keys") return send(200, KEYS);
  if (req.url === "/moved.keys") return send(301, "", { location: "/alice.keys" });
  if (req.url === "/notkeys") return send(200, "<html>hello</html>\n");
  return send(404, "no");
};
const plain = http.createServer(handler);
const tls = https.createServer({ key: fs.readFileSync(process.argv[2]), cert: fs.readFileSync(process.argv[3]) }, handler);
plain.listen(0, "127.0.0.1", () => tls.listen(0, "127.0.0.1", () => process.stdout.write(`${plain.address().port} ${tls.address().port}\n`)));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
