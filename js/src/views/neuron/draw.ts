/**
 * Pure drawing of the neuron view: the query row and the visible key rows (k, q ⊙ k, q·k with its tick,
 * the softmax bar and value) as paint operations, the legend's columns and the info line.
 */
import { divergingColor, type RGB } from "../../colors";
import type { Theme } from "../../theme";
import type { LayerAttention } from "../../types";
import { type PaintOp, rect, rgbCss, stroke, txt } from "../common/paint";
import { fitLabel, type QK } from "./layout";

export const ROW_H = 20;
export const LABEL_W = 110;
export const NUM_W = 62;
export const BAR_W = 90;
const NUM_FONT = "11px ui-monospace, Menlo, Consolas, monospace";

/** Column width per dimension (1–6 px) so that k and q ⊙ k fit beside the numbers in `width` px. */
export function vectorColumns(width: number, d: number): { cw: number; vec: number } {
  const avail = Math.max(120, (width || 640) - LABEL_W - 2 * NUM_W - BAR_W - 24);
  const cw = Math.max(1, Math.min(6, Math.floor(avail / (2 * d))));
  return { cw, vec: cw * d };
}

/** The whole row's width for vectors `vec` px wide. */
export const rowWidth = (vec: number): number => LABEL_W + 2 * (vec + 8) + NUM_W + BAR_W + NUM_W;

/** One cell per component, coloured on a diverging scale by v / max. */
export function stripOps(v: ArrayLike<number>, x: number, y: number, cw: number, h: number, max: number, bg: RGB, alpha = 1): PaintOp[] {
  const ops: PaintOp[] = [];
  for (let c = 0; c < v.length; c++) ops.push(rect(x + c * cw, y, cw, h, rgbCss(divergingColor(max > 0 ? v[c]! / max : 0, bg)), alpha));
  return ops;
}

const maxAbs = (v: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]!));
  return m;
};

/** The query row: its label and its vector. */
export function queryRowOps(q: Float32Array, qi: number, cw: number, theme: Pick<Theme, "fg" | "bgRgb">): PaintOp[] {
  const label: PaintOp = txt(4, ROW_H / 2, `q (token ${qi})`, theme.fg, "11px system-ui, sans-serif", "start", LABEL_W - 8);
  return [label, ...stripOps(q, LABEL_W, 2, cw, ROW_H - 4, maxAbs(q), theme.bgRgb)];
}

export interface KeyRows {
  qk: QK;
  q: Float32Array;
  kv: number;
  qi: number;
  /** q·k × scaling per key. */
  scores: Float32Array;
  /** The model's attention of the layer (for the softmax), or null while it loads. */
  att: LayerAttention | null;
  head: number;
  /** Visible rows [start, end) and the canvas's offset in the stage. */
  rows: { start: number; end: number };
  top: number;
  cw: number;
  vec: number;
  /** Masked keys (causal, after the query) are faded and say "masked". */
  causal: boolean;
  /** Largest |k| over the kv head (one scale for every key). */
  kmax: number;
  theme: Pick<Theme, "fg" | "muted" | "accent" | "border" | "bgRgb">;
}

function keyVec(r: KeyRows, j: number): ArrayLike<number> {
  const base = (r.kv * r.qk.nk + j) * r.qk.d;
  const keys = r.qk.keys;
  return keys instanceof Float32Array ? keys.subarray(base, base + r.qk.d) : Array.from({ length: r.qk.d }, (_, c) => keys[base + c]!);
}

function numberOps(r: KeyRows, j: number, y: number, smax: number, alpha: number): PaintOp[] {
  const { fg, muted, accent, border } = r.theme;
  const x0 = LABEL_W + 2 * (r.vec + 8);
  const s = r.scores[j]!;
  const a = r.att;
  const p = a && r.qi < a.nq ? a.data[(r.head * a.nq + r.qi) * a.nk + j]! * a.scale : NaN;
  const bx = x0 + NUM_W;
  const masked = r.causal && j > r.qi;
  const ops: PaintOp[] = [
    txt(x0 + NUM_W - 6, y + ROW_H / 2, s.toFixed(2), fg, NUM_FONT, "right", undefined, alpha),
    // q·k as a small signed tick under the number
    rect(x0 + NUM_W / 2, y + ROW_H - 3, smax > 0 ? (s / smax) * (NUM_W / 2 - 4) : 0, 2, muted, alpha),
  ];
  if (Number.isFinite(p)) ops.push(rect(bx, y + 4, Math.max(0, Math.min(1, p)) * BAR_W, ROW_H - 8, accent, alpha));
  ops.push(stroke(bx + 0.5, y + 4.5, BAR_W - 1, ROW_H - 9, border, 1, alpha));
  const text = masked ? "masked" : Number.isFinite(p) ? p.toFixed(3) : "…";
  ops.push(txt(bx + BAR_W + 4, y + ROW_H / 2, text, fg, NUM_FONT, "left", undefined, alpha));
  return ops;
}

/** The visible key rows: k, q ⊙ k (scaled over the visible rows), q·k and the softmax. */
export function keyRowsOps(r: KeyRows): PaintOp[] {
  const { qk, q } = r;
  let pmax = 0;
  const prods: Float32Array[] = [];
  for (let j = r.rows.start; j < r.rows.end; j++) {
    const k = keyVec(r, j);
    const prod = new Float32Array(qk.d);
    for (let c = 0; c < qk.d; c++) prod[c] = q[c]! * k[c]!;
    pmax = Math.max(pmax, maxAbs(prod));
    prods.push(prod);
  }
  const smax = maxAbs(r.scores);
  const ops: PaintOp[] = [];
  for (let j = r.rows.start; j < r.rows.end; j++) {
    const y = j * ROW_H - r.top;
    const alpha = r.causal && j > r.qi ? 0.35 : 1;
    ops.push(...stripOps(keyVec(r, j), LABEL_W, y + 2, r.cw, ROW_H - 4, r.kmax, r.theme.bgRgb, alpha));
    ops.push(...stripOps(prods[j - r.rows.start]!, LABEL_W + r.vec + 8, y + 2, r.cw, ROW_H - 4, pmax, r.theme.bgRgb, alpha));
    ops.push(...numberOps(r, j, y, smax, alpha));
  }
  return ops;
}

/** The legend's columns: width and the longest of its labels that fits. */
export function legendColumns(d: number, vec: number): { width: number; title: string; text: string }[] {
  const columns: [number, string[]][] = [
    [LABEL_W, ["key"]],
    [vec + 8, [`k (${d} dims)`, `k (${d})`, "k"]],
    [vec + 8, ["q ⊙ k", "q⊙k"]],
    [NUM_W, ["q·k"]],
    [BAR_W + NUM_W, ["softmax"]],
  ];
  return columns.map(([width, options]) => ({ width, title: options[0]!, text: fitLabel(options, width) }));
}

/** The line above the rows: the scaling, and which heads share the key/value head (grouped-query attention). */
export function infoText(qk: QK, head: number, kv: number, sharing: readonly number[]): string {
  const scaled = qk.scaling.toPrecision(3);
  if (qk.group <= 1) return `q·k is scaled by ${scaled}; softmax from the model's own attention (masks included).`;
  const gqa = `grouped-query attention: ${qk.heads} query heads, ${qk.kvHeads} key/value heads`;
  return `Head ${head} reads key/value head ${kv}, shared by heads ${sharing[0]}–${sharing[sharing.length - 1]} (${gqa}). q·k is scaled by ${scaled}.`;
}
