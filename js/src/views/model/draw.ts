/**
 * Pure drawing of the model view: the grid's labels, frame and cell backgrounds as paint operations,
 * and the thumbnails as one RGBA pixel array (every head resampled, nearest neighbour, from its g × g'
 * reply block to px × px device pixels), plus the readout text.
 */
import type { Theme } from "../../theme";
import { type PaintOp, rect, txt } from "../common/paint";
import { GAP, LABEL_H, LABEL_W, type ModelGrid } from "./layout";

const LABEL_FONT = "10px system-ui, sans-serif";

/** Labels (thinned out to stay legible), then the border-coloured frame and gaps, then every cell's background. */
export function gridOps(g: ModelGrid, layers: number, heads: number, theme: Pick<Theme, "muted" | "border" | "bg">): PaintOp[] {
  const ops: PaintOp[] = [];
  for (let l = 0; l < layers; l += g.layerStep)
    ops.push(txt(LABEL_W - 4, LABEL_H + l * g.pitch + g.cell / 2, `L${l}`, theme.muted, LABEL_FONT, "right"));
  for (let hd = 0; hd < heads; hd += g.headStep)
    ops.push(txt(LABEL_W + hd * g.pitch + g.cell / 2, LABEL_H / 2, `H${hd}`, theme.muted, LABEL_FONT, "center"));
  ops.push(rect(LABEL_W - GAP, LABEL_H - GAP, heads * g.pitch + GAP, layers * g.pitch + GAP, theme.border));
  for (let l = 0; l < layers; l++)
    for (let hd = 0; hd < heads; hd++) ops.push(rect(LABEL_W + hd * g.pitch, LABEL_H + l * g.pitch, g.cell, g.cell, theme.bg));
  return ops;
}

export interface Thumbnails {
  /** [layers, heads, g, g'] (g query rows, g' key columns per head). */
  shape: readonly number[];
  values: ArrayLike<number>;
  /** The decoded array's scale: 1 means values in [0, 1]; otherwise they are raw bytes (uint8 arrives as 0–255, scale 1/255). */
  scale: number;
}

export interface Pixels {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/**
 * The thumbnails of `layers` × `heads` heads, each px × px, laid out like the grid (head columns, layer
 * rows), coloured through `lut` (256 RGB triples). Any g × g' block is resampled to px × px; heads or
 * layers missing from the reply stay transparent. Null if the reply is not [layers, heads, g, g'].
 */
export function thumbnailPixels(t: Thumbnails, layers: number, heads: number, px: number, lut: ArrayLike<number>): Pixels | null {
  if (t.shape.length !== 4 || t.shape.some((n) => !(n > 0))) return null;
  const [al, ah, tq, tk] = t.shape as [number, number, number, number];
  const width = heads * px;
  const height = layers * px;
  const data = new Uint8ClampedArray(width * height * 4);
  const k = t.scale === 1 ? 255 : 1;
  const v = t.values;
  // source row / column of each device pixel, once
  const sy = Array.from({ length: px }, (_, y) => Math.min(tq - 1, Math.floor((y * tq) / px)));
  const sx = Array.from({ length: px }, (_, x) => Math.min(tk - 1, Math.floor((x * tk) / px)));
  for (let l = 0; l < Math.min(layers, al); l++) {
    for (let hd = 0; hd < Math.min(heads, ah); hd++) {
      const base = (l * ah + hd) * tq * tk;
      for (let y = 0; y < px; y++) {
        const row = base + sy[y]! * tk;
        let o = ((l * px + y) * width + hd * px) * 4;
        for (let x = 0; x < px; x++, o += 4) {
          const c = Math.max(0, Math.min(255, Math.round(v[row + sx[x]!]! * k))) * 3;
          data[o] = lut[c]!;
          data[o + 1] = lut[c + 1]!;
          data[o + 2] = lut[c + 2]!;
          data[o + 3] = 255;
        }
      }
    }
  }
  return { width, height, data };
}

/** Device pixels per thumbnail: the cell's CSS size at the device pixel ratio, capped at 2. */
export const thumbPx = (cell: number, dpr: number): number => Math.max(1, Math.round(cell * Math.min(dpr, 2)));

/** The readout under the grid: the hovered cell and what a click does, else the selection. */
export function readoutText(
  hover: { layer: number; head: number } | null,
  sel: { layer: number; heads: readonly number[] },
  heads: number,
  marking: boolean,
): string {
  if (hover) {
    const shown = hover.layer === sel.layer && sel.heads.includes(hover.head) ? " (shown)" : "";
    return `layer ${hover.layer}, head ${hover.head}${shown}: click to ${marking ? "mark or unmark it for ablation" : "show it"}`;
  }
  const list = sel.heads.length > 8 ? `${sel.heads.length} of ${heads}` : sel.heads.join(", ") || "none";
  return `selected: layer ${sel.layer}, head${sel.heads.length === 1 ? "" : "s"} ${list}`;
}

/** The (layer, head) pairs marked for ablation ("head:L:H" parts of the ablate list). */
export function markedHeads(ablate: readonly string[]): { layer: number; head: number }[] {
  const out: { layer: number; head: number }[] = [];
  for (const name of ablate) {
    const m = /^head:(\d+):(\d+)$/.exec(name);
    if (m) out.push({ layer: Number(m[1]), head: Number(m[2]) });
  }
  return out;
}

/** The mark button's label. */
export const markLabel = (marking: boolean, marked: number): string =>
  marking ? `Marking heads (${marked} marked): click cells; click here when done` : "Mark for ablation";
