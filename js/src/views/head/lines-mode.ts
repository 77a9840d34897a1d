/**
 * Lines mode of the head view, from level-of-detail rows: the rows on screen are asked for in aligned
 * windows of ROWS_WINDOW rows (each row's ROWS_K strongest keys per head) and the hovered or locked
 * token's exact row or column on its own. What is held is drawn while the rest loads: the canvas is
 * never blanked for a window on its way.
 */
import { ROWS_K, windowStarts, type FullRow, type RowsSource, type RowsWindow } from "../../attention-source";
import type { Request } from "../../replies";
import type { Selection } from "../../store";
import type { Theme } from "../../theme";
import type { LayerState } from "../../types";
import { sizeCanvas } from "../common/index";
import type { Focus, LineSelection } from "./layout";
import { cachedPaint, Lru, objectId, OVERVIEW_MAX_LINES, paintLines } from "./lines";
import type { Skeleton } from "./skeleton";
import { type Range, fullRowLines, massText, meanMass, rowFocusWeights, selectSparseLines, sparseFocusLines, sparseFocusWeights } from "./sparse-lines";
import type { Viewport } from "./viewport";

export interface ModeDraw {
  /** The selected layer is drawn with its data in place (data-drawn-layer). */
  drawn: boolean;
  status: string;
  state: string;
}

const sideOf = (f: Focus) => (f.side === "left" ? "query" : "key");

/** One letter per state, for signatures: r(eady), l(oading), e(rror), n(o kernel). */
const letter = (st: LayerState) => st.state[0] ?? "?";

export interface LinesMode {
  draw(s: Readonly<Selection>, focus: Focus | null, theme: Theme): ModeDraw;
  /** Label shading: the focus's mean weight towards each token of the other side (exact when held). */
  focusWeights(s: Readonly<Selection>, focus: Focus): Float32Array | null;
  /** Requests for `layer`'s rows on screen (prefetching a neighbour). */
  prefetch(layer: number): Request[];
  /** Changes whenever what lines mode shows changes state (redraw only then). */
  signature(s: Readonly<Selection>, focus: Focus | null): string;
}

/** The status line of lines mode: what the lines show (the mass label), what is loading, the cap. */
function statusOf(
  rows: RowsSource,
  onScreen: Range,
  s: Readonly<Selection>,
  focus: Focus | null,
  got: { windows: RowsWindow[]; row: FullRow | undefined; sel: LineSelection | null; missing: number },
): { status: string; state: string } {
  const { windows, row, sel, missing } = got;
  if (s.heads.length === 0) return { status: "No head is shown: click a head above to show it.", state: "empty" };
  const k = windows[0]?.k ?? ROWS_K;
  let status = massText(k, meanMass(windows, s.heads, onScreen));
  let state = missing > 0 ? "loading" : "ready";
  if (missing > 0) status += ` · loading ${missing} window${missing === 1 ? "" : "s"} of rows…`;
  if (focus) {
    const st = rows.rowState(s.layer, sideOf(focus), focus.index);
    const what = focus.side === "left" ? "row" : "column";
    if (row) status = `token ${focus.index}: every line of its exact ${what}`;
    else if (st.state === "loading") status = `loading token ${focus.index}'s exact ${what}… (its strongest keys meanwhile)`;
    else status = `token ${focus.index}: only its strongest keys held in this page (its exact ${what} needs a running kernel)`;
  }
  if (sel?.limited) {
    status += ` · the ${sel.lines.length} strongest lines (weight ≥ ${sel.threshold.toFixed(3)})${focus ? "" : "; hover a token for all of its lines"}`;
    if (state === "ready") state = "limited";
  }
  return { status, state };
}

export function linesMode(sk: Skeleton, vp: Viewport, rows: RowsSource, nq: number, nk: number): LinesMode {
  const overviews = new Lru<{ bitmap: HTMLCanvasElement; value: LineSelection }>(6);
  const startsOnScreen = () => {
    const w = vp.onScreen(nq);
    return windowStarts(w.start, w.end, nq);
  };
  const held = (layer: number, starts: readonly number[]) =>
    starts.map((s) => rows.window(layer, s)).filter((w): w is RowsWindow => w !== undefined);
  const exactRow = (layer: number, focus: Focus): FullRow | undefined => rows.row(layer, sideOf(focus), focus.index);

  function paint(s: Readonly<Selection>, focus: Focus | null, theme: Theme, windows: RowsWindow[], row: FullRow | undefined): LineSelection | null {
    const cssW = vp.linesWidth();
    const { top, height } = vp.placeCanvas(sk.linesCanvas);
    const w = vp.onScreen(nq);
    const select = (): LineSelection => {
      if (focus && row) return fullRowLines(row, s.heads);
      if (focus) return sparseFocusLines(windows, s.heads, focus);
      return selectSparseLines(windows, s.heads, w, { reach: w.end - w.start, maxLines: OVERVIEW_MAX_LINES });
    };
    const ctx = sizeCanvas(sk.linesCanvas, cssW, height);
    if (!ctx) return select();
    const ids = windows.map((x) => objectId(x)).join(",");
    const key = focus ? "" : `${ids}|${s.heads.join(",")}|${w.start}|${cssW}x${height}|${top}|${theme.bg}|${sk.linesCanvas.width}`;
    return cachedPaint(ctx, overviews, key, cssW, height, (c) => {
      const sel = select();
      paintLines(c, sel.lines, { width: cssW, top, rowHeight: vp.rowHeight, focused: focus !== null, bgRgb: theme.bgRgb });
      return sel;
    });
  }

  return {
    draw(s, focus, theme) {
      const starts = startsOnScreen();
      rows.want(s.layer, starts);
      if (focus) rows.wantRow(s.layer, sideOf(focus), focus.index);
      const windows = held(s.layer, starts);
      const row = focus ? exactRow(s.layer, focus) : undefined;
      const errors = starts.map((x) => rows.windowState(s.layer, x)).filter((st) => st.state === "error" || st.state === "no-kernel");
      if (windows.length === 0 && !row) {
        // Nothing of this layer yet: keep what the canvas shows (never a blank flash), say why.
        const st = errors[0];
        if (st && "message" in st) return { drawn: false, status: `Layer ${s.layer}: ${st.message}`, state: st.state };
        return { drawn: false, status: `loading layer ${s.layer}…`, state: "loading" };
      }
      const sel = paint(s, focus, theme, windows, row);
      const missing = starts.length - windows.length - errors.length;
      return { drawn: windows.length === starts.length, ...statusOf(rows, vp.onScreen(nq), s, focus, { windows, row, sel, missing }) };
    },
    focusWeights(s, focus) {
      const row = exactRow(s.layer, focus);
      if (row) return rowFocusWeights(row, s.heads, focus);
      const windows = held(s.layer, startsOnScreen());
      return windows.length > 0 ? sparseFocusWeights(windows, s.heads, focus, focus.side === "left" ? nk : nq) : null;
    },
    prefetch: (layer) => rows.requests(layer, startsOnScreen()),
    signature(s, focus) {
      const starts = startsOnScreen();
      // the focus itself is part of it: two tokens' rows arriving in turn read "r" both
      const f = focus ? `${sideOf(focus)}${focus.index}${letter(rows.rowState(s.layer, sideOf(focus), focus.index))}` : "-";
      return `${s.layer}|${starts[0] ?? ""}|${starts.map((x) => letter(rows.windowState(s.layer, x))).join("")}|${f}`;
    },
  };
}
