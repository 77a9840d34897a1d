/**
 * Lines mode of the head view: the lines canvas width and the painting of the selected lines (one path
 * per head, opacity bucket and run of segments, which keeps 10^4 lines fast).
 */
import { headColor, type RGB } from "../../colors";
import { rowCenter, type Line } from "./layout";

/** Width of the lines canvas: the room left by the two label columns, within these bounds (CSS px). */
export const LINES_MIN_WIDTH = 120;
export const LINES_MAX_WIDTH = 640;
/** Lines in the overview (no token focused): the strongest of those on screen. */
export const OVERVIEW_MAX_LINES = 2500;
const ALPHA_BUCKETS = 32;
export const HINT_LINES =
  "Hover a token to see its attention; click it to lock (click again or press Esc to unlock). Left: from, right: to.";
const SEGMENTS_PER_PATH = 64;

/** Lines canvas width for a scroll box `total` px wide holding label columns `leftW` and `rightW` px wide. */
export function linesWidthFor(total: number, leftW: number, rightW: number): number {
  const gaps = 2 * 4 + 4; // grid column gaps plus a little room for a vertical scrollbar's rounding
  return Math.round(Math.max(LINES_MIN_WIDTH, Math.min(LINES_MAX_WIDTH, total - leftW - rightW - gaps)));
}

/**
 * Stroke `lines` from x = pad to x = width - pad, rows of `rowHeight` px, the canvas showing content
 * from `top` down. Focused lines are 2 px wide; the overview's hairlines rasterise far faster.
 */
export function paintLines(
  ctx: CanvasRenderingContext2D,
  lines: readonly Line[],
  opts: { width: number; top: number; rowHeight: number; focused: boolean; bgRgb: RGB },
): void {
  const { width: cssW, top, rowHeight, bgRgb } = opts;
  ctx.lineWidth = opts.focused ? 2 : 1;
  ctx.lineCap = "butt";
  const pad = 2;
  // Group by head and opacity bucket: one path per group keeps 10^4 lines fast.
  const groups = new Map<number, Map<number, number[]>>();
  for (const l of lines) {
    let byAlpha = groups.get(l.head);
    if (!byAlpha) groups.set(l.head, (byAlpha = new Map()));
    const bucket = Math.max(1, Math.round(l.weight * ALPHA_BUCKETS));
    let arr = byAlpha.get(bucket);
    if (!arr) byAlpha.set(bucket, (arr = []));
    arr.push(l.from, l.to);
  }
  for (const [head, byAlpha] of groups) {
    ctx.strokeStyle = headColor(head, bgRgb);
    for (const [bucket, pairs] of byAlpha) {
      ctx.globalAlpha = Math.min(1, bucket / ALPHA_BUCKETS);
      // Short paths: rasterisers slow down badly on one huge self-intersecting path.
      for (let start = 0; start < pairs.length; start += 2 * SEGMENTS_PER_PATH) {
        const end = Math.min(pairs.length, start + 2 * SEGMENTS_PER_PATH);
        ctx.beginPath();
        for (let k = start; k < end; k += 2) {
          ctx.moveTo(pad, rowCenter(pairs[k]!, rowHeight) - top);
          ctx.lineTo(cssW - pad, rowCenter(pairs[k + 1]!, rowHeight) - top);
        }
        ctx.stroke();
      }
    }
  }
  ctx.globalAlpha = 1;
}
