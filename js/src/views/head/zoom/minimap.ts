/**
 * The minimap: the overview tile drawn small in a corner of the map, with the viewport's rectangle;
 * a click or drag on it centres the view there.
 */
import type { Pool } from "./keys";
import { paintTile, type TileData } from "./paint";
import type { Viewport } from "./viewport";

/** CSS size of the minimap for an nq × nk matrix whose longer side gets `side` px. */
export function miniSize(nq: number, nk: number, side: number): { width: number; height: number } {
  const n = Math.max(nq, nk, 1);
  return { width: Math.max(8, Math.round((side * nk) / n)), height: Math.max(8, Math.round((side * nq) / n)) };
}

/** The viewport's rectangle on a minimap of `size` CSS px (clipped to it). */
export function miniRect(vp: Viewport, size: { width: number; height: number }): { left: number; top: number; width: number; height: number } {
  const sx = size.width / vp.nk;
  const sy = size.height / vp.nq;
  const left = Math.max(0, vp.x * sx);
  const top = Math.max(0, vp.y * sy);
  const right = Math.min(size.width, (vp.x + vp.width * vp.tpp) * sx);
  const bottom = Math.min(size.height, (vp.y + vp.height * vp.tpp) * sy);
  return { left, top, width: Math.max(0, right - left), height: Math.max(0, bottom - top) };
}

/** Token (row, col) at CSS point (px, py) of the minimap. */
export function miniToken(vp: Viewport, size: { width: number; height: number }, px: number, py: number): { row: number; col: number } {
  const clampTo = (v: number, n: number) => Math.max(0, Math.min(n - 1, v));
  return { row: clampTo((py / size.height) * vp.nq, vp.nq), col: clampTo((px / size.width) * vp.nk, vp.nk) };
}

/** Paint the overview into the minimap canvas (only when the tile, colours or size changed). */
export function miniPainter(canvas: HTMLCanvasElement) {
  let sig: unknown[] = [];
  return (tile: TileData, size: { width: number; height: number }, dpr: number, o: { max: number; lut: Uint8ClampedArray; pool: Pool }) => {
    const now = [tile, size.width, size.height, dpr, o.max, o.lut, o.pool];
    if (now.every((v, k) => v === sig[k])) return;
    sig = now;
    const w = Math.max(1, Math.round(size.width * dpr));
    const hh = Math.max(1, Math.round(size.height * dpr));
    canvas.width = w;
    canvas.height = hh;
    canvas.style.width = `${size.width}px`;
    canvas.style.height = `${size.height}px`;
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    const img = ctx.createImageData(w, hh);
    const r = tile.rect;
    const tpdp = Math.max((r.r1 - r.r0) / hh, (r.c1 - r.c0) / w);
    paintTile({ data: img.data, width: w, height: hh, x: 0, y: 0, tpdp }, tile, o);
    ctx.putImageData(img, 0, 0);
  };
}
