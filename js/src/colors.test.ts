import { describe, expect, it } from "vitest";
import { HEAD_PALETTE, headColor, luminance, parseColor, sequentialColor, toHex, type RGB } from "./colors";

function dist(a: RGB, b: RGB): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

describe("parseColor", () => {
  it("parses hex and rgb()", () => {
    expect(parseColor("#fff")).toEqual([255, 255, 255]);
    expect(parseColor("#1e1e1e")).toEqual([30, 30, 30]);
    expect(parseColor("rgba(10, 20, 30, 0.5)")).toEqual([10, 20, 30]);
    expect(parseColor("rgb(1 2 3)")).toEqual([1, 2, 3]);
    expect(parseColor("white")).toBeNull();
  });
});

describe("headColor", () => {
  it("gives 32 pairwise distinct, clearly different colours", () => {
    const cols = Array.from({ length: 32 }, (_, h) => parseColor(headColor(h))!);
    expect(new Set(cols.map((c) => toHex(c))).size).toBe(32);
    for (let a = 0; a < cols.length; a++) {
      for (let b = a + 1; b < cols.length; b++) expect(dist(cols[a]!, cols[b]!)).toBeGreaterThan(20);
    }
  });

  it("starts with the base palette and is stable", () => {
    expect(headColor(0)).toBe(HEAD_PALETTE[0]);
    expect(headColor(3)).toBe(headColor(3));
    expect(headColor(HEAD_PALETTE.length)).not.toBe(headColor(0));
  });
});

describe("sequentialColor", () => {
  const light: RGB = [255, 255, 255];
  const dark: RGB = [30, 30, 30];

  it("starts at the theme background and ends at a strong colour", () => {
    expect(sequentialColor(0, light)).toEqual(light);
    expect(sequentialColor(0, dark)).toEqual(dark);
    expect(luminance(sequentialColor(1, light))).toBeLessThan(0.1);
    expect(luminance(sequentialColor(1, dark))).toBeGreaterThan(0.6);
    expect(sequentialColor(-1, light)).toEqual(light);
    expect(sequentialColor(2, light)).toEqual(sequentialColor(1, light));
    expect(sequentialColor(Number.NaN, dark)).toEqual(dark);
  });

  it("has monotonic luminance (falling on light, rising on dark backgrounds)", () => {
    let prevL = Infinity;
    let prevD = -Infinity;
    for (let i = 0; i <= 200; i++) {
      const t = i / 200;
      const l = luminance(sequentialColor(t, light));
      const d = luminance(sequentialColor(t, dark));
      expect(l).toBeLessThanOrEqual(prevL + 1e-12);
      expect(d).toBeGreaterThanOrEqual(prevD - 1e-12);
      prevL = l;
      prevD = d;
    }
  });
});
