import { describe, expect, it } from "vitest";
import { divergingColor } from "../../colors";
import { attributionReadout, attributionStatus, cellAt, chipLooks, explainText, MATRIX_LABEL_W, matrixOps } from "./draw";

const bg = [255, 255, 255] as const;

describe("attribution drawing", () => {
  it("explains which prediction, towards what, rather than what", () => {
    const s = { token: null, target: null };
    expect(explainText("cat", 4, s, {}, "", "")).toBe("Explaining the prediction after “cat” (position 4, the last token).");
    expect(explainText("cat", 4, { token: 4, target: null }, { target_token: "sat", target_prob: 0.25 }, "x", "")).toBe(
      "Explaining the prediction after “cat” (position 4, the locked token) → “sat” (p = 0.250).",
    );
    expect(explainText("cat", 2, { token: null, target: 2 }, {}, "sat", "ran")).toBe(
      "Explaining the prediction after “cat” (position 2, the target position) → “sat” rather than “ran”.",
    );
  });

  it("status: progress while computing, the page's limits, the reply's state", () => {
    expect(attributionStatus("saliency", { state: "loading", since: 0 }, true, 3500)).toEqual({ text: "computing saliency (|gradient|)… 3 s", ticking: true });
    expect(attributionStatus("saliency", { state: "no-kernel", message: "x" }, false, 0).text).toContain("needs the model, which this page does not have");
    expect(attributionStatus("attention_rollout", { state: "error", message: "boom" }, false, 0)).toEqual({ text: "Attention rollout attribution: boom", ticking: false });
  });

  it("chips: colour by value / range, labels with the share of the total", () => {
    const looks = chipLooks(["a", "b"], [2, -1], 0.5, 1, 0.5, bg);
    expect(looks.map((l) => l.value)).toEqual([1, -0.5]);
    const rgb = divergingColor(-0.5, bg);
    expect(looks[1]!.background).toBe(`rgb(${rgb.map((c) => c | 0).join(",")})`);
    expect(looks[0]!.label).toBe("a (token 0): +1.000 (200% of the total)");
    expect(attributionReadout(["a", "b"], 1, [2, -1], 0.5, 1, 0.5)).toBe("“b” (token 1): −0.500 (-100% of the total)");
    expect(attributionReadout(["a", "b"], null, [2, -1], 0.5, 1, 0.5)).toBe("sum of attributions +0.500; largest |value| 1.000");
  });

  it("matrix: labels, non-zero cells and each row's own token outlined", () => {
    const theme = { fg: "F", border: "B", bgRgb: bg };
    // rows predict tokens 1 and 2 of 3; values [2, 3]
    const ops = matrixOps({ values: [1, 0, 0, 0.5, -1, 0], scale: 1, rows: [1, 2], n: 3, R: 2, cell: 10, tokens: ["x", "y", "z"], range: 1, theme });
    expect(ops.flatMap((o) => (o.op === "text" ? [o.text] : []))).toEqual(["y", "z"]);
    expect(ops.filter((o) => o.op === "rect").map((o) => [o.x, o.y])).toEqual([[MATRIX_LABEL_W, 0], [MATRIX_LABEL_W, 10], [MATRIX_LABEL_W + 10, 10]]);
    expect(ops.filter((o) => o.op === "stroke").map((o) => [o.x, o.y])).toEqual([[MATRIX_LABEL_W + 10.5, 0.5], [MATRIX_LABEL_W + 20.5, 10.5]]);
    const small = matrixOps({ values: [1], scale: 1, rows: [1], n: 1, R: 1, cell: 6, tokens: ["x", "y"], range: 1, theme });
    expect(small.some((o) => o.op === "text")).toBe(false);
    expect(cellAt(MATRIX_LABEL_W + 15, 12, 10, 2, 3)).toEqual({ row: 1, col: 1 });
    expect(cellAt(MATRIX_LABEL_W - 1, 2, 10, 2, 3)).toBeNull();
  });
});
