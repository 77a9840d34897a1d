/**
 * Heatmap tiles in a saved page (briefs/lod-wire.md): the page holds each saved layer's overview as
 * `attention_tile_heads` (every head's pooled plane) and answers any `attention_tile` request for a
 * subset of heads by averaging the chosen planes — the kernel's formula (mean over the heads of the
 * per-head pooled value) — so head toggles work offline. Keys and the overview level are here too.
 */
import { floatToHalf } from "./decode";
import { decodeArray } from "./decode";
import { requestKey, type Request } from "./replies";
import type { DType } from "./types";

/** Cells per tile side. */
export const TILE = 512;

/** The overview's block: the smallest power of two b with ceil(nq / b) ≤ TILE and ceil(nk / b) ≤ TILE. */
export function overviewBlock(nq: number, nk: number): number {
  let b = 1;
  while (Math.ceil(nq / b) > TILE || Math.ceil(nk / b) > TILE) b *= 2;
  return b;
}

/** `all` when every head is chosen, else the sorted indices joined by commas. */
export function headsPart(heads: readonly number[], nHeads: number): string {
  const hs = [...new Set(heads)].sort((a, b) => a - b);
  return hs.length === nHeads && hs.every((h, i) => h === i) ? "all" : hs.join(",");
}

export interface TileSpec {
  layer: number;
  pool: "max" | "mean";
  block: number;
  row: number;
  col: number;
}

export function tileRequest(stack: string, t: TileSpec, heads: readonly number[], nHeads: number): Request {
  const hs = [...new Set(heads)].sort((a, b) => a - b);
  const extra = [t.pool, String(t.block), String(t.row), String(t.col), headsPart(hs, nHeads)];
  return { what: "attention_tile", stack, layer: t.layer, extra, params: { heads: hs, pool: t.pool, block: t.block, row: t.row, col: t.col } };
}

export function tileHeadsRequest(stack: string, t: TileSpec): Request {
  const extra = [t.pool, String(t.block), String(t.row), String(t.col)];
  return { what: "attention_tile_heads", stack, layer: t.layer, extra, params: { pool: t.pool, block: t.block, row: t.row, col: t.col } };
}

/** The overview tile of `layer` for `heads` (what the heatmap draws first, and prefetches). */
export function overviewTileRequest(stack: string, layer: number, heads: readonly number[], nHeads: number, nq: number, nk: number, pool: "max" | "mean" = "max"): Request {
  return tileRequest(stack, { layer, pool, block: overviewBlock(nq, nk), row: 0, col: 0 }, heads, nHeads);
}

/** Mean of the chosen heads' planes of `tiles` ([H, cells]) → [cells]. */
export function averageHeads(tiles: Float32Array, nHeads: number, heads: readonly number[]): Float32Array {
  const cells = tiles.length / Math.max(1, nHeads);
  const out = new Float32Array(cells);
  for (const h of heads) {
    const base = h * cells;
    for (let c = 0; c < cells; c++) out[c]! += tiles[base + c]!;
  }
  for (let c = 0; c < cells; c++) out[c]! /= heads.length;
  return out;
}

type Unpacked = { arrays: Record<string, unknown>; buffers: DataView[]; data: Record<string, unknown> };
type Message = { content: Record<string, unknown>; buffers?: DataView[] };

function half(values: Float32Array): DataView {
  const view = new DataView(new ArrayBuffer(values.length * 2));
  for (let k = 0; k < values.length; k++) view.setUint16(k * 2, floatToHalf(values[k]!), true);
  return view;
}

export const ZOOM_NEEDS_KERNEL = "zoom needs a running kernel: this page holds the overview only";

/** The fields of an `attention_tile` request, or a message saying which one is wrong. */
function tileFields(c: Record<string, unknown>): (TileSpec & { stack: string; heads: number[] }) | string {
  const int = (x: unknown) => (typeof x === "number" && Number.isInteger(x) && x >= 0 ? x : null);
  const [layer, block, row, col] = [int(c.layer), int(c.block), int(c.row), int(c.col)];
  const heads = Array.isArray(c.heads) ? c.heads.filter((h): h is number => int(h) !== null) : [];
  if (layer === null || block === null || row === null || col === null) return "attention_tile needs integer layer, block, row and col ≥ 0";
  if (heads.length === 0 || heads.length !== (c.heads as unknown[]).length) return "attention_tile needs a non-empty list of head indices";
  if (c.pool !== "max" && c.pool !== "mean") return `attention_tile pool must be "max" or "mean", not ${JSON.stringify(c.pool)}`;
  return { stack: String(c.stack), layer, block, row, col, heads, pool: c.pool };
}

/**
 * A saved page's answer to an `attention_tile` request `c` (key `key`): the mean of the held
 * per-head planes, or an error saying that this tile needs a running kernel.
 */
export async function answerTile(c: Record<string, unknown>, key: string, find: (key: string) => Promise<Unpacked | undefined>): Promise<Message> {
  const id = c.id;
  const f = tileFields(c);
  if (typeof f === "string") return { content: { kind: "error", key, id, message: f } };
  const source = await find(requestKey("attention_tile_heads", f.stack, f.layer, undefined, tileHeadsRequest(f.stack, f).extra));
  const spec = source?.arrays.tiles as { dtype: DType; shape: number[]; buffer: number } | undefined;
  if (!source || !spec) {
    const what = f.row === 0 && f.col === 0 && f.block >= 1 ? `This ${f.pool}-pooled tile of layer ${f.layer} was not saved` : "This zoomed tile was not saved";
    return { content: { kind: "error", key, id, message: `${what} in this page; ${ZOOM_NEEDS_KERNEL}.` } };
  }
  const [nHeads = 0, rows = 0, cols = 0] = spec.shape;
  if (f.heads.some((h) => h >= nHeads)) return { content: { kind: "error", key, id, message: `attention_tile heads must be below ${nHeads}` } };
  const planes = decodeArray({ dtype: spec.dtype, shape: spec.shape, buffer: source.buffers[spec.buffer]! });
  const tile = averageHeads(planes, nHeads, f.heads);
  return {
    content: { kind: "reply", what: "attention_tile", key, id, arrays: { tile: { dtype: "float16", shape: [rows, cols], buffer: 0 } }, data: source.data },
    buffers: [half(tile)],
  };
}
