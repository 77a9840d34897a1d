/**
 * Pure drawing of the ablation view: the marked parts' labels, the status lines, and the attention
 * change (after − before) of one head as paint operations.
 */
import { divergingColor, type RGB } from "../../colors";
import { quoteToken } from "../../tokens";
import { type PaintOp, rect, rgbCss, stroke } from "../common/paint";
import { signed } from "../common/predictions";
import { parsePart } from "./spec";

/** Each marked part's name and label ("head L2·H3", "neuron L1·#40"); unparsable names are left out. */
export function markedLabels(ablate: readonly string[]): { name: string; text: string }[] {
  return ablate.flatMap((name) => {
    const p = parsePart(name);
    return p ? [{ name, text: p.kind === "head" ? `head L${p.layer}·H${p.index}` : `neuron L${p.layer}·#${p.index}` }] : [];
  });
}

/** The status before a run: what "Run" does, or that the page cannot rerun. */
export const idleStatus = (marked: number, canRerun: boolean): string =>
  !marked ? "" : canRerun ? "Press “Run ablation” to rerun the model without the marked parts." : "Ablation reruns the model, which this page does not have.";

/** The status of a finished run. */
export function ranStatus(pos: number | null, after: string, mode: string, parts: number): string {
  if (pos === null) return "This model predicts no tokens; only attention changes.";
  return `Prediction after ${quoteToken(after)} (position ${pos}), ${mode}-ablating ${parts} part${parts === 1 ? "" : "s"}:`;
}

/** The caption of the attention change. */
export function changeCaption(layer: number, head: number, big: { delta: number; query: number; key: number }, qTok: string, kTok: string): string {
  return `Attention change, layer ${layer}, head ${head} (orange: more, blue: less): largest ${signed(big.delta)} from ${quoteToken(qTok)} to ${quoteToken(kTok)}.`;
}

export interface ChangeFrame {
  before: ArrayLike<number>;
  beforeScale: number;
  after: ArrayLike<number>;
  afterScale: number;
  /** Offset of the head's nq × nk block in both arrays. */
  off: number;
  nq: number;
  nk: number;
  /** Largest |change| (the colour range). */
  maxAbs: number;
  bg: RGB;
  frame: string;
}

/** Canvas size (CSS px) of the change map: 120–320 px wide, rows in proportion. */
export function changeSize(nq: number, nk: number): { width: number; height: number } {
  const side = Math.min(320, Math.max(120, nk * 4));
  return { width: side, height: side * (nq / nk) };
}

/** One rectangle per changed cell (subsampled to 320 × 320 at most), then a frame. */
export function changeOps(f: ChangeFrame): PaintOp[] {
  const { nq, nk, off } = f;
  const { width, height } = changeSize(nq, nk);
  const cw = width / nk;
  const ch = height / nq;
  const range = Math.max(f.maxAbs, 1e-6);
  const stepQ = Math.max(1, Math.floor(nq / 320));
  const stepK = Math.max(1, Math.floor(nk / 320));
  const ops: PaintOp[] = [];
  for (let i = 0; i < nq; i += stepQ)
    for (let j = 0; j < nk; j += stepK) {
      const d = f.after[off + i * nk + j]! * f.afterScale - f.before[off + i * nk + j]! * f.beforeScale;
      if (Math.abs(d) < range / 255) continue;
      ops.push(rect(j * cw, i * ch, Math.max(cw * stepK, 1), Math.max(ch * stepQ, 1), rgbCss(divergingColor(d / range, f.bg))));
    }
  ops.push(stroke(0.5, 0.5, width - 1, height - 1, f.frame, 1));
  return ops;
}
