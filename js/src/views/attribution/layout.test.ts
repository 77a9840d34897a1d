import { describe, expect, it } from "vitest";
import { keyOf } from "../../replies";
import { attributionRequest, describeValue, elapsed, explainedPosition, symmetricRange } from "./layout";

describe("attribution view logic", () => {
  it("explains the locked token, else the target trait, else the last position", () => {
    expect(explainedPosition({ token: 3, target: 5 }, 10)).toBe(3);
    expect(explainedPosition({ token: null, target: 5 }, 10)).toBe(5);
    expect(explainedPosition({ token: null, target: null }, 10)).toBe(9);
    expect(explainedPosition({ token: 12, target: 40 }, 10)).toBe(9); // out of range: ignored
  });

  it("keys its requests as protocol.request_key does, escaping free text", () => {
    // tests/test_reruns.py checks Python gives these same keys.
    expect(keyOf(attributionRequest("self", "integrated_gradients", 10, "", ""))).toBe("attribution:self:integrated_gradients:10::");
    expect(keyOf(attributionRequest("self", "input_x_gradient", 16, " m", " c"))).toBe("attribution:self:input_x_gradient:16: m: c");
    expect(keyOf(attributionRequest("self", "lime", 3, "a:b%", ""))).toBe("attribution:self:lime:3:a%3Ab%25:");
    const r = attributionRequest("decoder", "saliency", 2, "x", "");
    expect(r.params).toEqual({ method: "saliency", position: 2, target: "x", contrast: "" });
  });

  it("scales colours symmetrically by the largest |value|", () => {
    expect(symmetricRange(Float32Array.from([0.5, -2, 1]))).toBe(2);
    expect(symmetricRange(Uint8Array.from([0, 255]), 1 / 255)).toBeCloseTo(1);
    expect(symmetricRange(Float32Array.from([0, 0]))).toBe(1);
    expect(symmetricRange(Float32Array.from([NaN, 3]))).toBe(3);
  });

  it("describes a value with its share of the total", () => {
    expect(describeValue(0.25, 1)).toBe("+0.250 (25% of the total)");
    expect(describeValue(-0.5, 2)).toBe("−0.500 (-25% of the total)");
    expect(describeValue(0.1234, 0)).toBe("+0.123");
    expect(describeValue(12345, 0)).toBe("+1.23e+4");
    expect(elapsed(1000, 4500)).toBe("3 s");
  });
});

describe("output × input matrix", () => {
  it("keys the request as protocol._attribution_matrix does and maps points to cells", async () => {
    const { matrixRequest, cellAt, MATRIX_LABEL_W } = await import("./matrix");
    expect(keyOf(matrixRequest("self", "saliency"))).toBe("attribution_matrix:self:saliency");
    expect(cellAt(MATRIX_LABEL_W + 25, 13, 10, 3, 4)).toEqual({ row: 1, col: 2 });
    expect(cellAt(MATRIX_LABEL_W - 1, 5, 10, 3, 4)).toBeNull(); // the label column
    expect(cellAt(MATRIX_LABEL_W + 45, 5, 10, 3, 4)).toBeNull(); // past the last column
    expect(cellAt(MATRIX_LABEL_W + 5, 35, 10, 3, 4)).toBeNull(); // below the last row
  });
});
