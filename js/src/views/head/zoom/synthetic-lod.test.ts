/** The dev page's synthetic level-of-detail answers against brute force over every entry. */
import { describe, expect, it } from "vitest";
import { bruteTile, exactValue, headTile, lodAnswer } from "../../../../dev/synthetic-lod";
import { decodeScaled } from "../../../decode";
import { tileRect } from "./levels";

describe("synthetic LOD attention", () => {
  it("rows sum to 1 and are causal", () => {
    for (const [layer, h] of [[0, 0], [1, 2], [2, 3], [0, 4], [3, 1]] as const) {
      for (const i of [0, 1, 2, 50, 129, 700]) {
        let s = 0;
        for (let j = 0; j <= i; j++) s += exactValue(layer, h, i, j);
        expect(s).toBeCloseTo(1, 10);
        expect(exactValue(layer, h, i, i + 1)).toBe(0);
      }
    }
  });

  it("analytic pooled tiles equal brute force (max and mean, partial cells)", () => {
    for (const [block, row, col, n] of [[1, 0, 0, 40], [4, 0, 0, 300], [8, 0, 0, 1000], [1, 1, 0, 600], [2, 0, 1, 1500]] as const) {
      const r = tileRect(block, row, col, n, n);
      for (const pool of ["max", "mean"] as const) {
        for (const h of [0, 1, 2, 3, 4]) {
          const a = headTile(1, h, pool, r);
          const b = bruteTile(1, [h], pool, r);
          let worst = 0;
          for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k]! - b[k]!));
          expect(worst, `block ${block} ${pool} head ${h}`).toBeLessThan(1e-12);
        }
      }
    }
  });

  it("answers the wire's arrays and data; bad fields get clear errors", () => {
    const o = { nLayers: 2, nHeads: 3, tokens: Array.from({ length: 700 }, () => "x") };
    const t = lodAnswer({ what: "attention_tile", stack: "self", layer: 1, heads: [0, 2], pool: "max", block: 2, row: 0, col: 0 }, o);
    expect(t.built.data).toEqual({ block: 2, row: 0, col: 0, rows: [0, 700], cols: [0, 700] });
    const arr = t.built.arrays.tile!;
    expect(arr.shape).toEqual([350, 350]);
    const got = decodeScaled(arr).data;
    const want = bruteTile(1, [0, 2], "max", tileRect(2, 0, 0, 700, 700));
    for (const k of [0, 351, 350 * 200 + 150, 350 * 349 + 349]) expect(got[k]).toBeCloseTo(want[k]!, 3);
    const cell = lodAnswer({ what: "attention_cell", stack: "self", layer: 0, row: 5, col: 4 }, o);
    expect(Array.from(decodeScaled(cell.built.arrays.weights!).data)).toEqual([0, 1, 2].map((h) => Math.fround(exactValue(0, h, 5, 4))));
    const bad = (c: Record<string, unknown>) => () => lodAnswer({ what: "attention_tile", stack: "self", layer: 0, heads: [0], pool: "max", block: 1, row: 0, col: 0, ...c }, o);
    expect(bad({ block: 3 })).toThrow(/block must be a power of two/);
    expect(bad({ row: 2 })).toThrow(/row must be 0 to 1/);
    expect(bad({ heads: [] })).toThrow(/heads must be/);
    expect(bad({ pool: "sum" })).toThrow(/pool must be/);
    expect(bad({ layer: 2 })).toThrow(/layer must be 0 to 1/);
  });
});
