import { describe, expect, it } from "vitest";
import { keyOf } from "../../replies";
import { compareAttributionRequest, compareRequest, difference, editRequest, queryColumn, readPairs } from "./layout";

describe("compare view logic", () => {
  it("reads pairs defensively", () => {
    expect(readPairs([[0, 0], [null, 1], [2, null], "x", [1]])).toEqual([[0, 0], [null, 1], [2, null]]);
    expect(readPairs(null)).toEqual([]);
  });

  it("shows the locked token's column, else the last column both runs have", () => {
    const pairs = readPairs([[0, 0], [1, 1], [2, null], [null, 2]]);
    expect(queryColumn(pairs, 2)).toBe(2);
    expect(queryColumn(pairs, null)).toBe(1);
    expect(queryColumn(pairs, 9)).toBe(1);
    expect(queryColumn([], null)).toBe(0);
  });

  it("keys requests as protocol.request_key does", () => {
    expect(keyOf(editRequest("self", "a:b"))).toBe("edit:self:a%3Ab");
    expect(keyOf(compareRequest("self", 3, 2))).toBe("compare:self:3:2");
    expect(keyOf(compareAttributionRequest("self", 2, "saliency"))).toBe("compare_attribution:self:2:saliency");
  });

  it("highlights differences of at least 0.05", () => {
    expect(difference(0.1, 0.3)).toEqual({ delta: expect.closeTo(0.2, 9), notable: true });
    expect(difference(0.3, 0.28).notable).toBe(false);
  });
});
