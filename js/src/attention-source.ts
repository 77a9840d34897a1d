/**
 * The head view's attention read through a widget's reply cache: whole layers (`attention`, used by the
 * heatmap until the zoomable heatmap lands) and the level-of-detail rows (`attention_rows` windows and
 * exact `attention_row`s, asked for through the widget's request queue).
 */
import { keyOf, requestKey, type DecodedArray, type Reply, type ReplyCache, type Request } from "./replies";
import type { RequestQueue } from "./request-queue";
import type { AttentionSource, LayerAttention, LayerState } from "./types";

/** Attention of one stack through the reply cache (`attention:<stack>:<layer>`), for the head view. */
export function attentionSource(cache: ReplyCache, stack: string, nLayers: number): AttentionSource {
  const memo = new Map<number, { reply: Reply; att: LayerAttention }>();
  return {
    get(layer) {
      const reply = cache.get(requestKey("attention", stack, layer));
      const a = reply?.arrays.attention;
      if (!reply || !a) return undefined;
      const m = memo.get(layer);
      if (m && m.reply === reply) return m.att;
      if (a.shape.length !== 3 || a.values instanceof Uint32Array) return undefined;
      const att: LayerAttention = { heads: a.shape[0]!, nq: a.shape[1]!, nk: a.shape[2]!, data: a.values, scale: a.scale };
      memo.set(layer, { reply, att });
      return att;
    },
    state: (layer) => cache.state(requestKey("attention", stack, layer)),
    ensure(layer) {
      if (Number.isInteger(layer) && layer >= 0 && layer < nLayers) cache.request({ what: "attention", stack, layer });
    },
    subscribe: (fn) => cache.subscribe(fn),
  };
}

// ---- level of detail: the head view's rows (briefs/lod-wire.md) -------------------------------

/** Rows per `attention_rows` request (aligned windows) and strongest keys per head and row. */
export const ROWS_WINDOW = 64;
export const ROWS_K = 8;

/** One `attention_rows` reply: for each head and row, the k strongest keys (largest first). */
export interface RowsWindow {
  start: number;
  rows: number;
  k: number;
  heads: number;
  /** [heads, rows, k]: key index of each line. */
  index: Uint32Array;
  /** [heads, rows, k]: exact weight. */
  weight: Float32Array;
  /** [heads, rows]: sum of the row's k weights (how much of the row the lines show). */
  mass: Float32Array;
}

/** One exact `attention_row` reply: [heads, n] over keys ("query" side) or over queries ("key"). */
export interface FullRow {
  side: "query" | "key";
  index: number;
  heads: number;
  n: number;
  weights: Float32Array;
}

/** Aligned window starts covering rows [first, end) of `n` rows. */
export function windowStarts(first: number, end: number, n: number, size = ROWS_WINDOW): number[] {
  const a = Math.max(0, Math.min(n, first));
  const b = Math.max(a, Math.min(n, end));
  const out: number[] = [];
  if (b <= a) return out;
  for (let s = Math.floor(a / size) * size; s < b; s += size) out.push(s);
  return out;
}

export function rowsRequest(stack: string, layer: number, start: number, count = ROWS_WINDOW, k = ROWS_K): Request {
  return { what: "attention_rows", stack, layer, extra: [String(start), String(count), String(k)], params: { start, count, k } };
}

export function rowRequest(stack: string, layer: number, side: "query" | "key", index: number): Request {
  return { what: "attention_row", stack, layer, extra: [side, String(index)], params: { index, side } };
}

function floats(a: DecodedArray | undefined): Float32Array | null {
  if (!a || !(a.values instanceof Float32Array)) return null;
  return a.scale === 1 ? a.values : a.values.map((v) => v * a.scale);
}

/** A decoded `attention_rows` reply as a RowsWindow, or undefined when it is malformed. */
export function rowsWindowOf(reply: Reply): RowsWindow | undefined {
  const idx = reply.arrays.index;
  const weight = floats(reply.arrays.weight);
  const mass = floats(reply.arrays.mass);
  if (!idx || !(idx.values instanceof Uint32Array) || !weight || !mass || idx.shape.length !== 3) return undefined;
  const [heads, rows, k] = idx.shape as [number, number, number];
  const start = Number(reply.data.start);
  if (weight.length !== heads * rows * k || mass.length !== heads * rows || !Number.isInteger(start)) return undefined;
  return { start, rows, k, heads, index: idx.values, weight, mass };
}

export interface RowsSource {
  /** The held window of `layer` starting at `start` (a multiple of ROWS_WINDOW). */
  window(layer: number, start: number): RowsWindow | undefined;
  windowState(layer: number, start: number): LayerState;
  /** The exact row (side "query") or column (side "key") of token `index`. */
  row(layer: number, side: "query" | "key", index: number): FullRow | undefined;
  rowState(layer: number, side: "query" | "key", index: number): LayerState;
  /** Ask (through the widget's request queue) for these windows / this row. */
  want(layer: number, starts: readonly number[]): void;
  wantRow(layer: number, side: "query" | "key", index: number): void;
  /** The requests that fetch these windows (for prefetching), none beyond the stack's layers. */
  requests(layer: number, starts: readonly number[]): Request[];
  subscribe(fn: () => void): () => void;
}

/** The head view's rows of one stack, through the reply cache and the widget's request queue. */
export function rowsSource(cache: ReplyCache, queue: RequestQueue, stack: string, nLayers: number): RowsSource {
  const memo = new WeakMap<Reply, RowsWindow | FullRow | null>();
  const valid = (layer: number) => Number.isInteger(layer) && layer >= 0 && layer < nLayers;
  const requests = (layer: number, starts: readonly number[]) => (valid(layer) ? starts.map((s) => rowsRequest(stack, layer, s)) : []);
  return {
    window(layer, start) {
      const reply = cache.get(keyOf(rowsRequest(stack, layer, start)));
      if (!reply) return undefined;
      if (!memo.has(reply)) memo.set(reply, rowsWindowOf(reply) ?? null);
      return (memo.get(reply) as RowsWindow | null) ?? undefined;
    },
    windowState: (layer, start) => cache.state(keyOf(rowsRequest(stack, layer, start))),
    row(layer, side, index) {
      const reply = cache.get(keyOf(rowRequest(stack, layer, side, index)));
      if (!reply) return undefined;
      if (!memo.has(reply)) {
        const w = floats(reply.arrays.weights);
        const shape = reply.arrays.weights?.shape ?? [];
        const ok = w && shape.length === 2 && w.length === shape[0]! * shape[1]!;
        memo.set(reply, ok ? { side, index, heads: shape[0]!, n: shape[1]!, weights: w } : null);
      }
      return (memo.get(reply) as FullRow | null) ?? undefined;
    },
    rowState: (layer, side, index) => cache.state(keyOf(rowRequest(stack, layer, side, index))),
    want(layer, starts) {
      for (const r of requests(layer, starts)) queue.want(r);
    },
    wantRow(layer, side, index) {
      if (valid(layer)) queue.want(rowRequest(stack, layer, side, index), "focus-row"); // only the latest hovered waits
    },
    requests,
    subscribe: (fn) => cache.subscribe(fn),
  };
}
