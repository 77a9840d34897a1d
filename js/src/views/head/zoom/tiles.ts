/**
 * Which tiles to draw for a viewport, read through the widget's ReplyCache: the target level's tiles
 * are asked for; every held tile of a coarser level (down from the overview, which is always asked
 * for) is drawn first, so a finer tile still on its way leaves the coarser picture, upscaled, in place.
 */
import type { Reply, ReplyCache } from "../../../replies";
import { tileKey, tileRequest, type Pool } from "./keys";
import { levelsDownTo, tileRect, tilesFor, type Rect, type TileRect } from "./levels";
import type { TileData } from "./paint";

export interface Selection {
  layer: number;
  heads: readonly number[];
  pool: Pool;
}

export interface Gathered {
  /** Held tiles to paint, coarsest level first. */
  tiles: TileData[];
  /** The overview tile, when held. */
  overview: TileData | undefined;
  /** Every tile of the target level is held (and among `tiles`). */
  complete: boolean;
  /** The first error of a target-level or overview tile (message), else null. */
  error: { message: string; overview: boolean } | null;
}

/** A reply's `tile` as TileData, checked against the rectangle the spec gives it (else a message). */
export function tileData(reply: Reply, rect: TileRect): TileData | string {
  const a = reply.arrays.tile;
  if (!a) return `${reply.key} has no "tile" array`;
  if (a.shape.length !== 2 || a.shape[0] !== rect.cellsR || a.shape[1] !== rect.cellsC) {
    return `${reply.key} is ${a.shape.join("×")} cells, expected ${rect.cellsR}×${rect.cellsC}`;
  }
  if (a.values instanceof Uint32Array) return `${reply.key} has integer values`;
  return { rect, values: a.values, scale: a.scale };
}

export interface TileSource {
  gather(sel: Selection, block: number, view: Rect): Gathered;
  /** The overview tile with `pool` (asked for when missing), e.g. the max-pooled one for the colour scale. */
  overview(sel: Selection, pool: Pool): TileData | undefined;
}

export function tileSource(cache: ReplyCache, o: { stack: string; nq: number; nk: number; nHeads: number; overview: number }): TileSource {
  const memo = new WeakMap<Reply, TileData | string>();
  const read = (key: string, rect: TileRect): TileData | string | undefined => {
    const reply = cache.get(key);
    if (!reply) {
      const st = cache.state(key);
      return st.state === "error" || st.state === "no-kernel" ? st.message : undefined;
    }
    let d = memo.get(reply);
    if (d === undefined) memo.set(reply, (d = tileData(reply, rect)));
    return d;
  };
  const ask = (sel: Selection, r: TileRect, request: boolean) => {
    const t = { stack: o.stack, layer: sel.layer, pool: sel.pool, block: r.block, row: r.row, col: r.col, heads: sel.heads, nHeads: o.nHeads };
    if (request) cache.request(tileRequest(t));
    return read(tileKey(t), r);
  };
  return {
    gather(sel, block, view) {
      const out: Gathered = { tiles: [], overview: undefined, complete: true, error: null };
      const ovRect = tileRect(o.overview, 0, 0, o.nq, o.nk);
      const ov = ask(sel, ovRect, true);
      if (typeof ov === "string") out.error = { message: ov, overview: true };
      else out.overview = ov;
      for (const level of levelsDownTo(block, o.overview)) {
        const target = level === block;
        for (const r of tilesFor(level, view, o.nq, o.nk)) {
          const d = level === o.overview && r.row === 0 && r.col === 0 ? ov : ask(sel, r, target);
          if (d !== undefined && typeof d !== "string") out.tiles.push(d);
          else if (target) {
            out.complete = false;
            if (typeof d === "string" && !out.error) out.error = { message: d, overview: false };
          }
        }
      }
      return out;
    },
    overview(sel, pool) {
      const d = ask({ ...sel, pool }, tileRect(o.overview, 0, 0, o.nq, o.nk), true);
      return typeof d === "string" ? undefined : d;
    },
  };
}
