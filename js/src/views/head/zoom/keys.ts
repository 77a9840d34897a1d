/**
 * Requests and keys of the zoomable heatmap, exactly as the wire spec names them:
 * `attention_tile:<stack>:<layer>:<pool>:<block>:<row>:<col>:<heads>` (`all` when every head is chosen),
 * `attention_tile_heads:<stack>:<layer>:<pool>:<block>:<row>:<col>`, `attention_cell:<stack>:<layer>:<row>:<col>`.
 */
import { keyOf, type Request, type What } from "../../../replies";

export type Pool = "max" | "mean";

/** The request kinds of the level-of-detail protocol (not all in replies.ts's `What` yet). */
export type LodWhat = "attention_tile" | "attention_tile_heads" | "attention_cell";

/** `what` for ReplyCache.request: the cache passes any string through; the union may lag behind. */
function asWhat(what: LodWhat): What {
  return what as string as What;
}

/** `all` when `heads` is every head 0..nHeads-1, else the sorted comma-joined indices. */
export function headsPart(heads: readonly number[], nHeads: number): string {
  const sorted = [...new Set(heads)].sort((a, b) => a - b);
  if (sorted.length === nHeads && sorted.every((h, i) => h === i)) return "all";
  return sorted.join(",");
}

export interface TileAsk {
  stack: string;
  layer: number;
  pool: Pool;
  block: number;
  row: number;
  col: number;
  heads: readonly number[];
  nHeads: number;
}

export function tileRequest(t: TileAsk): Request {
  const heads = [...new Set(t.heads)].sort((a, b) => a - b);
  return {
    what: asWhat("attention_tile"),
    stack: t.stack,
    layer: t.layer,
    extra: [t.pool, String(t.block), String(t.row), String(t.col), headsPart(heads, t.nHeads)],
    params: { heads, pool: t.pool, block: t.block, row: t.row, col: t.col },
  };
}

export function tileKey(t: TileAsk): string {
  return keyOf(tileRequest(t));
}

export function tileHeadsRequest(t: Omit<TileAsk, "heads" | "nHeads">): Request {
  return {
    what: asWhat("attention_tile_heads"),
    stack: t.stack,
    layer: t.layer,
    extra: [t.pool, String(t.block), String(t.row), String(t.col)],
    params: { pool: t.pool, block: t.block, row: t.row, col: t.col },
  };
}

export function tileHeadsKey(t: Omit<TileAsk, "heads" | "nHeads">): string {
  return keyOf(tileHeadsRequest(t));
}

export function cellRequest(stack: string, layer: number, row: number, col: number): Request {
  return { what: asWhat("attention_cell"), stack, layer, extra: [String(row), String(col)], params: { row, col } };
}

export function cellKey(stack: string, layer: number, row: number, col: number): string {
  return keyOf(cellRequest(stack, layer, row, col));
}
