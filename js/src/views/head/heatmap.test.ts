import { describe, expect, it } from "vitest";
import { cellText, heatmapScale, scaleText } from "./heatmap";

describe("head view heatmap helpers", () => {
  it("reads out a cell and the colour scale", () => {
    expect(cellText(["a", "</b>"], ["x", "y"], { row: 1, col: 0 }, 0.12345, 2)).toBe("from “</b>” (1) to “x” (0): 0.123 (mean of 2 heads)");
    expect(cellText(["a"], ["x"], { row: 0, col: 0 }, 1, 1)).toContain("mean of 1 head)");
    expect(scaleText(0.5, true, 100, 100)).toBe("colour: 0 (background) to 0.50 (strongest); hover a cell for its value");
    expect(scaleText(0.5, false, 100, 4096)).toContain("in the rows shown); 41 keys per pixel column");
  });

  it("keeps the layer-wide maximum per layer and head set", () => {
    const scale = heatmapScale();
    const data = Float32Array.from([0.1, 0.9, 0.4, 0.6, /* head 1 */ 0.3, 0.7, 0.2, 0.8]);
    const att = { heads: 2, nq: 2, nk: 2, data, scale: 1 };
    expect(scale(att, [0], new Float32Array(0))).toEqual({ max: expect.closeTo(0.9, 6), global: true });
    expect(scale(att, [0, 1], new Float32Array(0)).max).toBeCloseTo(0.8, 6); // mean of (0.9, 0.7) and (0.6, 0.8)
  });
});
