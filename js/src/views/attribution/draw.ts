/**
 * Pure drawing of the attribution view: the explained-prediction line, the status line, each token
 * chip's colours and labels, the readout; and the output × input matrix as paint operations.
 */
import { divergingColor, textOn, type RGB } from "../../colors";
import type { Theme } from "../../theme";
import { formatToken, quoteToken } from "../../tokens";
import { pendingText } from "../common/index";
import { type PaintOp, rect, rgbCss, stroke, txt } from "../common/paint";
import { ATTENTION_METHODS, METHOD_TITLES, describeValue, elapsed } from "./layout";

export const MATRIX_LABEL_W = 96;

/** "Explaining the prediction after “x” (position p, why) → “t” (p = …) rather than “c”." */
export function explainText(after: string, pos: number, s: { token: number | null; target: number | null }, reply: Record<string, unknown>, target: string, contrast: string): string {
  const whose = s.token !== null ? "the locked token" : s.target !== null ? "the target position" : "the last token";
  const prob = typeof reply.target_prob === "number" ? ` (p = ${reply.target_prob.toFixed(3)})` : "";
  const tgt = typeof reply.target_token === "string" ? ` → ${quoteToken(reply.target_token)}${prob}` : target ? ` → ${quoteToken(target)}` : "";
  const rather = typeof reply.contrast_token === "string" ? ` rather than ${quoteToken(reply.contrast_token)}` : contrast ? ` rather than ${quoteToken(contrast)}` : "";
  return `Explaining the prediction after ${quoteToken(after)} (position ${pos}, ${whose})${tgt}${rather}.`;
}

/** The status line while the values are not in; `ticking` when a loading timer should run. */
export function attributionStatus(method: string, st: { state: string; message?: string; since?: number }, canRerun: boolean, now: number): { text: string; ticking: boolean } {
  const title = METHOD_TITLES[method] ?? method;
  if (st.state === "loading" && st.since !== undefined) return { text: `computing ${title.toLowerCase()}… ${elapsed(st.since, now)}`, ticking: true };
  const text = !canRerun && !ATTENTION_METHODS.includes(method) && st.state !== "loading"
    ? `${title} needs the model, which this page does not have; attention rollout and flow work from the attention alone.`
    : pendingText(st, `${title} attribution`);
  return { text, ticking: false };
}

export interface ChipLook {
  background: string;
  color: string;
  title: string;
  label: string;
  value: number;
}

/** Each token's colour (diverging over ±range) and its title and spoken label with its value. */
export function chipLooks(tokens: readonly string[], values: ArrayLike<number>, scale: number, range: number, total: number, bg: RGB): ChipLook[] {
  return tokens.map((raw, i) => {
    const v = (values[i] ?? 0) * scale;
    const rgb = divergingColor(v / range, bg);
    const disp = formatToken(raw);
    const said = `(token ${i}): ${describeValue(v, total)}`;
    return { background: rgbCss(rgb), color: textOn(rgb), title: `${disp.title} ${said}`, label: `${disp.spoken} ${said}`, value: v };
  });
}

/** The readout: the hovered token's value, else the sum and the largest |value|. */
export function attributionReadout(tokens: readonly string[], hover: number | null, values: ArrayLike<number>, scale: number, range: number, total: number): string {
  if (hover !== null && hover < tokens.length) return `${quoteToken(tokens[hover])} (token ${hover}): ${describeValue((values[hover] ?? 0) * scale, total)}`;
  return `sum of attributions ${describeValue(total, 0)}; largest |value| ${range.toFixed(3)}`;
}

export interface MatrixFrame {
  values: ArrayLike<number>;
  scale: number;
  /** [rows, n]: row r is the prediction at token rows[r] (default r + 1). */
  rows: readonly number[];
  n: number;
  R: number;
  cell: number;
  tokens: readonly string[];
  range: number;
  theme: Pick<Theme, "fg" | "border" | "bgRgb">;
}

/** Row labels (when cells are at least 8 px), non-zero cells, and an outline on each row's own token. */
export function matrixOps(f: MatrixFrame): PaintOp[] {
  const ops: PaintOp[] = [];
  const { cell, n } = f;
  const font = `${Math.min(12, Math.max(8, cell - 2))}px ui-monospace, monospace`;
  for (let r = 0; r < f.R; r++) {
    const p = f.rows[r] ?? r + 1;
    if (cell >= 8) {
      const text = formatToken(f.tokens[p] ?? "", 10).segments.map((x) => x.text).join("");
      ops.push(txt(MATRIX_LABEL_W - 4, r * cell + cell / 2, text, f.theme.fg, font, "right"));
    }
    for (let c = 0; c < n; c++) {
      const v = (f.values[r * n + c] ?? 0) * f.scale;
      if (v !== 0) ops.push(rect(MATRIX_LABEL_W + c * cell, r * cell, cell, cell, rgbCss(divergingColor(v / f.range, f.theme.bgRgb))));
    }
    ops.push(stroke(MATRIX_LABEL_W + p * cell + 0.5, r * cell + 0.5, cell - 1, cell - 1, f.theme.border, 1));
  }
  return ops;
}

/** Row and column under a point of the matrix canvas (css px), or null outside the cells. */
export function cellAt(x: number, y: number, cell: number, rows: number, cols: number): { row: number; col: number } | null {
  const col = Math.floor((x - MATRIX_LABEL_W) / cell);
  const row = Math.floor(y / cell);
  return x >= MATRIX_LABEL_W && col >= 0 && col < cols && row >= 0 && row < rows ? { row, col } : null;
}
