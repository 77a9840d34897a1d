import { describe, expect, it } from "vitest";
import { gridOps, markedHeads, readoutText, thumbnailPixels } from "./draw";
import { GAP, LABEL_H, LABEL_W, modelGrid } from "./layout";

/** A LUT whose colour for t is (t, 255 - t, 7): the test reads the byte back from the red channel. */
const LUT = Uint8ClampedArray.from({ length: 256 * 3 }, (_, i) => (i % 3 === 0 ? Math.floor(i / 3) : i % 3 === 1 ? 255 - Math.floor(i / 3) : 7));

/** Independent reference: the reply value shown at device pixel (x, y) of head (l, hd). */
function expected(values: number[], shape: number[], l: number, hd: number, x: number, y: number, px: number): number {
  const [, ah, g, g2] = shape as [number, number, number, number];
  const row = Math.floor((y / px) * g);
  const col = Math.floor((x / px) * g2);
  return values[((l * ah + hd) * g + row) * g2 + col]!;
}

describe("model view thumbnails", () => {
  for (const [g, g2, px] of [[32, 32, 32], [5, 3, 10], [1, 1, 4], [8, 32, 16], [32, 7, 20], [3, 3, 2]] as const) {
    it(`resamples ${g} × ${g2} blocks to ${px} × ${px} pixels`, () => {
      const shape = [2, 3, g, g2];
      const n = 2 * 3 * g * g2;
      const values = Array.from({ length: n }, (_, i) => (i * 37) % 256);
      const p = thumbnailPixels({ shape, values, scale: 1 / 255 }, 2, 3, px, LUT)!;
      expect(p.width).toBe(3 * px);
      expect(p.height).toBe(2 * px);
      for (let l = 0; l < 2; l++)
        for (let hd = 0; hd < 3; hd++)
          for (let y = 0; y < px; y++)
            for (let x = 0; x < px; x++) {
              const o = ((l * px + y) * p.width + hd * px + x) * 4;
              const v = expected(values, shape, l, hd, x, y, px);
              expect([p.data[o], p.data[o + 1], p.data[o + 2], p.data[o + 3]]).toEqual([v, 255 - v, 7, 255]);
            }
    });
  }

  it("reads raw bytes (uint8, scale 1/255) and values in [0, 1] (scale 1), and clamps", () => {
    const f = thumbnailPixels({ shape: [1, 1, 1, 3], values: [0, 0.5, 1.5], scale: 1 }, 1, 1, 3, LUT)!;
    expect([f.data[0], f.data[4], f.data[8]]).toEqual([0, 128, 255]);
    const p = thumbnailPixels({ shape: [1, 1, 1, 2], values: [0.5, 2], scale: 1 / 255 }, 1, 1, 2, LUT)!;
    expect(p.data[0]).toBe(1); // round(0.5)
    expect(p.data[4]).toBe(2);
    const q = thumbnailPixels({ shape: [1, 1, 1, 2], values: [0.5, 2], scale: 0.5 }, 1, 1, 2, LUT)!;
    expect([q.data[0], q.data[4]]).toEqual([1, 2]);
  });

  it("leaves heads missing from the reply transparent and rejects other shapes", () => {
    const p = thumbnailPixels({ shape: [1, 1, 2, 2], values: [9, 9, 9, 9], scale: 1 / 255 }, 2, 2, 2, LUT)!;
    expect(p.data[3]).toBe(255);
    expect(p.data[(0 * p.width + 2) * 4 + 3]).toBe(0); // head 1 of layer 0
    expect(p.data[(2 * p.width) * 4 + 3]).toBe(0); // layer 1
    expect(thumbnailPixels({ shape: [1, 1, 4], values: [1, 2, 3, 4], scale: 1 }, 1, 1, 2, LUT)).toBeNull();
    expect(thumbnailPixels({ shape: [1, 1, 0, 4], values: [], scale: 1 }, 1, 1, 2, LUT)).toBeNull();
  });
});

describe("model view grid", () => {
  const theme = { muted: "m", border: "b", bg: "w" };
  it("paints labels, the frame and one background per cell", () => {
    const g = modelGrid(600, 3, 4);
    const ops = gridOps(g, 3, 4, theme);
    const texts = ops.filter((o) => o.op === "text").map((o) => (o.op === "text" ? o.text : ""));
    expect(texts).toEqual(["L0", "L1", "L2", "H0", "H1", "H2", "H3"]);
    const rects = ops.filter((o) => o.op === "rect");
    expect(rects[0]).toMatchObject({ x: LABEL_W - GAP, y: LABEL_H - GAP, w: 4 * g.pitch + GAP, h: 3 * g.pitch + GAP, color: "b" });
    expect(rects.length).toBe(1 + 12);
    expect(rects[12]).toMatchObject({ x: LABEL_W + 3 * g.pitch, y: LABEL_H + 2 * g.pitch, w: g.cell, h: g.cell, color: "w" });
  });

  it("thins labels out on small cells", () => {
    const g = modelGrid(300, 40, 40);
    const texts = gridOps(g, 40, 40, theme).flatMap((o) => (o.op === "text" ? [o.text] : []));
    expect(texts.length).toBeLessThan(80);
    expect(texts).toContain("L0");
    expect(texts).toContain(`L${g.layerStep}`);
  });

  it("readout and marks", () => {
    expect(readoutText(null, { layer: 2, heads: [1, 3] }, 12, false)).toBe("selected: layer 2, heads 1, 3");
    expect(readoutText(null, { layer: 0, heads: [] }, 12, false)).toBe("selected: layer 0, heads none");
    expect(readoutText(null, { layer: 0, heads: [...Array(9).keys()] }, 12, false)).toBe("selected: layer 0, heads 9 of 12");
    expect(readoutText({ layer: 2, head: 3 }, { layer: 2, heads: [3] }, 12, true)).toBe("layer 2, head 3 (shown): click to mark or unmark it for ablation");
    expect(markedHeads(["head:1:2", "mlp:3", "head:4:0"])).toEqual([{ layer: 1, head: 2 }, { layer: 4, head: 0 }]);
  });
});
