/** The logit lens's listeners: hover (tooltip), clicks on cells and position buttons, scrolling. */
import { listen } from "../../dom";
import type { Store } from "../../store";
import { showTip, type LensDom } from "./dom";
import { lensCellAt, type LensTable } from "./layout";

export interface LensState {
  table: LensTable | null;
  hover: { layer: number; position: number } | null;
}

export interface LensContext {
  positions: readonly string[];
  layers(): number;
  nPos(): number;
  /** The cell width now. */
  cellW(): number;
  /** Layers of the shown stack (a click selects at most its last layer). */
  stackLayers: number;
  /** Redraw on the next frame. */
  changed(): void;
  /** The stage scrolled to `left`. */
  scrolled(left: number): void;
}

export function bindLensEvents(d: LensDom, store: Store, st: LensState, c: LensContext): (() => void)[] {
  const cellOf = (e: MouseEvent) => {
    const r = d.stage.getBoundingClientRect();
    return lensCellAt(e.clientX - r.left, e.clientY - r.top, c.layers(), c.nPos(), c.cellW());
  };
  const move = (e: MouseEvent) => {
    const cell = cellOf(e);
    if (cell?.layer !== st.hover?.layer || cell?.position !== st.hover?.position) {
      st.hover = cell;
      c.changed();
    }
    if (!cell || !st.table) d.tip.hidden = true;
    else showTip(d, st.table, cell, c.positions[cell.position] ?? "", { x: e.clientX, y: e.clientY });
  };
  return [
    listen<MouseEvent>(d.canvas, "mousemove", move),
    listen<MouseEvent>(d.canvas, "mouseleave", () => {
      st.hover = null;
      d.tip.hidden = true;
      c.changed();
    }),
    listen<MouseEvent>(d.canvas, "click", (e) => {
      const cell = cellOf(e);
      if (cell) store.set({ layer: Math.min(cell.layer, c.stackLayers - 1), token: cell.position });
    }),
    listen<MouseEvent>(d.header, "click", (e) => {
      const b = e.target instanceof Element ? e.target.closest("[data-position]") : null;
      if (!b) return;
      const p = Number(b.getAttribute("data-position"));
      store.set({ token: store.get().token === p ? null : p });
    }),
    listen(d.scroll, "scroll", () => c.scrolled(d.scroll.scrollLeft), { passive: true }),
  ];
}
