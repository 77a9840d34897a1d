import { describe, expect, it } from "vitest";
import { cellAt, GAP, LABEL_H, LABEL_W, MAX_CELL, MIN_CELL, modelGrid, OUTLINE } from "./layout";

describe("model grid", () => {
  it("fits 12 heads in a notebook output and shrinks for 64 heads, labels thinned", () => {
    const small = modelGrid(900, 12, 12);
    expect(small.width).toBeLessThanOrEqual(900);
    expect(small.headStep).toBe(1);
    const big = modelGrid(900, 48, 64);
    expect(big.cell).toBeGreaterThanOrEqual(MIN_CELL);
    expect(big.width).toBeLessThanOrEqual(900);
    expect(big.layerStep).toBeGreaterThan(1);
    expect(big.headStep).toBeGreaterThan(1);
    const narrow = modelGrid(400, 48, 64); // scrolls rather than shrinking below MIN_CELL
    expect(narrow.cell).toBe(MIN_CELL);
    expect(narrow.width).toBeGreaterThan(400);
  });
  it("maps points to cells", () => {
    const g = modelGrid(900, 4, 4);
    expect(cellAt(LABEL_W + g.pitch * 2 + 1, LABEL_H + g.pitch + 1, g, 4, 4)).toEqual({ layer: 1, head: 2 });
    expect(cellAt(1, 1, g, 4, 4)).toBeNull();
    expect(cellAt(LABEL_W + g.pitch * 9, LABEL_H, g, 4, 4)).toBeNull();
  });
  it("grows thumbnails with the width, up to MAX_CELL", () => {
    const at = (w: number) => modelGrid(w, 6, 12).cell;
    expect(at(600)).toBeLessThan(at(900));
    expect(at(900)).toBeLessThan(at(1200));
    expect(at(1200)).toBe(MAX_CELL);
    expect(at(3000)).toBe(MAX_CELL);
    expect(modelGrid(1200, 6, 12).width).toBeLessThanOrEqual(1200);
  });
  it("leaves room for the last row's and column's selection outline", () => {
    const g = modelGrid(900, 6, 12);
    expect(g.height).toBe(LABEL_H + 6 * g.pitch + OUTLINE);
    expect(g.width).toBe(LABEL_W + 12 * g.pitch + OUTLINE);
    expect(g.pitch).toBe(g.cell + GAP);
  });
});
