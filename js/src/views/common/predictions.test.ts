// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { predictionRows, readPredictionRows, signed } from "./predictions";

describe("prediction tables", () => {
  it("reads rows defensively and formats signed changes", () => {
    expect(readPredictionRows([{ token: "a", before: 0.5, after: 0.25, id: 1 }, { token: 3 }, null, "x"])).toEqual([{ token: "a", before: 0.5, after: 0.25, id: 1 }]);
    expect(readPredictionRows(undefined)).toEqual([]);
    expect(signed(0.1234)).toBe("+0.123");
    expect(signed(-0.05)).toBe("−0.050");
  });

  it("builds a header and one coloured row per token, tokens as text", () => {
    const rows = predictionRows(document, "top", ["A", "B"], [{ token: "<b>x</b>", before: 0.5, after: 0.2 }]);
    expect(rows.map((r) => r.textContent)).toEqual(["topABchange", "“<b>x</b>”0.5000.200−0.300"]);
    expect(rows[1]!.querySelector("b")).toBeNull();
    expect(rows[1]!.lastElementChild!.className).toBe("al-down");
  });
});
