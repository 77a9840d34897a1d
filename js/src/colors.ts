/** Colour helpers: pure functions, no DOM. */

export type RGB = readonly [number, number, number];

/**
 * Categorical head palettes, one per theme. Each is colour-blind safe in the sense tested in
 * colors.test.ts: every pair stays apart (CIELAB ΔE ≥ 10) for normal vision and simulated
 * deuteranopia, protanopia and tritanopia (Machado et al. 2009), and every colour has at least 3:1
 * WCAG contrast against its theme's background (white / #f5f5f5 for light; #1e1e1e, #212121, #111111
 * for dark). Light starts from Okabe–Ito blue, vermillion and bluish green, darkened where needed; dark
 * from Okabe–Ito sky blue, orange and a lighter bluish green. The rest were chosen to maximise the
 * smallest distance under all four simulations.
 */
export const HEAD_PALETTE_LIGHT: readonly string[] = Object.freeze([
  "#0072b2", // blue
  "#d55e00", // vermillion
  "#007a5a", // bluish green
  "#8a2be2", // violet
  "#c06c9c", // reddish purple
  "#5c4a00", // dark olive
  "#7b7bf0", // periwinkle
  "#d1005a", // crimson
  "#5430b4", // indigo
  "#333333", // charcoal
]);
export const HEAD_PALETTE_DARK: readonly string[] = Object.freeze([
  "#56b4e9", // sky blue
  "#e69f00", // orange
  "#2bc08f", // bluish green
  "#a35cf5", // violet
  "#f0e68c", // khaki
  "#ff5577", // rose
  "#d070b0", // reddish purple
  "#4ad8e0", // cyan
  "#b4f0c0", // mint
  "#7c8ce0", // periwinkle
]);
/** The light palette (kept for callers that do not know the theme). */
export const HEAD_PALETTE = HEAD_PALETTE_LIGHT;

/** Minimum WCAG contrast of a head colour against the widget background. */
export const HEAD_MIN_CONTRAST = 3;

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

/** WCAG contrast ratio between two colours (1 to 21). */
export function contrastRatio(a: RGB, b: RGB): number {
  const x = luminance(a);
  const y = luminance(b);
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}

export function isDarkBackground(bg: RGB): boolean {
  return luminance(bg) < 0.35;
}

/** Move `c` away from `bg` (towards black or white, whichever contrasts more) until the ratio is met. */
export function ensureContrast(c: RGB, bg: RGB, ratio = HEAD_MIN_CONTRAST): RGB {
  if (contrastRatio(c, bg) >= ratio) return c;
  const pole: RGB = contrastRatio([0, 0, 0], bg) >= contrastRatio([255, 255, 255], bg) ? [0, 0, 0] : [255, 255, 255];
  for (let t = 0.05; t < 1; t += 0.05) {
    const m = mix(c, pole, t);
    if (contrastRatio(m, bg) >= ratio) return m;
  }
  return pole;
}

const WHITE: RGB = [255, 255, 255];

/**
 * Colour of head `h` on the background `bg` (the widget's, from readTheme): the light or dark palette
 * by the background's luminance. Heads beyond the palette cycle through it again in a visibly different
 * shade: cycle 1 nearer to the background (then pushed back to the contrast floor), cycle 2 further
 * from it, cycle 3 nearer still, and so on.
 * Whatever the background, the result has at least HEAD_MIN_CONTRAST against it.
 */
export function headColor(h: number, bg: RGB = WHITE): string {
  const dark = isDarkBackground(bg);
  const palette = dark ? HEAD_PALETTE_DARK : HEAD_PALETTE_LIGHT;
  const n = palette.length;
  const base = parseColor(palette[((h % n) + n) % n]!)!;
  const cycle = Math.floor(Math.max(0, h) / n);
  let c: RGB = base;
  if (cycle > 0) {
    const away = cycle % 2 === 0;
    const step = Math.floor((cycle - 1) / 2);
    const amount = away ? Math.min(0.7, 0.35 + 0.25 * step) : Math.min(0.6, 0.3 + 0.2 * step);
    const far: RGB = dark ? WHITE : [0, 0, 0];
    const near: RGB = dark ? [0, 0, 0] : WHITE;
    c = mix(base, away ? far : near, amount);
  }
  return toHex(ensureContrast(c, bg, HEAD_MIN_CONTRAST + 0.05)); // margin for rounding to hex
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

/**
 * Diverging scale for signed values (activations, q·k products): t in [-1, 1], 0 is the background,
 * negative towards blue, positive towards orange (Okabe–Ito, colour-blind safe); stronger with |t|.
 */
export function divergingColor(t: number, background: RGB = [255, 255, 255]): RGB {
  const x = Number.isFinite(t) ? Math.max(-1, Math.min(1, t)) : 0;
  const dark = luminance(background) < 0.35;
  const neg: RGB = dark ? [86, 180, 233] : [0, 90, 181];
  const pos: RGB = dark ? [230, 159, 0] : [213, 94, 0];
  return mix(background, x < 0 ? neg : pos, Math.abs(x));
}

/** 256-entry lookup of `scale(i / 255)` as packed RGB bytes, for per-pixel loops. */
export function colorLut(scale: (t: number) => RGB): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = scale(i / 255);
    lut[i * 3] = r;
    lut[i * 3 + 1] = g;
    lut[i * 3 + 2] = b;
  }
  return lut;
}

/** Black or white text, whichever reads better on `bg`. */
export function textOn(bg: RGB): string {
  return contrastRatio(bg, [0, 0, 0]) >= contrastRatio(bg, [255, 255, 255]) ? "#111111" : "#ffffff";
}
