import { describe, expect, it } from "vitest";
import { activationRange, topNeurons } from "./layout";

describe("mlp view", () => {
  it("lists a token's top neurons best first", () => {
    const reply = {
      what: "mlp_top",
      key: "mlp_top:self:0",
      arrays: {
        indices: { dtype: "uint32" as const, shape: [2, 2], values: Uint32Array.from([7, 3, 70000, 1]), scale: 1 },
        values: { dtype: "float16" as const, shape: [2, 2], values: Float32Array.from([2, 1, 5, -1]), scale: 1 },
      },
      data: { n_neurons: 80000 },
    };
    expect(topNeurons(reply, 1)).toEqual([
      { neuron: 70000, value: 5 },
      { neuron: 1, value: -1 },
    ]);
    expect(topNeurons(reply, 2)).toEqual([]);
    expect(activationRange([0.5, -3, 2])).toBe(3);
    expect(activationRange([0, 0])).toBe(1);
  });
});
