/**
 * The viewport model of the zoomable heatmap (pure): which token rectangle is on a `width` × `height`
 * CSS px map. Cells are square: `tpp` tokens per CSS px on both axes; `x` is the key (column) token at
 * the left edge and `y` the query (row) token at the top edge, both fractional.
 *
 * Zoom levels are the fit-all scale and the powers of two below it, down to MAX_CELL_PX px per token:
 * at a power of two a level's cells land on whole device pixels (at dpr 1 and 2).
 */
import type { Rect } from "./levels";

/** Most CSS px per token (the deepest zoom). */
export const MAX_CELL_PX = 32;

export interface Viewport {
  nq: number;
  nk: number;
  width: number;
  height: number;
  /** Tokens per CSS px. */
  tpp: number;
  x: number;
  y: number;
}

/** Tokens per CSS px at which the whole matrix fits (never below the deepest zoom). */
export function fitTpp(nq: number, nk: number, width: number, height: number): number {
  const w = Math.max(1, width);
  const h = Math.max(1, height);
  return Math.max(1 / MAX_CELL_PX, nq / h, nk / w);
}

/** Keep the matrix on the map: an axis shorter than the map starts at 0, a longer one stays inside. */
export function clamp(vp: Viewport): Viewport {
  const fit = fitTpp(vp.nq, vp.nk, vp.width, vp.height);
  const tpp = Math.min(fit, Math.max(1 / MAX_CELL_PX, vp.tpp));
  const axis = (pos: number, n: number, px: number) => {
    const room = n - px * tpp;
    return room <= 0 ? 0 : Math.max(0, Math.min(room, pos));
  };
  return { ...vp, tpp, x: axis(vp.x, vp.nk, vp.width), y: axis(vp.y, vp.nq, vp.height) };
}

export function fitAll(nq: number, nk: number, width: number, height: number): Viewport {
  return { nq, nk, width, height, tpp: fitTpp(nq, nk, width, height), x: 0, y: 0 };
}

/** Whether the whole matrix is on the map. */
export function isFit(vp: Viewport): boolean {
  return vp.tpp >= fitTpp(vp.nq, vp.nk, vp.width, vp.height) * (1 - 1e-9);
}

/**
 * The zoom level `steps` powers of two in (> 0) or out (< 0) from `tpp`: in, the largest power of two
 * ≤ tpp / 2; out, the smallest ≥ 2·tpp, or fit-all once that shows everything.
 */
export function stepTpp(tpp: number, steps: number, fit: number): number {
  let t = tpp;
  for (let s = 0; s < Math.abs(steps); s++) {
    if (steps > 0) t = 2 ** Math.floor(Math.log2(t / 2) + 1e-9);
    else {
      const up = 2 ** Math.ceil(Math.log2(t * 2) - 1e-9);
      t = up >= fit * (1 - 1e-9) ? fit : up;
    }
  }
  return Math.min(fit, Math.max(1 / MAX_CELL_PX, t));
}

/** Zoom by `steps` powers of two about CSS point (px, py): the token under it stays under it. */
export function zoomAt(vp: Viewport, steps: number, px: number, py: number): Viewport {
  const fit = fitTpp(vp.nq, vp.nk, vp.width, vp.height);
  const tpp = stepTpp(vp.tpp, steps, fit);
  const tx = vp.x + px * vp.tpp;
  const ty = vp.y + py * vp.tpp;
  return clamp({ ...vp, tpp, x: tx - px * tpp, y: ty - py * tpp });
}

/** Move the content by (dx, dy) CSS px (a drag to the right shows what lies to the left). */
export function pan(vp: Viewport, dx: number, dy: number): Viewport {
  return clamp({ ...vp, x: vp.x - dx * vp.tpp, y: vp.y - dy * vp.tpp });
}

/** Put token (row, col) at the centre of the map. */
export function centerOn(vp: Viewport, row: number, col: number): Viewport {
  return clamp({ ...vp, x: col - (vp.width * vp.tpp) / 2, y: row - (vp.height * vp.tpp) / 2 });
}

/** A new map size: a fitted view stays fitted, else the top-left corner and scale are kept. */
export function resize(vp: Viewport, width: number, height: number): Viewport {
  if (isFit(vp)) return fitAll(vp.nq, vp.nk, width, height);
  return clamp({ ...vp, width, height });
}

/** The tokens on the map (partly visible ones included), clipped to the matrix. */
export function visibleRect(vp: Viewport): Rect {
  const r0 = Math.max(0, Math.floor(vp.y));
  const c0 = Math.max(0, Math.floor(vp.x));
  const r1 = Math.min(vp.nq, Math.ceil(vp.y + vp.height * vp.tpp - 1e-9));
  const c1 = Math.min(vp.nk, Math.ceil(vp.x + vp.width * vp.tpp - 1e-9));
  return { r0, r1: Math.max(r0, r1), c0, c1: Math.max(c0, c1) };
}

/** The exact token cell under CSS point (px, py) of the map, or null outside the matrix. */
export function tokenAt(vp: Viewport, px: number, py: number): { row: number; col: number } | null {
  if (px < 0 || py < 0 || px >= vp.width || py >= vp.height) return null;
  const row = Math.floor(vp.y + py * vp.tpp);
  const col = Math.floor(vp.x + px * vp.tpp);
  return row >= 0 && row < vp.nq && col >= 0 && col < vp.nk ? { row, col } : null;
}

/** CSS position of token boundary (row, col) on the map. */
export function toPx(vp: Viewport, row: number, col: number): { x: number; y: number } {
  return { x: (col - vp.x) / vp.tpp, y: (row - vp.y) / vp.tpp };
}

/** "r0,r1,c0,c1" for data-heat-view. */
export function rectText(r: Rect): string {
  return `${r.r0},${r.r1},${r.c0},${r.c1}`;
}
