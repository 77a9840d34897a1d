/** Drawing the map canvas: held tiles into device pixels, then the matrix edge, locked row and hover. */
import type { Theme } from "../../../theme";
import type { Pool } from "./keys";
import type { Rect } from "./levels";
import { paintTile, visibleTop, type TileData } from "./paint";
import { toPx, tokenAt, type Viewport } from "./viewport";

export interface MapFrame {
  vp: Viewport;
  /** Device pixels per CSS px of the canvas. */
  scale: number;
  block: number;
  rect: Rect;
  pool: Pool;
  theme: Theme;
  lut: Uint8ClampedArray;
  token: number | null;
  hover: { x: number; y: number } | null;
}

/** Size the canvas to the map at `scale`; returns its 2D context (null without canvas support). */
function sized(c: HTMLCanvasElement, vp: Viewport, scale: number): CanvasRenderingContext2D | null {
  const w = Math.max(1, Math.round(vp.width * scale));
  const hh = Math.max(1, Math.round(vp.height * scale));
  if (c.width !== w) c.width = w;
  if (c.height !== hh) c.height = hh;
  c.style.width = `${vp.width}px`;
  c.style.height = `${vp.height}px`;
  try {
    return c.getContext("2d");
  } catch {
    return null;
  }
}

/** Paint `tiles` (coarsest first) with the colour scale topping at `top`, then the overlays. */
export function renderMap(c: HTMLCanvasElement, tiles: readonly TileData[], top: number, f: MapFrame): void {
  const ctx = sized(c, f.vp, f.scale);
  if (!ctx) return;
  const img = ctx.createImageData(c.width, c.height);
  const surface = { data: img.data, width: c.width, height: c.height, x: f.vp.x, y: f.vp.y, tpdp: f.vp.tpp / f.scale };
  for (const t of tiles) paintTile(surface, t, { max: top, lut: f.lut, pool: f.pool });
  ctx.putImageData(img, 0, 0);
  ctx.setTransform(f.scale, 0, 0, f.scale, 0, 0);
  overlay(ctx, f);
}

/** A rectangle outlined twice (background halo, then `color`) so it shows on any cell colour. */
function outline(ctx: CanvasRenderingContext2D, theme: Theme, color: string, x: number, y: number, w: number, h: number): void {
  ctx.strokeStyle = theme.bg;
  ctx.lineWidth = 3.5;
  ctx.strokeRect(x, y, w, h);
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.5;
  ctx.strokeRect(x, y, w, h);
}

function overlay(ctx: CanvasRenderingContext2D, f: MapFrame): void {
  const { vp, theme, block } = f;
  const origin = toPx(vp, 0, 0);
  const end = toPx(vp, vp.nq, vp.nk);
  ctx.strokeStyle = theme.border;
  ctx.lineWidth = 1;
  ctx.strokeRect(origin.x - 0.5, origin.y - 0.5, end.x - origin.x + 1, end.y - origin.y + 1); // outside the matrix: column 0 stays visible
  if (f.token !== null && f.token >= 0 && f.token < vp.nq) {
    const a = toPx(vp, f.token, 0);
    const b = toPx(vp, f.token + 1, vp.nk);
    outline(ctx, theme, theme.accent, Math.max(-4, a.x), a.y - 1, Math.min(vp.width + 8, b.x - a.x), Math.max(2, b.y - a.y) + 2);
  }
  const cell = f.hover ? tokenAt(vp, f.hover.x, f.hover.y) : null;
  if (cell) {
    const r0 = Math.floor(cell.row / block) * block;
    const c0 = Math.floor(cell.col / block) * block;
    const a = toPx(vp, r0, c0);
    const b = toPx(vp, Math.min(vp.nq, r0 + block), Math.min(vp.nk, c0 + block));
    outline(ctx, theme, theme.fg, a.x, a.y, Math.max(3, b.x - a.x), Math.max(3, b.y - a.y));
  }
}

export type ScaleMode = "view" | "matrix";

/**
 * Top of the colour scale: fixed when given; "matrix" (default): the whole matrix's max-pooled overview
 * (99.9% of its cells, see visibleTop), so a colour means the same value at every zoom and position;
 * "view": the cells on screen, to bring out faint regions.
 */
export function colourTop(mode: ScaleMode, fixed: number | null | undefined, shown: readonly TileData[], rect: Rect, overview: TileData | undefined): { top: number; max: number; fixed: boolean } {
  if (fixed) return { top: fixed, max: fixed, fixed: true };
  if (mode === "matrix" && overview) {
    const r = overview.rect;
    return { ...visibleTop([overview], { r0: r.r0, r1: r.r1, c0: r.c0, c1: r.c1 }), fixed: false };
  }
  return { ...visibleTop(shown, rect), fixed: false };
}
