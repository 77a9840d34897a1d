import { describe, expect, it } from "vitest";
import { arrowDelta, arrowTarget } from "./keyboard";
import { columns, NARROW_WIDTH } from "./shell";
import { sameTrait } from "./sync";

describe("widget parts", () => {
  it("columns: one below the narrow width or for one view, else two at most", () => {
    expect(columns(NARROW_WIDTH - 1, 3)).toEqual({ narrow: true, cols: 1 });
    expect(columns(0, 3)).toEqual({ narrow: false, cols: 2 }); // not laid out yet
    expect(columns(1200, 1)).toEqual({ narrow: false, cols: 1 });
    expect(columns(1200, 2)).toEqual({ narrow: false, cols: 2 });
    expect(columns(1200, 5)).toEqual({ narrow: false, cols: 2 });
  });

  it("arrow keys move the token within range, from the ends when none is locked", () => {
    expect(["ArrowDown", "ArrowRight", "ArrowUp", "ArrowLeft", "a"].map(arrowDelta)).toEqual([1, 1, -1, -1, 0]);
    expect(arrowTarget(1, null, 5)).toBe(0);
    expect(arrowTarget(-1, null, 5)).toBe(4);
    expect(arrowTarget(1, 4, 5)).toBe(4);
    expect(arrowTarget(-1, 0, 5)).toBe(0);
    expect(arrowTarget(1, 2, 5)).toBe(3);
  });

  it("traits compare by value for lists and treat null and undefined alike", () => {
    expect(sameTrait([1, 2], [1, 2])).toBe(true);
    expect(sameTrait([1, 2], [2, 1])).toBe(false);
    expect(sameTrait(null, undefined)).toBe(true);
    expect(sameTrait(0, null)).toBe(false);
  });
});
