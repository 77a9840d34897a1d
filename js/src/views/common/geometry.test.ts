import { describe, expect, it } from "vitest";
import { fitCell, labelStep, scrollToShow, visibleWindow } from "./geometry";

describe("visibleWindow", () => {
  it("covers the viewport plus overscan, clamped to the items", () => {
    expect(visibleWindow(0, 440, 22, 8192, 4)).toEqual({ start: 0, end: 24 });
    expect(visibleWindow(22 * 1000, 440, 22, 8192, 4)).toEqual({ start: 996, end: 1024 });
    expect(visibleWindow(22 * 8190, 440, 22, 8192, 4)).toEqual({ start: 8186, end: 8192 });
    expect(visibleWindow(0, 0, 22, 10, 0, 100)).toEqual({ start: 0, end: 5 }); // no layout: fallback viewport
    expect(visibleWindow(50, 100, 22, 0)).toEqual({ start: 0, end: 0 });
  });

  it("stays small at 8,192 tokens wherever it is scrolled", () => {
    for (let off = 0; off < 8192 * 22; off += 7919) {
      const w = visibleWindow(off, 440, 22, 8192);
      expect(w.end - w.start).toBeLessThanOrEqual(30);
      expect(w.start * 22).toBeLessThanOrEqual(off);
    }
  });
});

describe("scrollToShow", () => {
  it("scrolls only as far as needed", () => {
    expect(scrollToShow(0, 440, 22, 5)).toBe(0);
    expect(scrollToShow(0, 440, 22, 30)).toBe(31 * 22 - 440);
    expect(scrollToShow(1000, 440, 22, 10)).toBe(220);
    expect(scrollToShow(1000, 0, 22, 10)).toBe(1000);
  });
});

describe("fitCell and labelStep", () => {
  it("fits cells into the width within bounds", () => {
    expect(fitCell(640, 64, 11, 57)).toBe(11);
    expect(fitCell(900, 12, 11, 57)).toBe(57);
    expect(fitCell(300, 64, 11, 57)).toBe(11); // scrolls
  });
  it("thins labels to keep them apart", () => {
    expect(labelStep(30, 18)).toBe(1);
    expect(labelStep(11, 18)).toBe(2);
    expect(labelStep(4, 18)).toBe(5);
    expect(labelStep(1, 18)).toBe(20);
  });
});
