// What files.stat and files.find share: the lstat fields both read with stat(1), and the part of
// Ansible's stat mapping that comes from st_mode (the file type flags and permission bits), as
// Ansible's stat.py and find.py's statinfo() build it. One list of fields, one mode decoder.
import { normMode } from "../../engine/core/snippets.js";

/** The stat(1) fields both modules read, by name: st_mode in hex, ids, size, inode, times… */
export const STAT_FIELDS = [
  ["rawmode", "%f"],
  ["uid", "%u"],
  ["gid", "%g"],
  ["owner", "%U"],
  ["group", "%G"],
  ["size", "%s"],
  ["inode", "%i"],
  ["dev", "%d"],
  ["nlink", "%h"],
  ["atime", "%.9X"],
  ["mtime", "%.9Y"],
  ["ctime", "%.9Z"],
] as const;

export type StatField = (typeof STAT_FIELDS)[number][0];

/** The stat(1) format of STAT_FIELDS joined with `sep` ("|" for a row, "\n" with `name=` for a record). */
export function statFormat(sep: string, named: boolean): string {
  return STAT_FIELDS.map(([k, d]) => (named ? `${k}=${d}` : d)).join(sep);
}

const S_IFMT = 0o170000;

/** st_mode's file type: `S_IFMT` bits. */
export function fileFormat(raw: number): number {
  return raw & S_IFMT;
}

/** Ansible's mode and is* flags from st_mode (the first keys of its stat mapping). */
export function modeInfo(raw: number): Record<string, unknown> {
  const fmt = fileFormat(raw);
  return {
    mode: normMode(raw & 0o7777),
    isdir: fmt === 0o040000,
    ischr: fmt === 0o020000,
    isblk: fmt === 0o060000,
    isreg: fmt === 0o100000,
    isfifo: fmt === 0o010000,
    islnk: fmt === 0o120000,
    issock: fmt === 0o140000,
  };
}

/** Ansible's permission flags (wusr … isgid) from st_mode. */
export function permInfo(raw: number): Record<string, boolean> {
  const bit = (b: number) => (raw & b) !== 0;
  return {
    wusr: bit(0o200),
    rusr: bit(0o400),
    xusr: bit(0o100),
    wgrp: bit(0o020),
    rgrp: bit(0o040),
    xgrp: bit(0o010),
    woth: bit(0o002),
    roth: bit(0o004),
    xoth: bit(0o001),
    isuid: bit(0o4000),
    isgid: bit(0o2000),
  };
}
