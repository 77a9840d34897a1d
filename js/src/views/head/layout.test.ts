import { describe, expect, it } from "vitest";
import type { LayerAttention } from "../../types";
import {
  canvasScale,
  focusWeights,
  meanMatrix,
  rowAt,
  rowCenter,
  selectLines,
  soloHead,
  toggleHead,
} from "./layout";

/** 2 heads, 3 tokens. Head 0: causal previous-token-ish; head 1: uniform-ish with a tiny weight. */
function att(): LayerAttention {
  // prettier-ignore
  const data = new Float32Array([
    // head 0
    1, 0, 0,
    0.9, 0.1, 0,
    0.005, 0.8, 0.195,
    // head 1
    1, 0, 0,
    0.5, 0.5, 0,
    0.3, 0.3, 0.4,
  ]);
  return { heads: 2, nq: 3, nk: 3, data, scale: 1 };
}

const key = (l: { head: number; from: number; to: number }) => `${l.head}:${l.from}->${l.to}`;

describe("selectLines", () => {
  it("draws every weight >= 0.01 of the selected heads when nothing is focused", () => {
    const sel = selectLines(att(), [0], null);
    expect(sel.lines.map(key).sort()).toEqual(["0:0->0", "0:1->0", "0:1->1", "0:2->1", "0:2->2"].sort());
    expect(sel.limited).toBe(false);
    expect(sel.threshold).toBe(0.01);
  });

  it("skips weights below the threshold (0.005 and exact zeros)", () => {
    const lines = selectLines(att(), [0, 1], null).lines;
    expect(lines.some((l) => l.weight < 0.01)).toBe(false);
    expect(lines.find((l) => l.head === 0 && l.from === 2 && l.to === 0)).toBeUndefined();
    expect(lines.find((l) => l.head === 1 && l.from === 2 && l.to === 0)?.weight).toBeCloseTo(0.3);
  });

  it("draws only the focused token's row for a left (query) focus", () => {
    const lines = selectLines(att(), [0, 1], { index: 1, side: "left" }).lines;
    expect(lines.map(key).sort()).toEqual(["0:1->0", "0:1->1", "1:1->0", "1:1->1"]);
    expect(lines.every((l) => l.from === 1)).toBe(true);
  });

  it("draws only the focused token's column for a right (key) focus", () => {
    const lines = selectLines(att(), [0], { index: 1, side: "right" }).lines;
    expect(lines.map(key).sort()).toEqual(["0:1->1", "0:2->1"]);
  });

  it("ignores unknown heads and draws nothing with no heads", () => {
    expect(selectLines(att(), [], null).lines).toEqual([]);
    expect(selectLines(att(), [5, -1], null).lines).toEqual([]);
  });

  it("keeps the strongest lines within the budget", () => {
    const sel = selectLines(att(), [0, 1], null, 0.01, 4);
    expect(sel.limited).toBe(true);
    expect(sel.lines.length).toBeLessThanOrEqual(4);
    expect(sel.lines.length).toBeGreaterThan(0);
    const kept = Math.min(...sel.lines.map((l) => l.weight));
    const all = selectLines(att(), [0, 1], null).lines;
    const dropped = all.filter((l) => !sel.lines.some((k) => key(k) === key(l)));
    expect(dropped.every((l) => l.weight <= kept)).toBe(true);
  });
});

describe("focusWeights / meanMatrix", () => {
  it("averages the focused row over the selected heads", () => {
    const w = focusWeights(att(), [0, 1], { index: 1, side: "left" });
    expect(Array.from(w)).toEqual([expect.closeTo(0.7), expect.closeTo(0.3), 0]);
    const c = focusWeights(att(), [1], { index: 0, side: "right" });
    expect(Array.from(c)).toEqual([1, 0.5, expect.closeTo(0.3)]);
  });

  it("mean matrix rows still sum to one", () => {
    const m = meanMatrix(att(), [0, 1]);
    for (let i = 0; i < 3; i++) expect(m[i * 3]! + m[i * 3 + 1]! + m[i * 3 + 2]!).toBeCloseTo(1);
    expect(Array.from(meanMatrix(att(), []))).toEqual(new Array(9).fill(0));
  });
});

describe("geometry", () => {
  it("row centres and hit testing agree", () => {
    expect(rowCenter(0, 20)).toBe(10);
    expect(rowCenter(3, 20)).toBe(70);
    expect(rowAt(70, 20, 5)).toBe(3);
    expect(rowAt(-1, 20, 5)).toBeNull();
    expect(rowAt(100, 20, 5)).toBeNull();
  });

  it("caps the canvas backing store for 512 tokens", () => {
    const cssH = 512 * 22;
    const s = canvasScale(300, cssH, 2);
    expect(cssH * s).toBeLessThanOrEqual(16384);
    expect(300 * cssH * s * s).toBeLessThanOrEqual(16_000_000);
    expect(canvasScale(200, 400, 2)).toBe(2);
  });
});

describe("head toggles", () => {
  it("toggles keep the selection sorted; solo twice shows all", () => {
    expect(toggleHead([0, 2], 1)).toEqual([0, 1, 2]);
    expect(toggleHead([0, 1, 2], 1)).toEqual([0, 2]);
    expect(soloHead([0, 1, 2], 1, 3)).toEqual([1]);
    expect(soloHead([1], 1, 3)).toEqual([0, 1, 2]);
  });
});
