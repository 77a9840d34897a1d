/** Colour helpers: pure functions, no DOM. */

export type RGB = readonly [number, number, number];

/**
 * Base categorical palette for heads: Okabe–Ito (colour-blind safe) without black, its yellow darkened
 * so thin lines stay visible on white, extended with three Tableau colours that stay distinct under
 * deuteranopia/protanopia.
 */
export const HEAD_PALETTE: readonly string[] = Object.freeze([
  "#0072b2", // blue
  "#e69f00", // orange
  "#009e73", // bluish green
  "#d55e00", // vermillion
  "#56b4e9", // sky blue
  "#cc79a7", // reddish purple
  "#b8a200", // dark yellow
  "#7f7f7f", // grey
  "#9c755f", // brown
  "#6b4c9a", // violet
]);

export function parseColor(text: string): RGB | null {
  const s = text.trim().toLowerCase();
  let m = /^#([0-9a-f]{3,8})$/.exec(s);
  if (m && m[1]) {
    const h = m[1];
    if (h.length === 3 || h.length === 4) {
      return [0, 1, 2].map((i) => parseInt(h[i]! + h[i]!, 16)) as unknown as RGB;
    }
    if (h.length === 6 || h.length === 8) {
      return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as unknown as RGB;
    }
    return null;
  }
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/.exec(s);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  return null;
}

export function toHex([r, g, b]: RGB): string {
  const c = (v: number) => Math.max(0, Math.min(255, Math.round(v))).toString(16).padStart(2, "0");
  return `#${c(r)}${c(g)}${c(b)}`;
}

function mix(a: RGB, b: RGB, t: number): RGB {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** WCAG relative luminance in [0, 1]. */
export function luminance([r, g, b]: RGB): number {
  const lin = (v: number) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/**
 * Colour of head `h`. Heads beyond the base palette cycle through it again with a visibly different
 * shade: cycle 1 darker, cycle 2 lighter, cycle 3 darker still, and so on.
 */
export function headColor(h: number): string {
  const n = HEAD_PALETTE.length;
  const base = parseColor(HEAD_PALETTE[((h % n) + n) % n]!)!;
  const cycle = Math.floor(Math.max(0, h) / n);
  if (cycle === 0) return toHex(base);
  const darker = cycle % 2 === 1;
  const amount = Math.min(0.6, 0.3 + 0.15 * Math.floor((cycle - 1) / 2));
  return toHex(mix(base, darker ? [0, 0, 0] : [255, 255, 255], amount));
}

/** Stops of the sequential scale on a light background (towards dark blue) and a dark one (viridis-like). */
const LIGHT_STOPS: readonly RGB[] = [
  [198, 219, 239],
  [107, 174, 214],
  [33, 113, 181],
  [8, 48, 107],
];
const DARK_STOPS: readonly RGB[] = [
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/**
 * Sequential scale for heatmaps: t = 0 is the theme background itself, t = 1 the strongest colour.
 * On a light background luminance falls monotonically with t, on a dark one it rises.
 */
export function sequentialColor(t: number, background: RGB = [255, 255, 255]): RGB {
  const x = Number.isFinite(t) ? Math.max(0, Math.min(1, t)) : 0;
  const dark = luminance(background) < 0.35;
  const stops: RGB[] = [background, ...(dark ? DARK_STOPS : LIGHT_STOPS)];
  const pos = x * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(pos));
  return mix(stops[i]!, stops[i + 1]!, pos - i);
}
