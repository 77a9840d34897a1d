/**
 * No function in js/src longer than MAX_LINES lines (the head view, js/src/views/head/, is exempt for
 * now). Parses every source file with the TypeScript compiler API and measures each function-like node
 * (declarations, methods, arrows, function expressions) from its first to its last line.
 */
/// <reference types="node" />
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const MAX_LINES = 80;
const SRC = fileURLToPath(new URL("..", import.meta.url));
const EXEMPT = ["views/head/"];
/**
 * Known functions allowed up to a bound (they may shrink, not grow): `modelFromState` belongs to the
 * wire-contract work, which removes its legacy `_attention` lines (→ 79).
 */
const ALLOWED: Readonly<Record<string, number>> = { "static-page.ts:modelFromState": 81 };

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith(".ts") && !name.endsWith(".test.ts") && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

interface FnLength {
  file: string;
  name: string;
  line: number;
  lines: number;
}

function nameOf(node: ts.Node, sf: ts.SourceFile): string {
  const n = (node as { name?: ts.Node }).name;
  if (n) return n.getText(sf);
  const p = node.parent;
  if (p && ts.isVariableDeclaration(p)) return p.name.getText(sf);
  if (p && ts.isPropertyAssignment(p)) return p.name.getText(sf);
  return "<anonymous>";
}

/** Every function-like node of a TypeScript source text with its line count. */
function functionLengths(file: string, text: string): FnLength[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: FnLength[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      out.push({ file, name: nameOf(node, sf), line: start + 1, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

describe("function length", () => {
  it("measures nested and arrow functions", () => {
    const text = "function a() {\n  const b = () => {\n    return 1;\n  };\n}\n";
    const got = functionLengths("x.ts", text).map((f) => [f.name, f.lines]);
    expect(got).toEqual([["a", 5], ["b", 3]]);
  });

  it(`no function in js/src over ${MAX_LINES} lines (views/head/ exempt)`, () => {
    const all = sources(SRC).flatMap((p) => functionLengths(relative(SRC, p).replaceAll("\\", "/"), readFileSync(p, "utf8")));
    const long = all.filter((f) => f.lines > (ALLOWED[`${f.file}:${f.name}`] ?? MAX_LINES) && !EXEMPT.some((e) => f.file.startsWith(e)));
    const report = long.sort((a, b) => b.lines - a.lines).map((f) => `${f.file}:${f.line} ${f.name} (${f.lines} lines)`);
    expect(report).toEqual([]);
  });
});
