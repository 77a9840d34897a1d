/**
 * Heatmap mode of the head view: the angled key labels above it, the colour scale's maximum (cached per
 * layer and head set) and the pixels of the rows on screen (mean over the shown heads).
 */
import { colorLut, sequentialColor, type RGB } from "../../colors";
import { h } from "../../dom";
import { formatToken, quoteToken } from "../../tokens";
import type { LayerAttention } from "../../types";
import { meanRows, poolRow } from "./layout";

/** Key (column) labels above the heatmap: at most this many tokens, and only when a column is this wide. */
export const MAX_KEY_LABELS = 128;
export const MIN_KEY_LABEL_WIDTH = 9;
/** Height of the angled key labels above the heatmap (CSS px) and how many characters they show. */
export const KEYS_HEIGHT = 64;
const KEY_LABEL_CHARS = 8;
export const HINT_HEATMAP =
  "Rows attend to columns (mean over the shown heads). Hover a cell to read it; click a row or its label to lock that token.";
/** Global colour max of the heatmap only below this many cells (else the max of the rows on screen). */
const GLOBAL_MAX_CELLS = 4_000_000;

/**
 * Key (column) labels: angled, truncated, full text in title; text via textContent only. Not focusable
 * (the row labels are the keyboard targets); beyond MAX_KEY_LABELS only the hover readout names keys.
 */
export function keyLabels(doc: Document, box: HTMLElement, tokens: readonly string[], special: readonly boolean[]): HTMLElement[] {
  const out: HTMLElement[] = [];
  if (tokens.length > MAX_KEY_LABELS) return out;
  tokens.forEach((raw, j) => {
    const disp = formatToken(raw, KEY_LABEL_CHARS);
    const k = h(doc, "span", { class: "al-key", "data-key-index": String(j), title: `${disp.title} (key ${j})` });
    if (special[j]) k.classList.add("al-special");
    k.textContent = disp.segments.map((seg) => seg.text).join("");
    box.append(k);
    out.push(k);
  });
  return out;
}

/** The colour scale's top: the layer's max over all rows (cached) when small enough, else the rows'. */
export function heatmapScale(): (att: LayerAttention, heads: readonly number[], rows: Float32Array) => { max: number; global: boolean } {
  let cache: { att: LayerAttention; heads: string; max: number } | null = null;
  return (att, heads, rows) => {
    const key = heads.join(",");
    if (att.nq * att.nk * Math.max(1, heads.length) <= GLOBAL_MAX_CELLS) {
      if (!cache || cache.att !== att || cache.heads !== key) {
        const m = meanRows(att, heads);
        let max = 0;
        for (let k = 0; k < m.length; k++) if (m[k]! > max) max = m[k]!;
        cache = { att, heads: key, max };
      }
      return { max: cache.max, global: true };
    }
    let max = 0;
    for (let k = 0; k < rows.length; k++) if (rows[k]! > max) max = rows[k]!;
    return { max, global: false };
  };
}

/** Sequential colour table for a background, rebuilt only when the background changes. */
export function heatmapLut(): (bg: string, bgRgb: RGB) => Uint8ClampedArray {
  let cache: { key: string; lut: Uint8ClampedArray } | null = null;
  return (bg, bgRgb) => {
    if (!cache || cache.key !== bg) cache = { key: bg, lut: colorLut((t) => sequentialColor(t, bgRgb)) };
    return cache.lut;
  };
}

/**
 * Paint rows [r0, r0 + rows/nk) of the mean attention `rows` ([r, nk]) as one pixel per key (or per
 * pixel column, max-pooled, when keys outnumber pixels) and one per row, stretched to `cssW` × rowHeight
 * per row; returns the pixel columns used.
 */
export function paintHeatRows(
  ctx: CanvasRenderingContext2D,
  doc: Document,
  rows: Float32Array,
  opts: { nk: number; r0: number; cssW: number; top: number; rowHeight: number; max: number; lut: Uint8ClampedArray },
): number {
  const { nk: n, r0, cssW, top, rowHeight, max, lut } = opts;
  const count = Math.floor(rows.length / Math.max(1, n));
  const w = Math.max(1, Math.min(n, Math.round(cssW)));
  const nr = Math.max(1, count);
  const img = ctx.createImageData(w, nr);
  const pooled = new Float32Array(w);
  for (let i = 0; i < count; i++) {
    const row = rows.subarray(i * n, (i + 1) * n);
    const vals = w === n ? row : poolRow(row, w, pooled);
    for (let p = 0; p < w; p++) {
      const t = max > 0 ? Math.min(255, Math.round((vals[p]! / max) * 255)) : 0;
      const o = (i * w + p) * 4;
      img.data[o] = lut[t * 3]!;
      img.data[o + 1] = lut[t * 3 + 1]!;
      img.data[o + 2] = lut[t * 3 + 2]!;
      img.data[o + 3] = 255;
    }
  }
  const off = doc.createElement("canvas");
  off.width = w;
  off.height = nr;
  const octx = off.getContext("2d");
  if (octx) {
    octx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, 0, r0 * rowHeight - top, cssW, nr * rowHeight);
  }
  return w;
}

/** The readout for a hovered cell: its query, key and the mean weight over `nHeads` heads. */
export function cellText(q: readonly string[], k: readonly string[], cell: { row: number; col: number }, value: number, nHeads: number): string {
  return `from ${quoteToken(q[cell.row] ?? "")} (${cell.row}) to ${quoteToken(k[cell.col] ?? "")} (${cell.col}): ${value.toFixed(3)} (mean of ${nHeads} head${nHeads === 1 ? "" : "s"})`;
}

/** The readout without hover: the colour scale, and how many keys share a pixel column. */
export function scaleText(max: number, global: boolean, pixels: number, keys: number): string {
  const pooled = pixels < keys ? `; ${Math.ceil(keys / pixels)} keys per pixel column (their max)` : "";
  return `colour: 0 (background) to ${max.toFixed(2)} (strongest${global ? "" : " in the rows shown"})${pooled}; hover a cell for its value`;
}
