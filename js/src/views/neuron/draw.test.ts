import { describe, expect, it } from "vitest";
import { divergingColor } from "../../colors";
import { BAR_W, infoText, keyRowsOps, LABEL_W, legendColumns, NUM_W, queryRowOps, ROW_H, stripOps, vectorColumns } from "./draw";
import { scores, type QK } from "./layout";

const bg = [255, 255, 255] as const;
const theme = { fg: "F", muted: "M", accent: "A", border: "B", bgRgb: bg };
// 2 heads sharing 1 kv head, 3 queries, 3 keys, d = 2
const qk: QK = {
  heads: 2,
  kvHeads: 1,
  nq: 3,
  nk: 3,
  d: 2,
  queries: Float32Array.from([1, 0, 0, 1, 1, 1, 2, 0, 0, 2, 2, 2]),
  keys: Float32Array.from([1, 0, 0, 1, -1, -1]),
  scaling: 0.5,
  group: 2,
};

describe("neuron view drawing", () => {
  it("strips colour each component by value / max on the diverging scale", () => {
    const ops = stripOps([1, -0.5, 0], 10, 2, 3, 16, 1, bg);
    expect(ops.map((o) => [o.x, o.color])).toEqual([
      [10, `rgb(${divergingColor(1, bg).map((c) => c | 0).join(",")})`],
      [13, `rgb(${divergingColor(-0.5, bg).map((c) => c | 0).join(",")})`],
      [16, `rgb(${divergingColor(0, bg).map((c) => c | 0).join(",")})`],
    ]);
  });

  it("query row: label and one cell per dimension", () => {
    const ops = queryRowOps(Float32Array.from([2, -1]), 4, 5, theme);
    expect(ops[0]).toMatchObject({ op: "text", text: "q (token 4)" });
    expect(ops.slice(1).map((o) => o.x)).toEqual([LABEL_W, LABEL_W + 5]);
  });

  it("key rows: scores, softmax from the model's attention, masked keys faded", () => {
    const q = Float32Array.from([1, 1]); // head 0, query 2
    const sc = scores(qk, 0, 2);
    // attention [heads=2, nq=3, nk=3]: head 0, query 1 reads 0.25, 0.75, 0
    const data = new Float32Array(18);
    data.set([0.25, 0.75, 0], 3);
    const ops = keyRowsOps({ qk, q, kv: 0, qi: 1, scores: sc, att: { heads: 2, nq: 3, nk: 3, data, scale: 1 }, head: 0, rows: { start: 0, end: 3 }, top: 0, cw: 4, vec: 8, causal: true, kmax: 1, theme });
    const texts = ops.flatMap((o) => (o.op === "text" ? [o.text] : []));
    // q·k × 0.5 for q = queries of head 0, query 2 = (1, 1): keys (1,0) (0,1) (-1,-1) → 0.5, 0.5, -1
    expect(texts).toEqual([sc[0]!.toFixed(2), "0.250", sc[1]!.toFixed(2), "0.750", sc[2]!.toFixed(2), "masked"]);
    expect(Array.from(sc)).toEqual([0.5, 0.5, -1]);
    const bars = ops.filter((o) => o.op === "rect" && o.color === "A");
    expect(bars.map((o) => (o.op === "rect" ? o.w : -1))).toEqual([0.25 * BAR_W, 0.75 * BAR_W, 0]);
    expect(ops.filter((o) => o.y >= 2 * ROW_H).every((o) => o.alpha === 0.35)).toBe(true);
    expect(ops.filter((o) => o.y < ROW_H).every((o) => (o.alpha ?? 1) === 1)).toBe(true);
  });

  it("while the attention loads the softmax says …; only visible rows are drawn, offset by top", () => {
    const ops = keyRowsOps({ qk, q: Float32Array.from([1, 1]), kv: 0, qi: 2, scores: scores(qk, 0, 2), att: null, head: 0, rows: { start: 1, end: 2 }, top: 10, cw: 4, vec: 8, causal: false, kmax: 1, theme });
    expect(ops.flatMap((o) => (o.op === "text" ? [o.text] : []))).toEqual(["0.50", "…"]);
    expect(Math.min(...ops.map((o) => o.y))).toBeGreaterThanOrEqual(ROW_H - 10);
  });

  it("columns, legend and info", () => {
    expect(vectorColumns(2000, 64)).toEqual({ cw: 6, vec: 384 });
    expect(vectorColumns(300, 64).cw).toBe(1);
    expect(legendColumns(64, 64).map((c) => c.text)).toEqual(["key", "k (64)", "q ⊙ k", "q·k", "softmax"]);
    expect(legendColumns(64, 64)[4]!.width).toBe(BAR_W + NUM_W);
    expect(infoText(qk, 1, 0, [0, 1])).toContain("Head 1 reads key/value head 0, shared by heads 0–1");
    expect(infoText({ ...qk, group: 1 }, 1, 1, [1])).toBe("q·k is scaled by 0.500; softmax from the model's own attention (masks included).");
  });
});
