/**
 * Pure helpers of the head view: which lines to draw, row geometry, canvas sizing, heatmap matrix.
 * Attention is [heads, n, n] row-major: row = query ("from", left column), column = key ("to", right).
 */
import type { LayerAttention } from "../../types";

export type Side = "left" | "right";

export interface Focus {
  index: number;
  side: Side;
}

export interface Line {
  head: number;
  from: number;
  to: number;
  weight: number;
}

export interface LineSelection {
  lines: Line[];
  /** Effective threshold (raised above the requested one when the line budget was exceeded). */
  threshold: number;
  /** True when lines above the requested threshold were dropped to stay within the budget. */
  limited: boolean;
}

export const DEFAULT_THRESHOLD = 0.01;
export const DEFAULT_MAX_LINES = 10000;

function validHeads(att: LayerAttention, heads: readonly number[]): number[] {
  return heads.filter((h) => Number.isInteger(h) && h >= 0 && h < att.heads);
}

/** Visit the (head, from, to, weight) cells relevant to `focus` (all cells when focus is null). */
function forEachCell(
  att: LayerAttention,
  heads: readonly number[],
  focus: Focus | null,
  visit: (head: number, from: number, to: number, w: number) => void,
): void {
  const { n, data } = att;
  const nn = n * n;
  for (const h of heads) {
    const base = h * nn;
    if (focus && focus.index >= 0 && focus.index < n) {
      if (focus.side === "left") {
        const row = base + focus.index * n;
        for (let j = 0; j < n; j++) visit(h, focus.index, j, data[row + j]!);
      } else {
        for (let i = 0; i < n; i++) visit(h, i, focus.index, data[base + i * n + focus.index]!);
      }
    } else if (!focus) {
      for (let i = 0; i < n; i++) {
        const row = base + i * n;
        for (let j = 0; j < n; j++) visit(h, i, j, data[row + j]!);
      }
    }
  }
}

/**
 * Lines to draw: every selected head's weights >= threshold, only the focused token's row (left) or
 * column (right) when a token is focused. At most `maxLines`: beyond that the threshold rises so that
 * the strongest lines are kept.
 */
export function selectLines(
  att: LayerAttention,
  heads: readonly number[],
  focus: Focus | null,
  threshold = DEFAULT_THRESHOLD,
  maxLines = DEFAULT_MAX_LINES,
): LineSelection {
  const hs = validHeads(att, heads);
  let cutoff = threshold;
  let limited = false;
  // Histogram pass: count weights >= threshold in bins over [threshold, 1].
  const BINS = 512;
  const bins = new Uint32Array(BINS);
  let total = 0;
  const span = Math.max(1e-9, 1 - threshold);
  forEachCell(att, hs, focus, (_h, _i, _j, w) => {
    if (w >= threshold) {
      total++;
      bins[Math.min(BINS - 1, Math.floor(((w - threshold) / span) * BINS))]!++;
    }
  });
  if (total > maxLines) {
    limited = true;
    let kept = 0;
    let b = BINS - 1;
    for (; b >= 0; b--) {
      if (kept + bins[b]! > maxLines) break;
      kept += bins[b]!;
    }
    cutoff = threshold + ((b + 1) / BINS) * span;
  }
  const lines: Line[] = [];
  forEachCell(att, hs, focus, (head, from, to, weight) => {
    if (weight >= cutoff) lines.push({ head, from, to, weight });
  });
  return { lines, threshold: cutoff, limited };
}

/**
 * Mean weight over the selected heads between the focused token and each token of the other side:
 * out[k] = mean_h A[h, focus, k] (left focus) or mean_h A[h, k, focus] (right focus).
 */
export function focusWeights(att: LayerAttention, heads: readonly number[], focus: Focus): Float32Array {
  const hs = validHeads(att, heads);
  const out = new Float32Array(att.n);
  if (hs.length === 0 || focus.index < 0 || focus.index >= att.n) return out;
  forEachCell(att, hs, focus, (_h, i, j, w) => {
    out[focus.side === "left" ? j : i]! += w / hs.length;
  });
  return out;
}

/** Mean over the selected heads: [n * n], row = query, column = key. */
export function meanMatrix(att: LayerAttention, heads: readonly number[]): Float32Array {
  const hs = validHeads(att, heads);
  const { n, data } = att;
  const nn = n * n;
  const out = new Float32Array(nn);
  if (hs.length === 0) return out;
  for (const h of hs) {
    const base = h * nn;
    for (let k = 0; k < nn; k++) out[k]! += data[base + k]!;
  }
  for (let k = 0; k < nn; k++) out[k]! /= hs.length;
  return out;
}

/** Vertical centre of row i, in CSS pixels from the top of the columns. */
export function rowCenter(i: number, rowHeight: number): number {
  return i * rowHeight + rowHeight / 2;
}

/** Row index at a y offset (CSS px), or null outside [0, n). */
export function rowAt(y: number, rowHeight: number, n: number): number | null {
  const i = Math.floor(y / rowHeight);
  return i >= 0 && i < n ? i : null;
}

/** Backing-store scale for a canvas of cssW × cssH: device pixel ratio, capped so that no side exceeds
 * maxSide pixels and the area stays below maxArea (Safari's limit is about 16.7 M pixels). */
export function canvasScale(
  cssW: number,
  cssH: number,
  dpr: number,
  maxSide = 16384,
  maxArea = 16_000_000,
): number {
  const w = Math.max(1, cssW);
  const h = Math.max(1, cssH);
  return Math.max(0.05, Math.min(dpr || 1, maxSide / w, maxSide / h, Math.sqrt(maxArea / (w * h))));
}

/** Toggle head h in a sorted selection. */
export function toggleHead(heads: readonly number[], h: number): number[] {
  const set = new Set(heads);
  if (set.has(h)) set.delete(h);
  else set.add(h);
  return [...set].sort((a, b) => a - b);
}

/** Solo head h; soloing the only shown head shows all heads again. */
export function soloHead(heads: readonly number[], h: number, nHeads: number): number[] {
  if (heads.length === 1 && heads[0] === h) return Array.from({ length: nHeads }, (_, i) => i);
  return [h];
}
