/**
 * Lines mode of the head view: the lines canvas width and the painting of the selected lines (one path
 * per head, opacity bucket and run of segments, which keeps 10^4 lines fast).
 */
import { headColor, type RGB } from "../../colors";
import { sizeCanvas } from "../common/index";
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

/** A small least-recently-used map: the overview of the last few layers, so scrubbing back is a blit. */
export class Lru<V> {
  private readonly items = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    const v = this.items.get(key);
    if (v !== undefined) {
      this.items.delete(key);
      this.items.set(key, v);
    }
    return v;
  }
  set(key: string, value: V): void {
    this.items.delete(key);
    this.items.set(key, value);
    while (this.items.size > this.max) this.items.delete(this.items.keys().next().value as string);
  }
  get size(): number {
    return this.items.size;
  }
}

/** Identity of an attention object (a replaced reply gets a new one), for cache keys. */
const ids = new WeakMap<object, number>();
let nextId = 1;
export function objectId(o: object): number {
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = nextId++));
  return id;
}

/**
 * Paint through `cache`: a hit copies the kept bitmap onto `ctx` (width × height CSS px); a miss paints
 * into a new bitmap of the same size, keeps it and copies it. An empty key paints onto `ctx` directly.
 */
export function cachedPaint<T>(
  ctx: CanvasRenderingContext2D,
  cache: Lru<{ bitmap: HTMLCanvasElement; value: T }>,
  key: string,
  width: number,
  height: number,
  paint: (c: CanvasRenderingContext2D) => T,
): T {
  const hit = key ? cache.get(key) : undefined;
  if (hit) {
    ctx.drawImage(hit.bitmap, 0, 0, width, height);
    return hit.value;
  }
  const bitmap = key ? ctx.canvas.ownerDocument.createElement("canvas") : null;
  const target = bitmap ? sizeCanvas(bitmap, width, height) : ctx;
  if (!bitmap || !target) return paint(ctx);
  const value = paint(target);
  cache.set(key, { bitmap, value });
  ctx.drawImage(bitmap, 0, 0, width, height);
  return value;
}
