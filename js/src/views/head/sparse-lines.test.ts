import { describe, expect, it } from "vitest";
import { syntheticLayer } from "../../../dev/synthetic";
import { syntheticLod } from "../../../dev/synthetic-rows";
import { rowsWindowOf, windowStarts, type FullRow, type RowsWindow } from "../../attention-source";
import { decodeArray } from "../../decode";
import type { Reply } from "../../replies";
import { selectLines, type Line } from "./layout";
import { fullRowLines, massText, meanMass, rowFocusWeights, selectSparseLines, sparseFocusLines, sparseFocusWeights } from "./sparse-lines";

const H = 3;
const N = 150;
const LAYER = 1;
const dense = syntheticLayer(LAYER, H, N);
const at = (h: number, i: number, j: number) => dense[(h * N + i) * N + j]!;

/** A window as the page decodes it, from the synthetic kernel's answer. */
function windowOf(start: number, k = 8, count = 64): RowsWindow {
  const built = syntheticLod("attention_rows", { layer: LAYER, nHeads: H, tokens: Array(N).fill("x"), params: { start, count, k } })!;
  const arrays: Reply["arrays"] = {};
  for (const [name, a] of Object.entries(built.arrays)) {
    const values = decodeArray(a);
    arrays[name] = { dtype: a.dtype, shape: a.shape, values: name === "index" ? Uint32Array.from(values) : Float32Array.from(values), scale: 1 };
  }
  return rowsWindowOf({ what: "attention_rows", key: "", arrays, data: built.data })!;
}

/** Reference: the k largest weights of row i of head h (ties: smaller key first), from the dense layer. */
function topKeys(h: number, i: number, k: number): { j: number; w: number }[] {
  const row = Array.from({ length: N }, (_, j) => ({ j, w: at(h, i, j) }));
  row.sort((a, b) => b.w - a.w || a.j - b.j);
  return row.slice(0, k);
}

const key = (l: Line) => `${l.head}:${l.from}->${l.to}`;

describe("windows", () => {
  it("aligned 64-row windows cover the rows on screen", () => {
    expect(windowStarts(0, 20, 1000)).toEqual([0]);
    expect(windowStarts(60, 70, 1000)).toEqual([0, 64]);
    expect(windowStarts(250, 320, 1000)).toEqual([192, 256]);
    expect(windowStarts(250, 321, 1000)).toEqual([192, 256, 320]);
    expect(windowStarts(990, 1010, 1000)).toEqual([960]);
    expect(windowStarts(5, 5, 1000)).toEqual([]);
  });

  it("a window holds each row's true top keys per head and their mass", () => {
    const w = windowOf(64);
    expect([w.start, w.rows, w.k, w.heads]).toEqual([64, 64, 8, H]);
    for (const h of [0, 2])
      for (const i of [64, 100, 127]) {
        const ref = topKeys(h, i, 8);
        const o = (h * w.rows + (i - 64)) * 8;
        expect([...w.index.subarray(o, o + 8)]).toEqual(ref.map((x) => x.j));
        ref.forEach((x, t) => expect(w.weight[o + t]).toBeCloseTo(x.w, 6));
        expect(w.mass[h * w.rows + (i - 64)]).toBeCloseTo(ref.reduce((s, x) => s + x.w, 0), 5);
      }
    expect(windowOf(128).rows).toBe(N - 128); // the last window is partial
  });
});

