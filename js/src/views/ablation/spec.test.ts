import { describe, expect, it } from "vitest";
import { keyOf } from "../../replies";
import { ablationRequest, ablationSpec, largestChange, parsePart, togglePart } from "./spec";

describe("ablation marking", () => {
  it("toggles parts in a sorted list", () => {
    let list = togglePart([], { kind: "head", layer: 1, index: 3 });
    list = togglePart(list, { kind: "neuron", layer: 0, index: 117 });
    list = togglePart(list, { kind: "head", layer: 0, index: 2 });
    expect(list).toEqual(["head:0:2", "head:1:3", "neuron:0:117"]);
    expect(togglePart(list, { kind: "head", layer: 1, index: 3 })).toEqual(["head:0:2", "neuron:0:117"]);
    expect(parsePart("head:12:7")).toEqual({ kind: "head", layer: 12, index: 7 });
    expect(parsePart("head:1")).toBeNull();
    expect(parsePart("<img>:1:2")).toBeNull();
  });

  it("names an ablation as views/ablation.py ablation_spec does", () => {
    // tests/test_reruns.py asserts Python's spec for the same parts is this string.
    expect(ablationSpec(["neuron:0:5", "head:1:1", "head:1:0"], "zero")).toBe("zero;h1.0,h1.1;n0.5");
    expect(ablationSpec(["head:10:2", "head:9:3"], "mean")).toBe("mean;h9.3,h10.2;");
    const r = ablationRequest("self", 1, 16, ["neuron:0:5", "head:1:1", "head:1:0"], "zero");
    expect(keyOf(r)).toBe("ablation:self:1:16:zero;h1.0,h1.1;n0.5");
    expect(r.params).toEqual({ position: 16, mode: "zero", heads: [[1, 1], [1, 0]], neurons: [[0, 5]] });
  });

  it("finds the largest attention change of one head", () => {
    const before = Float32Array.from([1, 0, 0.5, 0.5, /* head 1 */ 1, 0, 0.2, 0.8]);
    const after = Float32Array.from([1, 0, 0.5, 0.5, /* head 1 */ 1, 0, 0.9, 0.3]);
    expect(largestChange(before, 1, after, 1, 4, 2, 2)).toEqual({ query: 1, key: 0, delta: expect.closeTo(0.7, 6), maxAbs: expect.closeTo(0.7, 6) });
    expect(largestChange(before, 1, after, 1, 0, 2, 2).maxAbs).toBe(0);
  });
});
