/**
 * Pure helpers of the head view: which lines to draw, row geometry, canvas sizing, heatmap matrix.
 * Attention is [heads, nq, nk] row-major: row = query ("from", left column), column = key ("to", right).
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

/** Rows (queries, left) and columns (keys, right) on screen: lines are drawn only where they show. */
export interface LineWindow {
  rows: { start: number; end: number };
  cols: { start: number; end: number };
  /** How far (in rows) beyond the window a line's other end may lie; lines beyond run almost
   * vertically across the canvas and are left out of the overview (hover a token for all of its). */
  reach?: number;
}

/**
 * Visit the (head, from, to, weight) cells relevant to `focus`: the focused query's row (left) or key's
 * column (right); without focus every cell, or with `win` only cells whose query row or key column is
 * on screen (each cell once).
 */
function forEachCell(
  att: LayerAttention,
  heads: readonly number[],
  focus: Focus | null,
  visit: (head: number, from: number, to: number, w: number) => void,
  win?: LineWindow,
): void {
  const { nq, nk, data, scale } = att;
  for (const h of heads) {
    const base = h * nq * nk;
    if (focus) {
      if (focus.side === "left" && focus.index >= 0 && focus.index < nq) {
        const row = base + focus.index * nk;
        for (let j = 0; j < nk; j++) visit(h, focus.index, j, data[row + j]! * scale);
      } else if (focus.side === "right" && focus.index >= 0 && focus.index < nk) {
        for (let i = 0; i < nq; i++) visit(h, i, focus.index, data[base + i * nk + focus.index]! * scale);
      }
      continue;
    }
    const r0 = win ? Math.max(0, win.rows.start) : 0;
    const r1 = win ? Math.min(nq, win.rows.end) : nq;
    const reach = win?.reach ?? Infinity;
    // keys a visible query may reach, queries a visible key may come from
    const k0 = win ? Math.max(0, win.rows.start - reach) : 0;
    const k1 = win ? Math.min(nk, win.rows.end + reach) : nk;
    for (let i = r0; i < r1; i++) {
      const row = base + i * nk;
      for (let j = k0; j < k1; j++) visit(h, i, j, data[row + j]! * scale);
    }
    if (win) {
      const c0 = Math.max(0, win.cols.start);
      const c1 = Math.min(nk, win.cols.end);
      const q0 = Math.max(0, win.cols.start - reach);
      const q1 = Math.min(nq, win.cols.end + reach);
      for (let i = q0; i < q1; i++) {
        if (i >= r0 && i < r1) continue;
        const row = base + i * nk;
        for (let j = c0; j < c1; j++) visit(h, i, j, data[row + j]! * scale);
      }
    }
  }
}

/**
 * Lines to draw: every selected head's weights >= threshold, only the focused token's row (left) or
 * column (right) when a token is focused, only rows / columns on screen when `win` is given. At most
 * `maxLines`: beyond that the threshold rises so that the strongest lines are kept.
 */
export function selectLines(
  att: LayerAttention,
  heads: readonly number[],
  focus: Focus | null,
  threshold = DEFAULT_THRESHOLD,
  maxLines = DEFAULT_MAX_LINES,
  win?: LineWindow,
): LineSelection {
  const hs = validHeads(att, heads);
  return pickLines((visit) => forEachCell(att, hs, focus, visit, win), threshold, maxLines);
}

/** Visits (head, from, to, weight) cells; called twice by pickLines (count, then collect). */
export type CellVisitor = (visit: (head: number, from: number, to: number, w: number) => void) => void;

/**
 * The lines among `cells` with weight >= threshold, at most `maxLines`: beyond that the threshold
 * rises (a 512-bin histogram over [threshold, 1]) so that the strongest lines are kept.
 */
export function pickLines(cells: CellVisitor, threshold = DEFAULT_THRESHOLD, maxLines = DEFAULT_MAX_LINES): LineSelection {
  let cutoff = threshold;
  let limited = false;
  const BINS = 512;
  const bins = new Uint32Array(BINS);
  let total = 0;
  const span = Math.max(1e-9, 1 - threshold);
  cells((_h, _i, _j, w) => {
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
  cells((head, from, to, weight) => {
    if (weight >= cutoff) lines.push({ head, from, to, weight });
  });
  return { lines, threshold: cutoff, limited };
}

/**
 * Mean weight over the selected heads between the focused token and each token of the other side:
 * out[k] = mean_h A[h, focus, k] (left focus, length nk) or mean_h A[h, k, focus] (right, length nq).
 */
export function focusWeights(att: LayerAttention, heads: readonly number[], focus: Focus): Float32Array {
  const hs = validHeads(att, heads);
  const out = new Float32Array(focus.side === "left" ? att.nk : att.nq);
  const n = focus.side === "left" ? att.nq : att.nk;
  if (hs.length === 0 || focus.index < 0 || focus.index >= n) return out;
  forEachCell(att, hs, focus, (_h, i, j, w) => {
    out[focus.side === "left" ? j : i]! += w / hs.length;
  });
  return out;
}

/** Mean over the selected heads of query rows [r0, r1): [(r1 - r0) * nk], row = query, column = key. */
export function meanRows(att: LayerAttention, heads: readonly number[], r0 = 0, r1 = att.nq): Float32Array {
  const hs = validHeads(att, heads);
  const { nq, nk, data, scale } = att;
  const a = Math.max(0, Math.min(nq, r0));
  const b = Math.max(a, Math.min(nq, r1));
  const out = new Float32Array((b - a) * nk);
  if (hs.length === 0) return out;
  const f = scale / hs.length;
  for (const h of hs) {
    const base = (h * nq + a) * nk;
    for (let k = 0; k < out.length; k++) out[k]! += data[base + k]! * f;
  }
  return out;
}

/** Mean over the selected heads: [nq * nk]. */
export function meanMatrix(att: LayerAttention, heads: readonly number[]): Float32Array {
  return meanRows(att, heads);
}

/**
 * Max-pool a row of `values` into `width` pixel columns (width < values.length), or return it as is.
 * Pixel p covers keys [floor(p·n/width), floor((p+1)·n/width)).
 */
export function poolRow(values: ArrayLike<number>, width: number, out?: Float32Array): Float32Array {
  const n = values.length;
  const w = Math.max(1, Math.min(n, Math.floor(width)));
  const res = out && out.length === w ? out : new Float32Array(w);
  for (let p = 0; p < w; p++) {
    const a = Math.floor((p * n) / w);
    const b = Math.max(a + 1, Math.floor(((p + 1) * n) / w));
    let m = 0;
    for (let k = a; k < b; k++) if (values[k]! > m) m = values[k]!;
    res[p] = m;
  }
  return res;
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
