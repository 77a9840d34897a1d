import { describe, expect, it } from "vitest";
import { compareCaption, compareGrid, type CompareInput } from "./draw";
import type { Pair } from "./layout";

const bg = [255, 255, 255] as const;
// A: "the cat sat", B: "the dog sat ." aligned with a gap in A at column 3.
const pairs: Pair[] = [[0, 0], [1, 1], [2, 2], [null, 3]];
const n = 4;
// attention [1 head, 4, 4], query column 2: A row 2 = [0.5, 0.5, 0, 0], B row 2 = [0.5, 0.2, 0.3, 0]
const att = (row: number[]) => {
  const v = new Float32Array(n * n);
  v.set(row, 2 * n);
  return { values: v, scale: 1 };
};
const input = (over: Partial<CompareInput> = {}): CompareInput => ({
  pairs,
  changed: [false, true, false, true],
  tokensA: ["the", "cat", "sat"],
  tokensB: ["the", "dog", "sat", "."],
  a: att([0.5, 0.5, 0, 0]),
  b: att([0.5, 0.2, 0.3, 0]),
  head: 0,
  q: 2,
  bg,
  ...over,
});

describe("compare drawing", () => {
  it("token rows: text, gaps, changed and query columns, clickable A tokens", () => {
    const { rows } = compareGrid(input());
    expect(rows.map((r) => r.row)).toEqual(["tok_a", "tok_b", "att_a", "att_b", "att_d"]);
    const [a, b] = rows;
    expect(a!.cells.map((c) => c.text)).toEqual(["the", "cat", "sat", "—"]);
    expect(b!.cells.map((c) => c.text)).toEqual(["the", "dog", "sat", "."]);
    expect(a!.cells[3]!.cls).toContain("al-cmp-gap");
    expect(a!.cells[3]!.title).toBe("no token here in this run");
    expect(a!.cells[1]!.cls).toContain("al-cmp-changed");
    expect(a!.cells[2]!.cls).toContain("al-cmp-query");
    expect(a!.cells.map((c) => c.position)).toEqual([0, 1, 2, undefined]);
    expect(b!.cells.every((c) => c.position === undefined)).toBe(true);
  });

  it("attention rows: A, B and B − A from the query column, notable differences counted", () => {
    const { rows, notable } = compareGrid(input());
    const values = (r: string) => rows.find((x) => x.row === r)!.cells.map((c) => Number(c.value!.toFixed(3)));
    expect(values("att_a")).toEqual([0.5, 0.5, 0, 0]);
    expect(values("att_b")).toEqual([0.5, 0.2, 0.3, 0]);
    expect(values("att_d")).toEqual([0, -0.3, 0.3, 0]);
    expect(notable).toBe(2);
    const d = rows.find((x) => x.row === "att_d")!.cells;
    expect(d.map((c) => c.text)).toEqual(["", "−", "+", ""]);
    expect(d[1]!.cls).toBe("al-cmp-notable");
    expect(d[1]!.background).not.toBe(d[2]!.background);
  });

  it("attribution rows show the attributions (base drew attention B there: \"attr_a\".startsWith(\"att\")), only when both are in", () => {
    const attrA = { values: [1, -2, 0, 0], scale: 1 };
    const attrB = { values: [0.5, 0, 4, 0], scale: 0.5 };
    const { rows } = compareGrid(input({ attrA, attrB }));
    expect(rows.map((r) => r.row).slice(5)).toEqual(["attr_a", "attr_b"]);
    expect(rows[6]!.cells.map((c) => c.value)).toEqual([0.25, 0, 2, 0]);
    expect(rows[5]!.cells[1]!.title).toBe("A: −2.000");
    expect(compareGrid(input({ attrA })).rows.length).toBe(5);
  });

  it("caption", () => {
    expect(compareCaption(3, 1, 2, "sat", 1, null)).toBe(
      "Attention of layer 3, head 1 from “sat” (column 2; lock a token to change it). 1 column differ by ≥ 0.05. Highlighted tokens differ between the runs.",
    );
    expect(compareCaption(3, 1, 2, "sat", 2, { method: "saliency", target: "on" })).toContain("2 columns differ");
    expect(compareCaption(3, 1, 2, "sat", 2, { method: "saliency", target: "on" })).toContain("towards A's prediction “on”.");
  });
});
