// Password prompts on the terminal, without echo. Passwords are never logged.
import { InputError } from "../../core/errors.js";
import type { CliIO } from "../io.js";

/** Read a password from the terminal without echo (or one line from stdin when it is not a TTY). */
export function promptHidden(io: CliIO, prompt: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolvePw, reject) => {
    let buf = "";
    const tty = Boolean(stdin.isTTY);
    const done = (err?: Error) => {
      stdin.removeListener("data", onData);
      stdin.removeListener("end", onEnd);
      if (tty) stdin.setRawMode(false);
      stdin.pause();
      io.err("\n");
      if (err) reject(err);
      else resolvePw(buf);
    };
    const onData = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      let at = 0;
      for (const ch of text) {
        at += ch.length;
        if (ch === "\r" || ch === "\n") {
          // What follows the line (the next prompt's answer, when both are piped) goes back to stdin.
          const rest = text.slice(ch === "\r" && text[at] === "\n" ? at + 1 : at);
          done();
          if (rest) stdin.unshift(Buffer.from(rest, "utf8"));
          return;
        }
        if (ch === "\u0003") return done(new InputError("password prompt interrupted"));
        if (ch === "\u0004") return done();
        if (ch === "\u007f" || ch === "\b") buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    const onEnd = () => done();
    // Echo off before the prompt shows, so nothing typed at it is echoed.
    if (tty) stdin.setRawMode(true);
    io.err(prompt);
    // stdin already at its end (an earlier prompt read the last line): "end" will not come again.
    if (stdin.readableEnded) return done();
    stdin.resume();
    stdin.on("data", onData);
    stdin.once("end", onEnd);
  });
}
