/** Pure layout of the model view: a layers × heads grid of thumbnails that fits the width. */
import { fitCell, labelStep } from "../common/geometry";

export const MIN_CELL = 10;
/** Thumbnails grow with the width up to this (≈ 2.5 px per position of a 32 × 32 thumbnail). */
export const MAX_CELL = 80;
export const GAP = 1;
export const LABEL_W = 34;
export const LABEL_H = 16;
/** Room past the last row and column for the selection and focus outlines (CSS: 2 px + 2 px offset). */
export const OUTLINE = 4;
/** Labels at least this far apart (px); the rest are left out. */
export const LABEL_SPACING = 18;

export interface ModelGrid {
  cell: number;
  /** Cell pitch (cell + gap). */
  pitch: number;
  width: number;
  height: number;
  layerStep: number;
  headStep: number;
}

/** Cell size for `heads` columns in `avail` px (the labels take LABEL_W); it scrolls below MIN_CELL. */
export function modelGrid(avail: number, layers: number, heads: number): ModelGrid {
  const usable = Math.max(0, (avail > 0 ? avail : 600) - LABEL_W - OUTLINE);
  const pitch = fitCell(usable, heads, MIN_CELL + GAP, MAX_CELL + GAP);
  const cell = pitch - GAP;
  return {
    cell,
    pitch,
    width: LABEL_W + heads * pitch + OUTLINE,
    height: LABEL_H + layers * pitch + OUTLINE,
    layerStep: labelStep(pitch, LABEL_SPACING),
    headStep: labelStep(pitch, 22),
  };
}

/** (layer, head) under a point in grid coordinates, or null. */
export function cellAt(x: number, y: number, g: ModelGrid, layers: number, heads: number): { layer: number; head: number } | null {
  const cx = x - LABEL_W;
  const cy = y - LABEL_H;
  if (cx < 0 || cy < 0) return null;
  const head = Math.floor(cx / g.pitch);
  const layer = Math.floor(cy / g.pitch);
  return head < heads && layer < layers ? { layer, head } : null;
}
