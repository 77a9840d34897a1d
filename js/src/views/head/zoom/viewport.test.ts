import { describe, expect, it } from "vitest";
import { centerOn, fitAll, fitTpp, isFit, MAX_CELL_PX, pan, resize, stepTpp, tokenAt, visibleRect, zoomAt } from "./viewport";

describe("viewport", () => {
  it("fit-all shows the whole matrix with square cells", () => {
    const vp = fitAll(32768, 32768, 800, 400);
    expect(vp.tpp).toBeCloseTo(32768 / 400);
    expect(visibleRect(vp)).toEqual({ r0: 0, r1: 32768, c0: 0, c1: 32768 });
    const small = fitAll(20, 20, 800, 400);
    expect(small.tpp).toBe(20 / 400); // 20 px cells fill the height
    expect(fitAll(5, 5, 800, 400).tpp).toBe(1 / MAX_CELL_PX); // never over MAX_CELL_PX px a token
    expect(visibleRect(small)).toEqual({ r0: 0, r1: 20, c0: 0, c1: 20 });
  });

  it("zoom steps are powers of two below the fit scale", () => {
    const fit = 81.92;
    expect(stepTpp(fit, 1, fit)).toBe(32); // at least a factor of two in
    expect(stepTpp(64, 1, fit)).toBe(32);
    expect(stepTpp(32, 1, fit)).toBe(16);
    expect(stepTpp(fit, 2, fit)).toBe(16);
    expect(stepTpp(32, -1, fit)).toBe(64);
    expect(stepTpp(64, -1, fit)).toBe(fit);
    expect(stepTpp(fit, -1, fit)).toBe(fit);
    expect(stepTpp(fit, 20, fit)).toBe(1 / MAX_CELL_PX);
  });

  it("zooming about a point keeps the token under it", () => {
    let vp = fitAll(4096, 4096, 600, 400);
    const before = tokenAt(vp, 300, 200)!;
    vp = zoomAt(vp, 3, 300, 200);
    const after = tokenAt(vp, 300, 200)!;
    expect(Math.abs(after.row - before.row)).toBeLessThanOrEqual(Math.ceil(vp.tpp) + 1);
    expect(Math.abs(after.col - before.col)).toBeLessThanOrEqual(Math.ceil(vp.tpp) + 1);
    expect(vp.tpp).toBe(1); // 10.24 → 4 → 2 → 1
    expect(isFit(zoomAt(vp, -10, 0, 0))).toBe(true);
  });

  it("pan moves with the pointer and is clamped to the matrix", () => {
    let vp = zoomAt(fitAll(1000, 1000, 200, 200), 10, 0, 0); // deepest zoom at the top-left
    expect(vp.x).toBe(0);
    vp = pan(vp, -64, -32); // drag left/up: content moves left/up, we see further right/down
    expect(vp.x).toBeCloseTo(64 / MAX_CELL_PX);
    expect(vp.y).toBeCloseTo(32 / MAX_CELL_PX);
    vp = pan(vp, 1e6, 1e6);
    expect([vp.x, vp.y]).toEqual([0, 0]);
    vp = pan(vp, -1e9, -1e9);
    expect(vp.x).toBeCloseTo(1000 - 200 / MAX_CELL_PX);
    expect(visibleRect(vp).c1).toBe(1000);
  });

  it("hit-testing gives the exact token at any zoom", () => {
    let vp = fitAll(32768, 32768, 512, 512); // 64 tokens per px
    expect(tokenAt(vp, 0, 0)).toEqual({ row: 0, col: 0 });
    expect(tokenAt(vp, 10.5, 3.25)).toEqual({ row: 208, col: 672 });
    expect(tokenAt(vp, 512, 3)).toBeNull();
    vp = centerOn(zoomAt(vp, 20, 0, 0), 20000, 30000); // 32 px per token
    const t = tokenAt(vp, 256, 256)!;
    expect(t).toEqual({ row: 20000, col: 30000 });
    expect(tokenAt(vp, 256 + 31.9, 256 - 0.1)).toEqual({ row: 19999, col: 30000 });
    const short = fitAll(10, 10, 400, 400); // matrix smaller than the map
    expect(tokenAt(short, 399, 5)).toBeNull();
  });

  it("resize keeps a fitted view fitted", () => {
    const vp = resize(fitAll(512, 512, 400, 400), 800, 200);
    expect(vp.tpp).toBe(fitTpp(512, 512, 800, 200));
  });
});
