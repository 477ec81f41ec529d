// File I/O of `keel vault`: atomic writes with mode 0600 (a temporary file in the same folder,
// fsynced, then renamed over the target), so an interrupted write leaves the old file or the new
// one, and never a readable half of a secret.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync, constants } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join, resolve } from "node:path";

export function writeFileAtomic0600(file: string, data: Buffer | string): void {
  const target = resolve(file);
  const tmp = join(dirname(target), `.${basename(target)}.keel-tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  // O_EXCL: never follow or reuse something already there; mode 0600 from creation on
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
