// files.copy with a controller folder as src: the walk on the controller, as ansible-core 2.14's copy
// action (_walk_dirs) does it, and the tree it hands to the probe, diff and apply (copy-tree.ts).
// - `src: dir/` (trailing slash) copies the folder's contents into dest; `src: dir` copies the folder
//   itself (dest/dir/...). The top folder is never an entry of its own: it is created when a file or
//   sub-folder needs it, as Ansible's copy module creates the parents of a file.
// - Every sub-folder is an entry (empty ones too: Ansible runs the file module on each).
// - local_follow (default true): a symlink to a file is copied as the file it leads to, a symlink to
//   a folder as that folder (walked), except a link back to a folder of the copy, which stays a link;
//   a dangling link, and every link with local_follow: false, is copied as a link (its target as
//   stored). Entries are sorted by name (Python's os.walk lists them in directory order).
import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync, type Stats } from "node:fs";
import { basename, join } from "node:path";
import { InputError } from "../../engine/core/errors.js";
import type { PrepareContext } from "../../engine/core/module.js";
import { decodeUtf8 } from "./common.js";

/** A controller folder as keel copies it: paths relative to dest, content inline (utf8, or base64). */
export interface CopyTree {
  /** The controller folder (Ansible's result `src`), ending in / when src did. */
  src: string;
  /** The folder the entries' relative paths start from: dest without its trailing slash. */
  root: string;
  /** With `src: dir` (no slash): "dir", the implicit top folder under root. */
  top?: string;
  files: { rel: string; content: string; encoding?: "base64" }[];
  dirs: string[];
  links: { rel: string; target: string }[];
}

/** What the walk found: controller paths of files, relative paths of folders, links as stored. */
export interface LocalWalk {
  files: { src: string; rel: string }[];
  dirs: string[];
  links: { target: string; rel: string }[];
}

const tryStat = (p: string): Stats | undefined => {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
};

/** Walk a controller folder as _walk_dirs: `contents` (src ended in /) or the folder itself under its name. */
export function walkLocalTree(top: string, contents: boolean, localFollow: boolean): LocalWalk {
  const out: LocalWalk = { files: [], dirs: [], links: [] };
  const topReal = realpathSync(top);
  const recurse = (dir: string, relBase: string, chain: string[]) => {
    const names = readdirSync(dir).sort();
    const subdirs: string[] = [];
    for (const name of names) {
      const p = join(dir, name);
      const rel = relBase + name;
      const lst = lstatSync(p);
      const st = lst.isSymbolicLink() ? tryStat(p) : lst;
      if (st?.isDirectory()) {
        subdirs.push(name);
        continue;
      }
      if (lst.isSymbolicLink()) {
        if (localFollow && st?.isFile()) out.files.push({ src: realpathSync(p), rel });
        else out.links.push({ target: readlinkSync(p), rel });
      } else if (lst.isFile()) out.files.push({ src: p, rel });
      else
        throw new InputError(
          `copy: ${p} in src is neither a file, a folder nor a symlink; keel copies regular files only`,
          undefined,
          "remove it from the folder",
        );
    }
    for (const name of subdirs) {
      const p = join(dir, name);
      const rel = relBase + name;
      if (!lstatSync(p).isSymbolicLink()) {
        out.dirs.push(rel);
        recurse(p, `${rel}/`, [...chain, realpathSync(p)]);
        continue;
      }
      const real = realpathSync(p);
      // a link to a folder of the copy that contains it (a loop): copied as the link, as Ansible
      if (!localFollow || chain.includes(real)) out.links.push({ target: readlinkSync(p), rel });
      else {
        out.dirs.push(rel);
        recurse(real, `${rel}/`, [...chain, real]);
      }
    }
  };
  const prefix = contents ? "" : `${basename(top)}/`;
  recurse(top, prefix, [topReal]);
  return out;
}

/**
 * copy's prepare for a folder src: walk it and read every file (vault files decrypted unless
 * decrypt: false, as a single file), their bytes inline as utf8 text or base64.
 */
export function prepareTree(
  a: { src?: string; dest: string; local_follow?: boolean; decrypt?: boolean; checksum?: string },
  found: string,
  ctx: PrepareContext,
): CopyTree {
  if (a.checksum !== undefined)
    throw new InputError(`copy: checksum names the SHA1 of one file; src '${a.src}' is a folder`, undefined, "remove checksum, or copy the file alone");
  const contents = a.src!.endsWith("/");
  const dir = found.replace(/\/+$/, "") || "/";
  const walk = walkLocalTree(dir, contents, a.local_follow !== false);
  const files = walk.files.map((f) => {
    const bytes = ctx.readLocal("files", f.src, { decrypt: a.decrypt !== false });
    const text = decodeUtf8(bytes);
    return text !== undefined ? { rel: f.rel, content: text } : { rel: f.rel, content: bytes.toString("base64"), encoding: "base64" as const };
  });
  const root = a.dest.replace(/\/+$/, "") || "/";
  return {
    src: contents ? `${dir}/` : dir,
    root,
    ...(contents ? {} : { top: basename(dir) }),
    files,
    dirs: walk.dirs,
    links: walk.links,
  };
}
