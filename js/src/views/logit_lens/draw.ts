/**
 * Pure drawing of the logit lens: the visible columns' cells (colour: top-1 probability, text: top-1
 * token), the selected layer's row and token's column, the hovered cell and the sticky layer labels, as
 * paint operations in canvas coordinates (the canvas covers the visible part of the stage, from `left`).
 */
import { textOn, type RGB } from "../../colors";
import type { Theme } from "../../theme";
import { formatToken, quoteToken } from "../../tokens";
import { scrollToShow } from "../common/geometry";
import { type PaintOp, rect, rgbCss, stroke, txt } from "../common/paint";
import { CELL_H, CELL_W, cellChars, HEADER_H, LABEL_W, topK, type LensTable } from "./layout";

const CELL_FONT = "11px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";
const LABEL_FONT = "10px system-ui, sans-serif";

/** A token shortened to `n` characters, with invisible characters shown. */
export const shortText = (raw: string, n: number): string =>
  formatToken(raw, n)
    .segments.map((s) => s.text)
    .join("");

export interface LensFrame {
  table: LensTable | null;
  layers: number;
  /** Visible columns [start, end). */
  cols: { start: number; end: number };
  /** Scroll offset of the canvas in the stage, and its width and height (CSS px). */
  left: number;
  width: number;
  height: number;
  layer: number;
  /** The token's column to outline (hovered or locked), or null. */
  token: number | null;
  hover: { layer: number; position: number } | null;
  theme: Pick<Theme, "accent" | "fg" | "bg" | "muted">;
  /** 256 RGB triples: the probability colour scale. */
  lut: ArrayLike<number>;
  /** Cell width (px), CELL_W by default. */
  cellW?: number;
}

function cellOps(f: LensFrame, t: LensTable, ops: PaintOp[]): void {
  const W = f.cellW ?? CELL_W;
  const chars = cellChars(W);
  for (let l = 0; l < f.layers; l++) {
    for (let p = f.cols.start; p < f.cols.end; p++) {
      const x = LABEL_W + p * W - f.left;
      const y = HEADER_H + l * CELL_H;
      const base = (l * t.positions + p) * t.k;
      const c = Math.max(0, Math.min(255, Math.round(t.probs[base]! * t.probScale * 255))) * 3;
      const rgb: RGB = [f.lut[c]!, f.lut[c + 1]!, f.lut[c + 2]!];
      ops.push(rect(x, y, W - 1, CELL_H - 1, rgbCss(rgb)));
      const text = shortText(t.vocab[t.indices[base]!] ?? "?", chars);
      ops.push(txt(x + W / 2, y + CELL_H / 2, text, textOn(rgb), CELL_FONT, "center", W - 4));
    }
  }
}

/** Everything the lens canvas shows for one frame, in paint order. */
export function lensOps(f: LensFrame): PaintOp[] {
  const ops: PaintOp[] = [];
  if (f.table) cellOps(f, f.table, ops);
  const { accent, fg, bg, muted } = f.theme;
  const W = f.cellW ?? CELL_W;
  if (f.layer < f.layers) ops.push(stroke(1, HEADER_H + f.layer * CELL_H + 1, f.width - 2, CELL_H - 2, accent, 2));
  if (f.token !== null) ops.push(stroke(LABEL_W + f.token * W - f.left + 1, HEADER_H + 1, W - 2, f.layers * CELL_H - 2, accent, 2));
  if (f.hover) {
    const x = LABEL_W + f.hover.position * W - f.left;
    ops.push(stroke(x, HEADER_H + f.hover.layer * CELL_H, W - 1, CELL_H - 1, fg, 1.5));
  }
  // Layer labels stay at the left edge.
  ops.push(rect(0, 0, LABEL_W, f.height, bg));
  for (let l = 0; l < f.layers; l++)
    ops.push(txt(LABEL_W - 6, HEADER_H + l * CELL_H + CELL_H / 2, `L${l}`, l === f.layer ? fg : muted, LABEL_FONT, "right"));
  return ops;
}

/** The readout: the selected layer and, at the token, its top 3. */
export function lensReadout(t: LensTable | null, layer: number, token: number | null): string {
  if (!t) return "";
  if (token === null) return `layer ${layer}`;
  const top = topK(t, layer, token)
    .slice(0, 3)
    .map((x) => `${quoteToken(x.token)} ${x.prob.toFixed(2)}`)
    .join(", ");
  return `layer ${layer}, position ${token}: ${top}`;
}

/** The canvas window: the visible width (capped by the stage) and scroll offset (clamped). */
export function lensViewport(viewW: number, scrollLeft: number, positions: number, layers: number, cellW = CELL_W): { width: number; height: number; left: number } {
  const full = LABEL_W + positions * cellW;
  const width = Math.min(viewW, full);
  return { width, height: HEADER_H + layers * CELL_H, left: Math.max(0, Math.min(scrollLeft, full - width)) };
}

/** The scroll offset that brings `token`'s column into view, or null to stay (also before the first layout). */
export function scrollForToken(box: { left: number; width: number }, viewW: number, token: number, cellW = CELL_W): number | null {
  const cur = Math.max(0, box.left - LABEL_W);
  const next = scrollToShow(cur, viewW - LABEL_W, cellW, token);
  return next + LABEL_W !== box.left && box.width > 0 && next !== cur ? next : null;
}
