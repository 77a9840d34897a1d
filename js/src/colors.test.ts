import { describe, expect, it } from "vitest";
import {
  contrastRatio,
  ensureContrast,
  HEAD_PALETTE,
  HEAD_PALETTE_DARK,
  HEAD_PALETTE_LIGHT,
  headColor,
  luminance,
  parseColor,
  sequentialColor,
  toHex,
  type RGB,
} from "./colors";

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

// Background defaults: widget.css (--al-default-bg light/dark), JupyterLab Light/Dark (--jp-layout-color1),
// VS Code Dark+, and a darker and a greyer variant of each.
const LIGHT_BGS = ["#ffffff", "#f5f5f5", "#fafafa"];
const DARK_BGS = ["#1e1e1e", "#212121", "#111111", "#282c34"];

/** Colour-vision-deficiency simulation (Machado et al. 2009, severity 1) in linear RGB, and CIELAB ΔE. */
const CVD: Record<string, number[][]> = {
  deuteranopia: [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.01182, 0.04294, 0.968881]],
  protanopia: [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
  tritanopia: [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.3039]],
};
const lin = (v: number) => (v / 255 <= 0.04045 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4);
const gamma = (v: number) => {
  const x = Math.max(0, Math.min(1, v));
  return 255 * (x <= 0.0031308 ? 12.92 * x : 1.055 * x ** (1 / 2.4) - 0.055);
};
function simulate(c: RGB, m: number[][]): RGB {
  const l = c.map(lin);
  return m.map((r) => gamma(r[0]! * l[0]! + r[1]! * l[1]! + r[2]! * l[2]!)) as unknown as RGB;
}
function lab(c: RGB): [number, number, number] {
  const [r, g, b] = c.map(lin) as [number, number, number];
  const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  const x = f((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047);
  const y = f(0.2126 * r + 0.7152 * g + 0.0722 * b);
  const z = f((0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883);
  return [116 * y - 16, 500 * (x - y), 200 * (y - z)];
}
function deltaE(a: RGB, b: RGB): number {
  const p = lab(a);
  const q = lab(b);
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
}

describe("headColor", () => {
  it("gives 32 pairwise distinct, clearly different colours in each theme", () => {
    for (const bg of ["#ffffff", "#212121"]) {
      const cols = Array.from({ length: 32 }, (_, h) => parseColor(headColor(h, parseColor(bg)!))!);
      expect(new Set(cols.map((c) => toHex(c))).size).toBe(32);
      for (let a = 0; a < cols.length; a++) {
        for (let b = a + 1; b < cols.length; b++) expect(dist(cols[a]!, cols[b]!), `${bg}: ${a} vs ${b}`).toBeGreaterThan(20);
      }
    }
  });

  it("starts with the theme's palette and is stable", () => {
    expect(headColor(0)).toBe(HEAD_PALETTE[0]);
    expect(headColor(0, [255, 255, 255])).toBe(HEAD_PALETTE_LIGHT[0]);
    expect(headColor(1, [33, 33, 33])).toBe(HEAD_PALETTE_DARK[1]);
    expect(headColor(3)).toBe(headColor(3));
    expect(headColor(HEAD_PALETTE.length)).not.toBe(headColor(0));
  });

  it("every head colour has at least 3:1 WCAG contrast against the light and dark backgrounds", () => {
    for (const bgText of [...LIGHT_BGS, ...DARK_BGS]) {
      const bg = parseColor(bgText)!;
      for (let h = 0; h < 64; h++) {
        const ratio = contrastRatio(parseColor(headColor(h, bg))!, bg);
        expect(ratio, `head ${h} (${headColor(h, bg)}) on ${bgText}`).toBeGreaterThanOrEqual(3);
      }
    }
    // the base palettes themselves, without any correction
    for (const [palette, bgs] of [
      [HEAD_PALETTE_LIGHT, LIGHT_BGS],
      [HEAD_PALETTE_DARK, DARK_BGS],
    ] as const) {
      for (const c of palette) for (const bg of bgs) expect(contrastRatio(parseColor(c)!, parseColor(bg)!), `${c} on ${bg}`).toBeGreaterThanOrEqual(3);
    }
  });

  it("the base palettes stay distinguishable under simulated colour-vision deficiencies", () => {
    for (const palette of [HEAD_PALETTE_LIGHT, HEAD_PALETTE_DARK]) {
      const cols = palette.map((c) => parseColor(c)!);
      for (const [name, m] of [["normal", null], ...Object.entries(CVD)] as const) {
        const seen = cols.map((c) => (m ? simulate(c, m) : c));
        for (let a = 0; a < seen.length; a++) {
          for (let b = a + 1; b < seen.length; b++) {
            expect(deltaE(seen[a]!, seen[b]!), `${name}: ${palette[a]} vs ${palette[b]}`).toBeGreaterThanOrEqual(10);
          }
        }
      }
    }
  });

  it("ensureContrast pulls a colour away from a mid-grey or matching background", () => {
    expect(contrastRatio(ensureContrast([120, 120, 120], [128, 128, 128]), [128, 128, 128])).toBeGreaterThanOrEqual(3);
    expect(contrastRatio(ensureContrast([250, 250, 250], [255, 255, 255]), [255, 255, 255])).toBeGreaterThanOrEqual(3);
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
