import { describe, expect, it } from "vitest";
import { lensOps, lensReadout, lensViewport, scrollForToken, type LensFrame } from "./draw";
import { CELL_H, CELL_W, cellChars, HEADER_H, LABEL_W, lensCellAt, lensCellWidth, MIN_CELL_W, type LensTable } from "./layout";

// 2 layers × 3 positions, k = 2: top-1 of (l, p) is vocab[l * 3 + p] with probability (l * 3 + p) / 5.
const table: LensTable = {
  layers: 2,
  positions: 3,
  k: 2,
  vocab: ["a", "b", "c", "d", "e", "f", "zz"],
  indices: Uint32Array.from([0, 6, 1, 6, 2, 6, 3, 6, 4, 6, 5, 6]),
  probs: [0, 0, 0.2, 0, 0.4, 0, 0.6, 0, 0.8, 0, 1, 0],
  probScale: 1,
};
const grey = Uint8ClampedArray.from({ length: 768 }, (_, i) => Math.floor(i / 3));
const theme = { accent: "A", fg: "F", bg: "B", muted: "M" };
const frame = (over: Partial<LensFrame> = {}): LensFrame => ({
  table,
  layers: 2,
  cols: { start: 0, end: 3 },
  left: 0,
  width: LABEL_W + 3 * CELL_W,
  height: HEADER_H + 2 * CELL_H,
  layer: 1,
  token: null,
  hover: null,
  theme,
  lut: grey,
  ...over,
});

describe("logit lens drawing", () => {
  it("one cell per visible column and layer, coloured by probability, labelled with the top-1 token", () => {
    const ops = lensOps(frame());
    const cells = ops.filter((o) => o.op === "rect" && o.w === CELL_W - 1);
    expect(cells.map((o) => o.color)).toEqual(["rgb(0,0,0)", "rgb(51,51,51)", "rgb(102,102,102)", "rgb(153,153,153)", "rgb(204,204,204)", "rgb(255,255,255)"]);
    const texts = ops.flatMap((o) => (o.op === "text" ? [o.text] : []));
    expect(texts).toEqual(["a", "b", "c", "d", "e", "f", "L0", "L1"]);
    // text colour contrasts with the cell: dark cells get light text
    const first = ops.find((o) => o.op === "text" && o.text === "a");
    const last = ops.find((o) => o.op === "text" && o.text === "f");
    expect(first?.color).not.toBe(last?.color);
    // the selected layer's label is in the foreground colour
    expect(ops.find((o) => o.op === "text" && o.text === "L1")?.color).toBe("F");
    expect(ops.find((o) => o.op === "text" && o.text === "L0")?.color).toBe("M");
  });

  it("draws only the visible window, shifted by the scroll offset", () => {
    const ops = lensOps(frame({ cols: { start: 1, end: 2 }, left: 50 }));
    const cells = ops.filter((o) => o.op === "rect" && o.w === CELL_W - 1);
    expect(cells.map((o) => [o.x, o.y])).toEqual([[LABEL_W + CELL_W - 50, HEADER_H], [LABEL_W + CELL_W - 50, HEADER_H + CELL_H]]);
  });

  it("outlines the layer row, the token column and the hovered cell", () => {
    const ops = lensOps(frame({ token: 2, hover: { layer: 0, position: 1 } })).filter((o) => o.op === "stroke");
    expect(ops).toEqual([
      { op: "stroke", x: 1, y: HEADER_H + CELL_H + 1, w: LABEL_W + 3 * CELL_W - 2, h: CELL_H - 2, color: "A", width: 2 },
      { op: "stroke", x: LABEL_W + 2 * CELL_W + 1, y: HEADER_H + 1, w: CELL_W - 2, h: 2 * CELL_H - 2, color: "A", width: 2 },
      { op: "stroke", x: LABEL_W + CELL_W, y: HEADER_H, w: CELL_W - 1, h: CELL_H - 1, color: "F", width: 1.5 },
    ]);
  });

  it("without a table: only outlines and labels", () => {
    const ops = lensOps(frame({ table: null }));
    expect(ops.flatMap((o) => (o.op === "text" ? [o.text] : []))).toEqual(["L0", "L1"]);
  });

  it("readout and viewport", () => {
    expect(lensReadout(table, 1, 2)).toBe("layer 1, position 2: “f” 1.00, “zz” 0.00");
    expect(lensReadout(table, 0, null)).toBe("layer 0");
    expect(lensReadout(null, 0, 1)).toBe("");
    expect(lensViewport(1000, 0, 3, 2)).toEqual({ width: LABEL_W + 3 * CELL_W, height: HEADER_H + 2 * CELL_H, left: 0 });
    expect(lensViewport(200, 9000, 100, 2)).toEqual({ width: 200, height: HEADER_H + 2 * CELL_H, left: LABEL_W + 100 * CELL_W - 200 });
  });
});

describe("logit lens scrolling", () => {
  it("scrolls a column into view only when it is out of view and the box was laid out", () => {
    expect(scrollForToken({ left: 0, width: 300 }, 300, 1)).toBeNull();
    const next = scrollForToken({ left: 0, width: 300 }, 300, 20);
    expect(next).not.toBeNull();
    expect(next! + 300 - LABEL_W).toBeGreaterThanOrEqual(21 * CELL_W);
    expect(scrollForToken({ left: 0, width: 0 }, 300, 20)).toBeNull();
  });
});

describe("logit lens cell width", () => {
  it("keeps wide cells when they fit, narrows beside another view to show more positions", () => {
    expect(lensCellWidth(900, 20)).toBe(CELL_W);
    expect(lensCellWidth(2000, 100)).toBe(CELL_W);
    expect(lensCellWidth(432, 20)).toBe(MIN_CELL_W);
    expect(Math.floor((432 - LABEL_W) / lensCellWidth(432, 20))).toBeGreaterThanOrEqual(8);
    expect(lensCellWidth(432, 4)).toBe(CELL_W); // few positions: no need to narrow
    const w = lensCellWidth(600, 20);
    expect(w).toBeGreaterThanOrEqual(MIN_CELL_W);
    expect(w).toBeLessThanOrEqual(CELL_W);
    expect(cellChars(CELL_W)).toBe(8);
    expect(cellChars(MIN_CELL_W)).toBe(5);
  });

  it("draws and hit-tests with the narrow width", () => {
    const ops = lensOps(frame({ cellW: MIN_CELL_W, token: 1 }));
    const cells = ops.filter((o) => o.op === "rect" && o.w === MIN_CELL_W - 1);
    expect(cells.map((o) => o.x).slice(0, 3)).toEqual([LABEL_W, LABEL_W + MIN_CELL_W, LABEL_W + 2 * MIN_CELL_W]);
    expect(ops.find((o) => o.op === "stroke" && o.color === "A" && o.y === HEADER_H + 1)).toMatchObject({ x: LABEL_W + MIN_CELL_W + 1, w: MIN_CELL_W - 2 });
    expect(lensCellAt(LABEL_W + MIN_CELL_W * 2 + 1, HEADER_H + 1, 2, 3, MIN_CELL_W)).toEqual({ layer: 0, position: 2 });
    expect(lensViewport(2000, 0, 3, 2, MIN_CELL_W).width).toBe(LABEL_W + 3 * MIN_CELL_W);
  });
});
