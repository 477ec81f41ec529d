// Pure helpers for building POSIX sh text. Every value interpolated into a command goes through shq.

/** Quote a string for POSIX sh: 'it'\''s'. */
export function shq(s: string | number): string {
  const str = String(s);
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(str)) return str;
  return `'${str.replace(/'/g, `'\\''`)}'`;
}

/** Quote each and join with spaces. */
export function shJoin(args: (string | number)[]): string {
  return args.map(shq).join(" ");
}