describe("sparse lines", () => {
  const windows = [windowOf(0), windowOf(64), windowOf(128)];

  it("are exactly the weights >= threshold among each on-screen row's top k, within reach", () => {
    const rows = { start: 70, end: 90 };
    const sel = selectSparseLines(windows, [0, 2], rows, { reach: 20 });
    const want: string[] = [];
    for (const h of [0, 2])
      for (let i = 70; i < 90; i++) for (const x of topKeys(h, i, 8)) if (x.w >= 0.01 && x.j >= 50 && x.j < 110) want.push(`${h}:${i}->${x.j}`);
    expect(sel.lines.map(key).sort()).toEqual(want.sort());
    expect(sel.limited).toBe(false);
  });

  it("equal the dense selection when k covers every key", () => {
    const all = [windowOf(0, N, 64), windowOf(64, N, 64), windowOf(128, N, 64)];
    const rows = { start: 0, end: N };
    const sparse = selectSparseLines(all, [0, 1, 2], rows).lines.map(key).sort();
    const att = { heads: H, nq: N, nk: N, data: dense, scale: 1 };
    const ref = selectLines(att, [0, 1, 2], null, 0.01, 10000, { rows, cols: rows }).lines.map(key).sort();
    expect(sparse).toEqual(ref);
  });

  it("keep the strongest lines under the cap, as today", () => {
    const sel = selectSparseLines(windows, [0, 1, 2], { start: 0, end: N }, { maxLines: 100 });
    expect(sel.limited).toBe(true);
    expect(sel.lines.length).toBeLessThanOrEqual(100);
    const weakestKept = Math.min(...sel.lines.map((l) => l.weight));
    const all = selectSparseLines(windows, [0, 1, 2], { start: 0, end: N });
    const dropped = all.lines.filter((l) => !sel.lines.some((m) => key(m) === key(l)));
    expect(Math.max(...dropped.map((l) => l.weight))).toBeLessThanOrEqual(weakestKept);
  });

  it("mean mass over the shown heads and rows, and its label", () => {
    const ref = (() => {
      let s = 0;
      for (const h of [1]) for (let i = 10; i < 30; i++) s += topKeys(h, i, 8).reduce((a, x) => a + x.w, 0);
      return s / 20;
    })();
    expect(meanMass(windows, [1], { start: 10, end: 30 })).toBeCloseTo(ref, 5);
    expect(meanMass([], [1], { start: 0, end: 5 })).toBeNull();
    expect(massText(8, 0.934)).toBe("lines: each row's 8 strongest keys per head (on average 93% of its weight)");
  });
});

describe("focus", () => {
  const full = (side: "query" | "key", index: number): FullRow => {
    const weights = new Float32Array(H * N);
    for (let h = 0; h < H; h++) for (let x = 0; x < N; x++) weights[h * N + x] = side === "query" ? at(h, index, x) : at(h, x, index);
    return { side, index, heads: H, n: N, weights };
  };

  it("an exact row gives every line of the token, like the dense selection", () => {
    const att = { heads: H, nq: N, nk: N, data: dense, scale: 1 };
    for (const [side, f] of [["query", "left"], ["key", "right"]] as const) {
      const got = fullRowLines(full(side, 40), [0, 2]).lines.map(key).sort();
      const ref = selectLines(att, [0, 2], { index: 40, side: f }).lines.map(key).sort();
      expect(got).toEqual(ref);
    }
  });

  it("label shading is the mean over the shown heads of the exact row", () => {
    const w = rowFocusWeights(full("key", 7), [0, 1], { index: 7, side: "right" });
    for (const i of [7, 8, 100]) expect(w[i]).toBeCloseTo((at(0, i, 7) + at(1, i, 7)) / 2, 6);
    expect(w[3]).toBe(0); // causal: query 3 never sees key 7
  });

  it("while the exact row loads, the held windows give the token's strongest keys", () => {
    const windows = [windowOf(0), windowOf(64)];
    const left = sparseFocusLines(windows, [1], { index: 20, side: "left" }).lines;
    expect(left.map((l) => l.to).sort((a, b) => a - b)).toEqual(topKeys(1, 20, 8).filter((x) => x.w >= 0.01).map((x) => x.j).sort((a, b) => a - b));
    const right = sparseFocusLines(windows, [1], { index: 0, side: "right" }).lines;
    expect(right.every((l) => l.to === 0 && l.from < 128)).toBe(true);
    const shade = sparseFocusWeights(windows, [1], { index: 20, side: "left" }, N);
    const top = topKeys(1, 20, 1)[0]!;
    expect(shade[top.j]).toBeCloseTo(top.w, 6);
  });
});
