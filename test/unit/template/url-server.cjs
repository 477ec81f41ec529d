// A small HTTP server for lookup-url.test.ts, in its own process (the url lookup blocks the
// caller's event loop while it waits): prints its port, serves fixed answers, exits on stdin EOF.
const http = require("node:http");
const srv = http.createServer((req, res) => {
  const send = (status, body, headers = {}) => {
    res.writeHead(status, { "content-type": "text/plain", ...headers });
    res.end(body);
  };
  if (req.url === "/sums") return send(200, "aaa  node_exporter-1.0.linux-amd64.tar.gz\nbbb  node_exporter-1.0.linux-arm64.tar.gz\n");
  if (req.url === "/crlf") return send(200, "x\r\ny\rz\n\nlast");
  if (req.url === "/moved") return send(302, "", { location: "/sums" });
  if (req.url === "/agent") return send(200, `${req.headers["user-agent"]}|${req.headers["x-token"] ?? ""}|${req.headers.authorization ?? ""}`);
  if (req.url === "/private")
    return req.headers.authorization === "Basic dTpw" ? send(200, "secret\n") : send(401, "who?", { "www-authenticate": 'Basic realm="x"' });
  if (req.url === "/utf8") return send(200, "grüße\n");
  return send(404, "no");
});
srv.listen(0, "127.0.0.1", () => process.stdout.write(`${srv.address().port}\n`));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
