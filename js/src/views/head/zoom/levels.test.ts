import { describe, expect, it } from "vitest";
import { blockAround, blockFor, levelsDownTo, overviewBlock, tileRect, tilesFor, TILE } from "./levels";
import { cellKey, headsPart, tileHeadsKey, tileKey, tileRequest } from "./keys";

describe("levels", () => {
  it("overview block is the smallest power of two whose grid fits one tile", () => {
    expect(overviewBlock(20, 20)).toBe(1);
    expect(overviewBlock(512, 512)).toBe(1);
    expect(overviewBlock(513, 10)).toBe(2);
    expect(overviewBlock(4096, 4096)).toBe(8);
    expect(overviewBlock(32768, 32768)).toBe(64);
    expect(overviewBlock(10, 32769)).toBe(128);
    for (const n of [1, 100, 777, 5000, 40000]) {
      const b = overviewBlock(n, n);
      expect(Math.ceil(n / b)).toBeLessThanOrEqual(TILE);
      if (b > 1) expect(Math.ceil(n / (b / 2))).toBeGreaterThan(TILE);
    }
  });

  it("block is the largest power of two ≤ tokens per device pixel, ≥ 1, ≤ overview", () => {
    expect(blockFor(0.25, 1, 64)).toBe(1);
    expect(blockFor(1, 1, 64)).toBe(1);
    expect(blockFor(1.99, 1, 64)).toBe(1);
    expect(blockFor(2, 1, 64)).toBe(2);
    expect(blockFor(40, 1, 64)).toBe(32);
    expect(blockFor(40, 2, 64)).toBe(16); // 20 tokens per device pixel
    expect(blockFor(1000, 1, 64)).toBe(64);
    expect(blockFor(3, 2, 64)).toBe(1);
  });

  it("tile rectangles and partial last cells follow the spec", () => {
    const t = tileRect(4, 1, 0, 3000, 1000);
    expect(t).toMatchObject({ r0: 2048, r1: 3000, c0: 0, c1: 1000, cellsR: 238, cellsC: 250 });
  });

  it("tiles covering a rectangle", () => {
    const tiles = tilesFor(1, { r0: 500, r1: 1100, c0: 0, c1: 10 }, 4096, 4096);
    expect(tiles.map((t) => [t.row, t.col])).toEqual([[0, 0], [1, 0], [2, 0]]);
    expect(tilesFor(64, { r0: 0, r1: 32768, c0: 0, c1: 32768 }, 32768, 32768)).toHaveLength(1);
    expect(tilesFor(32, { r0: 0, r1: 32768, c0: 0, c1: 32768 }, 32768, 32768)).toHaveLength(4);
    expect(tilesFor(1, { r0: 5, r1: 5, c0: 0, c1: 10 }, 100, 100)).toHaveLength(0);
    expect(tilesFor(1, { r0: 0, r1: 9999, c0: 0, c1: 9999 }, 600, 600)).toHaveLength(4);
  });

  it("levels coarsest first, block around a token", () => {
    expect(levelsDownTo(4, 64)).toEqual([64, 32, 16, 8, 4]);
    expect(levelsDownTo(64, 64)).toEqual([64]);
    expect(blockAround(130, 64, 150)).toEqual([128, 150]);
    expect(blockAround(5, 1, 150)).toEqual([5, 6]);
  });
});

describe("keys", () => {
  const at = { stack: "self", layer: 3, pool: "max" as const, block: 8, row: 1, col: 2 };
  it("are exactly the spec's", () => {
    expect(tileKey({ ...at, heads: [0, 1, 2, 3], nHeads: 4 })).toBe("attention_tile:self:3:max:8:1:2:all");
    expect(tileKey({ ...at, heads: [7, 0, 3], nHeads: 12 })).toBe("attention_tile:self:3:max:8:1:2:0,3,7");
    expect(tileKey({ ...at, pool: "mean", heads: [1], nHeads: 2 })).toBe("attention_tile:self:3:mean:8:1:2:1");
    expect(tileHeadsKey(at)).toBe("attention_tile_heads:self:3:max:8:1:2");
    expect(cellKey("cross", 0, 17, 4)).toBe("attention_cell:cross:0:17:4");
    expect(headsPart([0, 1], 3)).toBe("0,1");
  });
  it("requests carry the spec's fields (heads sorted, unique)", () => {
    const r = tileRequest({ ...at, heads: [3, 1, 3], nHeads: 4 });
    expect(r.what).toBe("attention_tile");
    expect(r.layer).toBe(3);
    expect(r.params).toEqual({ heads: [1, 3], pool: "max", block: 8, row: 1, col: 2 });
  });
});
