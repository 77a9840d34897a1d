/**
 * Token labels along the map's edges at full resolution (block 1, cells ≥ MIN_LABEL_CELL px): query
 * tokens left of their rows, key tokens angled above their columns, only for the tokens on screen.
 * Text via textContent only, truncated, the full token in `title`. Otherwise the edges name the
 * token ranges shown.
 */
import { h } from "../../../dom";
import { formatToken } from "../../../tokens";
import type { Rect } from "./levels";
import { toPx, type Viewport } from "./viewport";

export const MIN_LABEL_CELL = 9;
const ROW_CHARS = 12;
const COL_CHARS = 8;

/** Whether labels are shown at this block and scale. */
export function showLabels(block: number, tpp: number): boolean {
  return block === 1 && 1 / tpp >= MIN_LABEL_CELL - 1e-9;
}

function label(doc: Document, raw: string, index: number, chars: number, side: "query" | "key"): HTMLElement {
  const d = formatToken(raw, chars);
  const el = h(doc, "span", { title: `${d.title} (${side} ${index})`, "data-label-side": side, "data-label-index": String(index) });
  el.textContent = d.segments.map((s) => s.text).join("");
  return el;
}

export function edgeLabels(gutter: HTMLElement, band: HTMLElement, queryTokens: readonly string[], keyTokens: readonly string[]) {
  const doc = gutter.ownerDocument;
  let last = "";
  const axisText = (text: string, css: string) => {
    const el = h(doc, "span", { class: "al-zoom-axis" }, text);
    el.style.cssText = `position:absolute;color:var(--al-muted);font-size:11px;white-space:nowrap;${css}`;
    return el;
  };
  const ranges = (rect: Rect) => {
    gutter.replaceChildren(axisText(`queries ↓\n${rect.r0}–${Math.max(rect.r0, rect.r1 - 1)}`, "top:2px;right:6px;text-align:right;white-space:pre"));
    band.replaceChildren(axisText(`keys → ${rect.c0}–${Math.max(rect.c0, rect.c1 - 1)}`, "bottom:4px;left:2px"));
  };
  const tokens = (vp: Viewport, rect: Rect) => {
    const cell = 1 / vp.tpp;
    const font = Math.min(12, Math.max(8, Math.floor(cell - 1)));
    const rows: HTMLElement[] = [];
    for (let i = rect.r0; i < rect.r1; i++) {
      const el = label(doc, queryTokens[i] ?? "", i, ROW_CHARS, "query");
      const y = toPx(vp, i, 0).y + cell / 2;
      el.style.cssText = `position:absolute;right:6px;top:${y}px;transform:translateY(-50%);font:${font}px var(--al-mono,monospace);white-space:pre;line-height:1`;
      rows.push(el);
    }
    const cols: HTMLElement[] = [];
    for (let j = rect.c0; j < rect.c1; j++) {
      const el = label(doc, keyTokens[j] ?? "", j, COL_CHARS, "key");
      const x = toPx(vp, 0, j).x + cell / 2 - font / 2;
      el.style.cssText = `position:absolute;left:${x}px;bottom:3px;transform-origin:0 100%;transform:rotate(-60deg) translateX(2px);font:${font}px var(--al-mono,monospace);white-space:pre;line-height:1`;
      cols.push(el);
    }
    gutter.replaceChildren(...rows);
    band.replaceChildren(...cols);
  };
  return {
    update(vp: Viewport, rect: Rect, block: number) {
      const on = showLabels(block, vp.tpp);
      const sig = on ? `t:${vp.x}:${vp.y}:${vp.tpp}:${rect.r0}:${rect.r1}:${rect.c0}:${rect.c1}` : `r:${rect.r0}:${rect.r1}:${rect.c0}:${rect.c1}`;
      if (sig === last) return;
      last = sig;
      if (on) tokens(vp, rect);
      else ranges(rect);
    },
  };
}
