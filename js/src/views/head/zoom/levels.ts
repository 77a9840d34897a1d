/**
 * Level-of-detail arithmetic of the zoomable heatmap (wire spec: docs "attention_tile"): a level is a
 * `block` (tokens per cell side, a power of two ≥ 1); a tile holds up to TILE × TILE cells.
 */

/** Cells per tile side. */
export const TILE = 512;

/** A token rectangle: query rows [r0, r1) × key columns [c0, c1). */
export interface Rect {
  r0: number;
  r1: number;
  c0: number;
  c1: number;
}

/** One tile of one level: its token rectangle and its cell grid. */
export interface TileRect extends Rect {
  block: number;
  row: number;
  col: number;
  cellsR: number;
  cellsC: number;
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

/** The overview's block: the smallest power of two whose grid fits in one tile on both axes. */
export function overviewBlock(nq: number, nk: number): number {
  let b = 1;
  while (Math.ceil(nq / b) > TILE || Math.ceil(nk / b) > TILE) b *= 2;
  return b;
}

/**
 * The level to draw: the largest power of two ≤ tokens per device pixel (`tpp` tokens per CSS px at
 * `dpr`), never finer than 1 and never coarser than the overview (which is always fetched anyway).
 */
export function blockFor(tpp: number, dpr: number, overview: number): number {
  const perDevicePx = tpp / (dpr > 0 ? dpr : 1);
  let b = 1;
  while (b * 2 <= perDevicePx * (1 + 1e-9) && b * 2 <= overview) b *= 2;
  return b;
}

/** Tokens per tile side at `block`. */
export function tileSpan(block: number): number {
  return TILE * block;
}

/** Token rectangle and cell grid of tile (row, col) at `block` (the last cells may be partial). */
export function tileRect(block: number, row: number, col: number, nq: number, nk: number): TileRect {
  const span = tileSpan(block);
  const r0 = row * span;
  const c0 = col * span;
  const r1 = Math.min(nq, r0 + span);
  const c1 = Math.min(nk, c0 + span);
  return { block, row, col, r0, r1, c0, c1, cellsR: Math.max(0, Math.ceil((r1 - r0) / block)), cellsC: Math.max(0, Math.ceil((c1 - c0) / block)) };
}

/** The tiles of level `block` that cover `rect` (row-major, top-left first). Empty for an empty rect. */
export function tilesFor(block: number, rect: Rect, nq: number, nk: number): TileRect[] {
  const span = tileSpan(block);
  const r0 = Math.max(0, rect.r0);
  const c0 = Math.max(0, rect.c0);
  const r1 = Math.min(nq, rect.r1);
  const c1 = Math.min(nk, rect.c1);
  const out: TileRect[] = [];
  if (r1 <= r0 || c1 <= c0) return out;
  for (let row = Math.floor(r0 / span); row <= Math.floor((r1 - 1) / span); row++) {
    for (let col = Math.floor(c0 / span); col <= Math.floor((c1 - 1) / span); col++) out.push(tileRect(block, row, col, nq, nk));
  }
  return out;
}

/** Levels from the overview down to `block` (coarsest first): the order in which held tiles are drawn. */
export function levelsDownTo(block: number, overview: number): number[] {
  const out: number[] = [];
  for (let b = Math.max(block, overview); b >= block; b /= 2) out.push(b);
  return out;
}

/** The block of `block` tokens containing token `i` (clipped to n): [start, end). */
export function blockAround(i: number, block: number, n: number): [number, number] {
  const start = Math.floor(i / block) * block;
  return [start, Math.min(n, start + block)];
}
