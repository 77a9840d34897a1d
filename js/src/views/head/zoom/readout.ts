/**
 * The hover readout: the exact value of the token cell under the pointer, asked for with
 * `attention_cell` (after a short pause of the pointer; replies cached by key), shown as the mean over
 * the shown heads of the exact per-head weights. While the colours are pooled, it also says which block
 * the colour under the pointer comes from; a pooled value is never shown as the cell's value.
 * Attributes for tests: data-row, data-col, data-value (the number shown, full precision; "" while asked).
 */
import type { ReplyCache } from "../../../replies";
import { quoteToken } from "../../../tokens";
import { cellKey, cellRequest, type Pool } from "./keys";
import { blockAround } from "./levels";

/** Pause of the pointer before a cell is asked for (ms). */
export const CELL_DEBOUNCE_MS = 30;

export interface Hover {
  row: number;
  col: number;
}

/** Mean over `heads` of the per-head weights, or null when a head is missing. */
export function meanOver(weights: ArrayLike<number>, heads: readonly number[], scale = 1): number | null {
  if (heads.length === 0) return null;
  let s = 0;
  for (const h of heads) {
    if (h < 0 || h >= weights.length) return null;
    s += weights[h]! * scale;
  }
  return s / heads.length;
}

export function cellText(q: string, k: string, cell: Hover, value: number | null, nHeads: number): string {
  const v = value === null ? "…" : value.toPrecision(4);
  return `from ${quoteToken(q)} (${cell.row}) to ${quoteToken(k)} (${cell.col}): ${v} (exact; mean of ${nHeads} head${nHeads === 1 ? "" : "s"})`;
}

/** What the colour under the pointer is (empty at block 1, where the colour is the cell itself). */
export function pooledText(cell: Hover, block: number, pool: Pool, nq: number, nk: number): string {
  if (block <= 1) return "";
  const [r0, r1] = blockAround(cell.row, block, nq);
  const [c0, c1] = blockAround(cell.col, block, nk);
  return `colour here: ${pool} of queries ${r0}–${r1 - 1} × keys ${c0}–${c1 - 1} (${block}×${block} block)`;
}

export interface ReadoutContext {
  cache: ReplyCache;
  stack: string;
  queryTokens: readonly string[];
  keyTokens: readonly string[];
  nq: number;
  nk: number;
}

/** Keeps the readout element in step with the hovered cell; `update` is called on every draw. */
export function cellReadout(el: HTMLElement, ctx: ReadoutContext, schedule: () => void) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending: string | null = null;
  const ask = (layer: number, cell: Hover) => {
    const key = cellKey(ctx.stack, layer, cell.row, cell.col);
    if (ctx.cache.has(key) || pending === key) return key;
    if (timer !== undefined) clearTimeout(timer);
    pending = key;
    timer = setTimeout(() => {
      timer = undefined;
      pending = null;
      ctx.cache.request(cellRequest(ctx.stack, layer, cell.row, cell.col));
      schedule();
    }, CELL_DEBOUNCE_MS);
    return key;
  };
  return {
    update(layer: number, heads: readonly number[], cell: Hover | null, block: number, pool: Pool) {
      if (!cell) {
        el.textContent = heads.length ? "Hover a cell for its exact value; click a row to lock that query token." : "";
        for (const a of ["data-row", "data-col", "data-value"]) el.removeAttribute(a);
        return;
      }
      const key = ask(layer, cell);
      const w = ctx.cache.get(key)?.arrays.weights;
      const st = ctx.cache.state(key);
      const value = w ? meanOver(w.values, heads, w.scale) : null;
      const pooled = pooledText(cell, block, pool, ctx.nq, ctx.nk);
      const problem = !w && (st.state === "error" || st.state === "no-kernel") ? ` (${st.message})` : "";
      el.textContent = cellText(ctx.queryTokens[cell.row] ?? "", ctx.keyTokens[cell.col] ?? "", cell, value, heads.length) + problem + (pooled ? `\n${pooled}` : "");
      el.style.whiteSpace = "pre-line";
      el.setAttribute("data-row", String(cell.row));
      el.setAttribute("data-col", String(cell.col));
      el.setAttribute("data-value", value === null ? "" : String(value));
    },
    destroy() {
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
