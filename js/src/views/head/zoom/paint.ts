/**
 * Painting decoded tiles into an RGBA surface of device pixels (pure; no DOM). Each device pixel
 * belongs to the tile under its centre; when a pixel covers several cells (a level coarser than the
 * pixels is not available) it shows their max (or mean), so a sharp pattern never falls between pixels.
 */
import type { Pool } from "./keys";
import type { Rect, TileRect } from "./levels";

/** A decoded `attention_tile`: its rectangle and [cellsR, cellsC] values (times `scale`). */
export interface TileData {
  rect: TileRect;
  values: ArrayLike<number>;
  scale: number;
}

/** Device-pixel surface of the map: (x, y) the token at its top-left, `tpdp` tokens per device px. */
export interface Surface {
  data: Uint8ClampedArray;
  width: number;
  height: number;
  x: number;
  y: number;
  tpdp: number;
}

/**
 * For each device pixel along one axis: the tile's cell range [lo, hi) it shows (lo = -1: not this
 * tile's pixel). `origin` is the token at pixel 0; the tile spans tokens [start, end) in cells of `block`.
 */
export function axisCells(pixels: number, origin: number, tpdp: number, start: number, end: number, block: number): Int32Array {
  const out = new Int32Array(pixels * 2).fill(-1);
  const cells = Math.ceil((end - start) / block);
  const first = Math.max(0, Math.floor((start - origin) / tpdp) - 1);
  const last = Math.min(pixels, Math.ceil((end - origin) / tpdp) + 1);
  for (let p = first; p < last; p++) {
    const t0 = origin + p * tpdp;
    const centre = t0 + tpdp / 2;
    if (centre < start || centre >= end) continue;
    let lo = Math.floor((centre - start) / block);
    let hi = lo + 1;
    if (tpdp > block) {
      lo = Math.max(0, Math.floor((t0 - start) / block));
      hi = Math.min(cells, Math.ceil((t0 + tpdp - start) / block));
    }
    out[p * 2] = lo;
    out[p * 2 + 1] = Math.max(lo + 1, hi);
  }
  return out;
}

function pooled(tile: TileData, a0: number, a1: number, b0: number, b1: number, pool: Pool): number {
  const { values, scale } = tile;
  const w = tile.rect.cellsC;
  if (a1 - a0 === 1 && b1 - b0 === 1) return values[a0 * w + b0]! * scale;
  let acc = pool === "max" ? -Infinity : 0;
  for (let a = a0; a < a1; a++) {
    for (let b = b0; b < b1; b++) {
      const v = values[a * w + b]!;
      acc = pool === "max" ? (v > acc ? v : acc) : acc + v;
    }
  }
  return (pool === "max" ? acc : acc / ((a1 - a0) * (b1 - b0))) * scale;
}

/** Colour index 0..255 of value `v` on a scale whose top is `max`. */
export function colorIndex(v: number, max: number): number {
  if (!(max > 0) || !(v > 0)) return 0;
  return Math.min(255, Math.round((v / max) * 255));
}

/** Paint `tile` onto `s` with the 256-entry RGB `lut` (colorLut), the colour scale topping at `max`. */
export function paintTile(s: Surface, tile: TileData, opts: { max: number; lut: Uint8ClampedArray; pool: Pool }): void {
  const r = tile.rect;
  const rows = axisCells(s.height, s.y, s.tpdp, r.r0, r.r1, r.block);
  const cols = axisCells(s.width, s.x, s.tpdp, r.c0, r.c1, r.block);
  const { max, lut, pool } = opts;
  const xs: number[] = [];
  for (let px = 0; px < s.width; px++) if (cols[px * 2]! >= 0) xs.push(px);
  for (let py = 0; py < s.height; py++) {
    const a0 = rows[py * 2]!;
    if (a0 < 0) continue;
    const a1 = rows[py * 2 + 1]!;
    for (const px of xs) {
      const v = pooled(tile, a0, a1, cols[px * 2]!, cols[px * 2 + 1]!, pool);
      const c = colorIndex(v, max) * 3;
      const o = (py * s.width + px) * 4;
      s.data[o] = lut[c]!;
      s.data[o + 1] = lut[c + 1]!;
      s.data[o + 2] = lut[c + 2]!;
      s.data[o + 3] = 255;
    }
  }
}

/** Largest value among the tile's cells that overlap `view` (0 when none). */
export function visibleMax(tile: TileData, view: Rect): number {
  const r = tile.rect;
  const a0 = Math.max(0, Math.floor((view.r0 - r.r0) / r.block));
  const a1 = Math.min(r.cellsR, Math.ceil((view.r1 - r.r0) / r.block));
  const b0 = Math.max(0, Math.floor((view.c0 - r.c0) / r.block));
  const b1 = Math.min(r.cellsC, Math.ceil((view.c1 - r.c0) / r.block));
  let m = 0;
  for (let a = a0; a < a1; a++) {
    for (let b = b0; b < b1; b++) {
      const v = tile.values[a * r.cellsC + b]!;
      if (v > m) m = v;
    }
  }
  return m * tile.scale;
}

/** Share of the non-zero cells on screen that stay below the colour scale's top (the rest saturate). */
export const TOP_QUANTILE = 0.999;
const BINS = 2048;

/**
 * Top of the colour scale for the cells of `tiles` on screen: their `q`-quantile among non-zero cells
 * (to a 1/2048 of the max), so a handful of extreme cells (token 0 attending to itself) do not wash out
 * every other pattern. Returns the top and the true max.
 */
export function visibleTop(tiles: readonly TileData[], view: Rect, q = TOP_QUANTILE): { top: number; max: number } {
  let max = 0;
  for (const t of tiles) max = Math.max(max, visibleMax(t, view));
  if (!(max > 0)) return { top: 0, max: 0 };
  const hist = new Float64Array(BINS);
  let count = 0;
  for (const t of tiles) {
    const r = t.rect;
    const a0 = Math.max(0, Math.floor((view.r0 - r.r0) / r.block));
    const a1 = Math.min(r.cellsR, Math.ceil((view.r1 - r.r0) / r.block));
    const b0 = Math.max(0, Math.floor((view.c0 - r.c0) / r.block));
    const b1 = Math.min(r.cellsC, Math.ceil((view.c1 - r.c0) / r.block));
    const k = (BINS - 1) / max;
    for (let a = a0; a < a1; a++) {
      for (let b = b0; b < b1; b++) {
        const v = t.values[a * r.cellsC + b]! * t.scale;
        if (v <= 0) continue;
        hist[Math.min(BINS - 1, Math.floor(v * k))]!++;
        count++;
      }
    }
  }
  const want = Math.ceil(count * q);
  let seen = 0;
  for (let i = 0; i < BINS; i++) {
    seen += hist[i]!;
    if (seen >= want) return { top: Math.min(max, ((i + 1) * max) / (BINS - 1)), max };
  }
  return { top: max, max };
}
