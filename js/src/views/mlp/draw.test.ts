import { describe, expect, it } from "vitest";
import { divergingColor, textOn } from "../../colors";
import { chipColors, mlpHint, neuronLegend, neuronRows } from "./draw";

describe("MLP view drawing", () => {
  it("rows: bars scaled to the largest |activation|, selection and ablation marks", () => {
    const rows = neuronRows([{ neuron: 7, value: 4 }, { neuron: 3, value: -2 }, { neuron: 9, value: 0 }], 3, ["neuron:5:9", "neuron:4:7"], 5);
    expect(rows.map((r) => [r.neuron, r.bar, r.on, r.marked, r.value])).toEqual([
      [7, 100, false, false, "4.00"],
      [3, 50, true, false, "-2.00"],
      [9, 2, false, true, "0.00"],
    ]);
    expect(rows[1]!.label).toBe("neuron 3, activation -2.00, selected");
    expect(rows[2]!.cutLabel).toBe("unmark neuron 9 of layer 5 for ablation");
    expect(rows[0]!.cutTitle).toBe("mark neuron 7 for ablation");
  });

  it("chips: diverging colour over ±range, readable text", () => {
    const bg = [255, 255, 255] as const;
    const rgb = divergingColor(0.5, bg);
    expect(chipColors(1, 2, bg)).toEqual({ background: `rgb(${rgb.map((c) => c | 0).join(",")})`, color: textOn(rgb) });
    expect(chipColors(-2, 2, bg).background).not.toBe(chipColors(2, 2, bg).background);
  });

  it("hint and legend", () => {
    expect(mlpHint(2, "cat", 4, { hover: 4, token: null })).toBe("Neurons of layer 2 that fire most on “cat” (token 4, hovered). Click one to colour every token by it.");
    expect(mlpHint(2, "cat", 4, { hover: null, token: 4 })).toContain("(token 4, locked)");
    expect(mlpHint(2, "cat", 9, { hover: null, token: null })).toContain("(token 9, the last)");
    expect(neuronLegend(3, 1, 2.5)).toBe("Neuron 3 of layer 1: orange = positive, blue = negative (max |activation| 2.50).");
  });
});
