import { describe, expect, it } from "vitest";
import { divergingColor } from "../../colors";
import { changeOps, changeSize, idleStatus, markedLabels, ranStatus } from "./draw";

const bg = [255, 255, 255] as const;

describe("ablation drawing", () => {
  it("labels marked parts and skips unknown names", () => {
    expect(markedLabels(["head:2:3", "bogus", "neuron:1:40"])).toEqual([
      { name: "head:2:3", text: "head L2·H3" },
      { name: "neuron:1:40", text: "neuron L1·#40" },
    ]);
  });

  it("status lines", () => {
    expect(idleStatus(0, true)).toBe("");
    expect(idleStatus(2, true)).toContain("Run ablation");
    expect(idleStatus(2, false)).toBe("Ablation reruns the model, which this page does not have.");
    expect(ranStatus(null, "", "zero", 1)).toBe("This model predicts no tokens; only attention changes.");
    expect(ranStatus(3, "cat", "mean", 1)).toBe("Prediction after “cat” (position 3), mean-ablating 1 part:");
    expect(ranStatus(3, "cat", "zero", 2)).toContain("zero-ablating 2 parts:");
  });

  it("paints each changed cell by after − before of one head, skipping tiny changes", () => {
    // two heads, 2 × 2; head 1 changes: +0.5 at (0, 1), −0.25 at (1, 0), 0.001 at (1, 1)
    const before = [0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5];
    const after = [9, 9, 9, 9, 0.5, 1, 0.25, 0.501];
    const ops = changeOps({ before, beforeScale: 1, after, afterScale: 1, off: 4, nq: 2, nk: 2, maxAbs: 0.5, bg, frame: "M" });
    const { width, height } = changeSize(2, 2);
    expect([width, height]).toEqual([120, 120]);
    const rects = ops.filter((o) => o.op === "rect");
    expect(rects.map((o) => [o.x, o.y, o.color])).toEqual([
      [60, 0, `rgb(${divergingColor(1, bg).map((c) => c | 0).join(",")})`],
      [0, 60, `rgb(${divergingColor(-0.5, bg).map((c) => c | 0).join(",")})`],
    ]);
    expect(ops[ops.length - 1]).toEqual({ op: "stroke", x: 0.5, y: 0.5, w: 119, h: 119, color: "M", width: 1 });
  });

  it("subsamples long sequences to at most 320 × 320 cells", () => {
    const n = 1000;
    const after = new Float32Array(n * n).fill(1);
    const ops = changeOps({ before: new Float32Array(n * n), beforeScale: 1, after, afterScale: 1, off: 0, nq: n, nk: n, maxAbs: 1, bg, frame: "M" });
    const step = Math.floor(n / 320);
    expect(ops.length - 1).toBe(Math.ceil(n / step) ** 2);
    expect(changeSize(n, n)).toEqual({ width: 320, height: 320 });
  });
});
