import { describe, expect, it } from "vitest";
import { keyAction } from "./input";
import { showLabels } from "./labels";
import { miniRect, miniSize, miniToken } from "./minimap";
import { visibleTop } from "./paint";
import { tileRect } from "./levels";
import { cellText, meanOver, pooledText } from "./readout";
import { scaleText, statusOf } from "./status";
import { fitAll, zoomAt } from "./viewport";

describe("readout, status, labels, minimap, keys", () => {
  it("readout: exact mean over the shown heads, pooled block named, token text quoted", () => {
    expect(meanOver([0.1, 0.2, 0.3, 0.6], [1, 3])).toBeCloseTo(0.4);
    expect(meanOver([0.1], [2])).toBeNull();
    expect(pooledText({ row: 130, col: 5 }, 64, "max", 150, 150)).toBe("colour here: max of queries 128–149 × keys 0–63 (64×64 block)");
    expect(pooledText({ row: 130, col: 5 }, 1, "max", 150, 150)).toBe("");
    expect(cellText("a\u202eb", " x", { row: 3, col: 1 }, 0.25, 2)).toBe("from “a‹U+202E›b” (3) to “·x” (1): 0.2500 (exact; mean of 2 heads)");
  });

  it("status: saved page without a level, overview missing, refining, done", () => {
    const msg = "attention_tile:self:0:max:1:0:0:all was not saved in this page; it needs a running kernel.";
    expect(statusOf({ overview: undefined, complete: false, error: { message: msg, overview: false } }, false, 1).text).toMatch(/^zoom level not in this page .*needs a running kernel/);
    expect(statusOf({ overview: undefined, complete: false, error: { message: msg, overview: true } }, false, 1).text).toMatch(/overview is not in this page/);
    expect(statusOf({ overview: undefined, complete: false, error: { message: "block must be a power of two", overview: false } }, false, 4).text).toBe("zoom level 4: block must be a power of two");
    expect(statusOf({ overview: undefined, complete: false, error: null }, false, 1).state).toBe("loading");
    expect(statusOf({ overview: {} as never, complete: false, error: null }, false, 1).text).toBe("refining…");
    expect(statusOf({ overview: {} as never, complete: true, error: null }, false, 1)).toEqual({ text: "", state: "" });
    expect(statusOf({ overview: undefined, complete: false, error: null }, true, 1).text).toMatch(/No heads selected/);
    expect(scaleText(0.3, 0.3, false, "matrix")).toContain("strongest of the whole matrix");
    expect(scaleText(0.3, 1, false, "view")).toContain("above 99.9% of the cells shown");
  });

  it("colour top: the 99.9% quantile ignores a few extreme cells", () => {
    const values = new Float32Array(512 * 512).fill(0.01);
    values[0] = 1;
    const top = visibleTop([{ rect: tileRect(1, 0, 0, 512, 512), values, scale: 1 }], { r0: 0, r1: 512, c0: 0, c1: 512 });
    expect(top.max).toBe(1);
    expect(top.top).toBeGreaterThanOrEqual(0.01);
    expect(top.top).toBeLessThan(0.012);
  });

  it("labels only at block 1 with cells of at least 9 px", () => {
    expect(showLabels(1, 1 / 9)).toBe(true);
    expect(showLabels(1, 1 / 8)).toBe(false);
    expect(showLabels(2, 1 / 32)).toBe(false);
  });

  it("minimap rectangle and clicks", () => {
    const vp = zoomAt(fitAll(1000, 500, 400, 400), 2, 0, 0);
    const size = miniSize(1000, 500, 120);
    expect(size).toEqual({ width: 60, height: 120 });
    const r = miniRect(vp, size);
    expect(r.left).toBe(0);
    expect(r.height).toBeCloseTo((400 * vp.tpp * 120) / 1000);
    expect(miniToken(vp, size, 30, 60)).toEqual({ row: 500, col: 250 });
  });

  it("keys: + − 0 and arrows; others are not ours", () => {
    const vp = fitAll(4096, 4096, 400, 400);
    expect(keyAction("+", false, vp)!.tpp).toBe(4);
    expect(keyAction("-", false, keyAction("+", false, vp)!)!.tpp).toBe(8);
    expect(keyAction("0", false, keyAction("+", false, vp)!)).toEqual(vp);
    const z = keyAction("+", false, vp)!;
    expect(keyAction("ArrowDown", false, z)!.y).toBeCloseTo(z.y + 100 * z.tpp);
    expect(keyAction("ArrowRight", true, z)!.x).toBeCloseTo(Math.min(z.x + 400 * z.tpp, 4096 - 400 * z.tpp)); // clamped at the edge
    expect(keyAction("a", false, vp)).toBeNull();
  });
});
