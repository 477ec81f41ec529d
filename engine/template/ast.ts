// Shapes of the jsep AST that the parser, checker and evaluator share.
import type jsep from "jsep";
import { didYouMean } from "../core/errors.js";

export type Node = jsep.Expression;

export interface DictExpression extends jsep.Expression {
  type: "DictExpression";
  entries: jsep.BinaryExpression[];
}

export function isOp(n: Node, op: string): boolean {
  return n.type === "BinaryExpression" && (n as jsep.BinaryExpression).operator === op && !(n as { paren?: boolean }).paren;
}

/** The parts of `a:b:c` (parsed left-associatively as (a:b):c). */
export function sliceParts(n: Node): Node[] {
  return isOp(n, ":") ? [...sliceParts((n as jsep.BinaryExpression).left), (n as jsep.BinaryExpression).right] : [n];
}

export function hintFrom(word: string, names: string[]): string {
  const best = didYouMean(word, names);
  return best !== undefined ? `, did you mean '${best}'?` : "";
}

export function calleeName(n: Node): string | undefined {
  if (n.type === "Identifier") return (n as jsep.Identifier).name;
  if (n.type === "CallExpression" && (n as jsep.CallExpression).callee.type === "Identifier") {
    return ((n as jsep.CallExpression).callee as jsep.Identifier).name;
  }
  return undefined;
}

export function testName(n: Node): string | undefined {
  if (n.type === "Literal" && (n as jsep.Literal).value === null) return "none";
  if (n.type === "Literal" && typeof (n as jsep.Literal).value === "boolean") return String((n as jsep.Literal).raw).toLowerCase();
  return calleeName(n);
}
