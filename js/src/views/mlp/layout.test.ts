import { describe, expect, it } from "vitest";
import { activationRange, CHIP_H, chipGrid, chipWindow, topNeurons } from "./layout";

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
  it("wraps token chips into rows and draws only the rows in view", () => {
    const g = chipGrid(840, 4096, 84);
    expect(g).toEqual({ perRow: 10, rows: 410 });
    expect(chipGrid(50, 3, 84)).toEqual({ perRow: 1, rows: 3 });
    // 240 px tall, scrolled to row 100: rows 98..(100 + 240/22 + 2), whole rows of 10 chips
    const w = chipWindow(100 * CHIP_H, 240, g, 4096);
    expect(w.start).toBe(980);
    expect(w.end).toBe(Math.ceil((100 * CHIP_H + 240) / CHIP_H + 2) * 10);
    expect(w.end - w.start).toBeLessThan(200);
    // the last row is partial: never past the count
    expect(chipWindow(410 * CHIP_H, 240, g, 4096).end).toBe(4096);
    expect(chipWindow(0, 240, chipGrid(840, 0), 0)).toEqual({ start: 0, end: 0 });
  });
});
