/**
 * Lines mode from level-of-detail rows (briefs/lod-wire.md): the overview draws each on-screen row's k
 * strongest keys per head (`attention_rows` windows), the hovered or locked token its exact row or
 * column (`attention_row`). Thresholds and the line budget are those of selectLines (pickLines).
 */
import type { FullRow, RowsWindow } from "../../attention-source";
import { DEFAULT_MAX_LINES, DEFAULT_THRESHOLD, pickLines, type CellVisitor, type Focus, type LineSelection } from "./layout";

export interface Range {
  start: number;
  end: number;
}

const headsOf = (heads: readonly number[], n: number) => heads.filter((h) => Number.isInteger(h) && h >= 0 && h < n);

/** Visit every held (head, row, key, weight) of `windows` for `heads`, rows in `rows`, keys in `keys`. */
function windowCells(windows: readonly RowsWindow[], heads: readonly number[], rows: Range, keys: Range): CellVisitor {
  return (visit) => {
    for (const w of windows) {
      const r0 = Math.max(rows.start, w.start);
      const r1 = Math.min(rows.end, w.start + w.rows);
      for (const h of headsOf(heads, w.heads)) {
        for (let i = r0; i < r1; i++) {
          const at = (h * w.rows + (i - w.start)) * w.k;
          for (let t = 0; t < w.k; t++) {
            const j = w.index[at + t]!;
            if (j >= keys.start && j < keys.end) visit(h, i, j, w.weight[at + t]!);
          }
        }
      }
    }
  };
}

/**
 * The overview: lines of the rows on screen from the held windows, keys within `reach` rows of the
 * window (lines beyond run almost vertically across the canvas; hover a token for all of its lines).
 */
export function selectSparseLines(
  windows: readonly RowsWindow[],
  heads: readonly number[],
  rows: Range,
  opts: { reach?: number; threshold?: number; maxLines?: number } = {},
): LineSelection {
  const reach = opts.reach ?? Infinity;
  const keys = { start: rows.start - reach, end: rows.end + reach };
  return pickLines(windowCells(windows, heads, rows, keys), opts.threshold ?? DEFAULT_THRESHOLD, opts.maxLines ?? DEFAULT_MAX_LINES);
}

/** Visit the exact row (left focus: query → every key) or column (right: every query → key). */
function rowCells(row: FullRow, heads: readonly number[]): CellVisitor {
  return (visit) => {
    for (const h of headsOf(heads, row.heads)) {
      const base = h * row.n;
      for (let x = 0; x < row.n; x++) {
        const w = row.weights[base + x]!;
        if (row.side === "query") visit(h, row.index, x, w);
        else visit(h, x, row.index, w);
      }
    }
  };
}

/** The focused token's lines from its exact row or column. */
export function fullRowLines(row: FullRow, heads: readonly number[], threshold = DEFAULT_THRESHOLD, maxLines = DEFAULT_MAX_LINES): LineSelection {
  return pickLines(rowCells(row, heads), threshold, maxLines);
}

/** Visit what the held windows know of the focused token: its row's top keys, or the rows that reach it. */
function focusCells(windows: readonly RowsWindow[], heads: readonly number[], focus: Focus): CellVisitor {
  if (focus.side === "left") return windowCells(windows, heads, { start: focus.index, end: focus.index + 1 }, { start: 0, end: Infinity });
  return windowCells(windows, heads, { start: 0, end: Infinity }, { start: focus.index, end: focus.index + 1 });
}

/** The focused token's lines from the held windows (while its exact row loads, or in a page without it). */
export function sparseFocusLines(windows: readonly RowsWindow[], heads: readonly number[], focus: Focus, threshold = DEFAULT_THRESHOLD, maxLines = DEFAULT_MAX_LINES): LineSelection {
  return pickLines(focusCells(windows, heads, focus), threshold, maxLines);
}

/** Mean over the shown heads of the focus's weight towards each token of the other side (`n` of them). */
function meanOver(cells: CellVisitor, heads: number, focus: Focus, n: number): Float32Array {
  const out = new Float32Array(n);
  if (heads === 0) return out;
  cells((_h, i, j, w) => {
    const x = focus.side === "left" ? j : i;
    if (x >= 0 && x < n) out[x]! += w / heads;
  });
  return out;
}

/** Label shading from the exact row: out[x] = mean_h weights[h, x]. */
export function rowFocusWeights(row: FullRow, heads: readonly number[], focus: Focus): Float32Array {
  return meanOver(rowCells(row, heads), headsOf(heads, row.heads).length, focus, row.n);
}

/** Label shading from the held windows (entries outside the rows' top k count as 0). */
export function sparseFocusWeights(windows: readonly RowsWindow[], heads: readonly number[], focus: Focus, n: number): Float32Array {
  const nh = windows.length > 0 ? headsOf(heads, windows[0]!.heads).length : 0;
  return meanOver(focusCells(windows, heads, focus), nh, focus, n);
}

/** Mean `mass` (share of each row's weight its k lines carry) over the shown heads and held rows in range. */
export function meanMass(windows: readonly RowsWindow[], heads: readonly number[], rows: Range): number | null {
  let sum = 0;
  let count = 0;
  for (const w of windows) {
    const r0 = Math.max(rows.start, w.start);
    const r1 = Math.min(rows.end, w.start + w.rows);
    for (const h of headsOf(heads, w.heads)) {
      for (let i = r0; i < r1; i++) {
        sum += w.mass[h * w.rows + (i - w.start)]!;
        count++;
      }
    }
  }
  return count > 0 ? sum / count : null;
}

/** The status line's label of the overview: "lines: each row's 8 strongest keys per head (on average 93% of its weight)". */
export function massText(k: number, mass: number | null): string {
  const share = mass === null ? "" : ` (on average ${Math.round(mass * 100)}% of its weight)`;
  return `lines: each row's ${k} strongest keys per head${share}`;
}
