// The filters' signatures, checked when an expression is parsed (parse.ts): the keyword arguments
// each filter takes, and the filters Ansible has that keel refuses, with what to do instead. The
// implementations are in filters.ts and filters-more.ts.
import { COMMENT_KW } from "./comment.js";
import { MORE_FILTER_KW } from "./filters-more.js";
import type { Val } from "./values.js";

/** A filter: the value piped in, positional arguments, keyword arguments. */
export type Filter = (v: Val, a: Val[], kw: Record<string, Val>) => Val;

/** Filters Ansible has that keel does not, with what to do instead. */
export const UNSUPPORTED_FILTERS: Record<string, string> = {
  random: "keel renders the same output on every run; choose the value in vars",
  to_uuid: "not supported; put the value in vars",
  realpath: "paths on the controller are not read by templates",
  expanduser: "paths on the controller are not read by templates; write the full path",
  fileglob: "paths on the controller are not read by templates; list the files",
  vault: "not supported in templates; use `keel vault`",
  unvault: "not supported in templates; use `keel vault`",
  ipaddr: "not supported",
  ansible_ipaddr: "not supported",
  ipv4: "not supported",
  ipv6: "not supported",
  from_yaml_all: "not supported; use from_yaml on one document",
  to_datetime: "not supported",
  strftime: "keel templates do not read the clock; pass a timestamp with -e",
  xmlattr: "not supported",
};

/** Keyword arguments each filter takes (others are an error). */
export const FILTER_KW: Record<string, string[]> = {
  comment: COMMENT_KW,
  int: ["default", "base"],
  float: ["default"],
  round: ["precision", "method"],
  sort: ["reverse", "case_sensitive", "attribute"],
  unique: ["case_sensitive", "attribute"],
  min: ["case_sensitive", "attribute"],
  max: ["case_sensitive", "attribute"],
  sum: ["attribute", "start"],
  map: ["attribute", "default"],
  combine: ["recursive", "list_merge"],
  flatten: ["levels", "skip_nulls"],
  dict2items: ["key_name", "value_name"],
  items2dict: ["key_name", "value_name"],
  to_json: ["indent", "sort_keys", "ensure_ascii"],
  to_nice_json: ["indent", "sort_keys", "ensure_ascii"],
  to_yaml: ["indent"],
  to_nice_yaml: ["indent"],
  regex_replace: ["ignorecase", "multiline", "count"],
  regex_search: ["ignorecase", "multiline"],
  regex_findall: ["ignorecase", "multiline"],
  indent: ["width", "first", "blank"],
  truncate: ["length", "killwords", "end", "leeway"],
  join: ["attribute"],
  split: [],
  ternary: [],
  zip_longest: ["fillvalue"],
  groupby: ["default", "case_sensitive"],
  dictsort: ["case_sensitive", "by", "reverse"],
  batch: [],
  hash: [],
  default: [],
  d: [],
  mandatory: [],
  subelements: ["skip_missing"],
  product: [],
  json_query: [],
  password_hash: ["hashtype", "salt", "salt_size", "rounds", "ident", "seed"],
  ...MORE_FILTER_KW,
};
