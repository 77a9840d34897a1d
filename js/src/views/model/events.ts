/** The model view's listeners: cell clicks (select or mark), hover and focus, arrow keys, mark button. */
import { listen } from "../../dom";
import type { Store } from "../../store";
import { togglePart } from "../ablation/spec";
import { cellFrom, type ModelDom } from "./dom";

const ARROWS: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };

export interface ModelState {
  marking: boolean;
  hover: { layer: number; head: number } | null;
}

export interface ModelCallbacks {
  /** The hover or the marking mode changed: redraw on the next frame. */
  changed(): void;
  /** The marking mode changed: update the marks at once. */
  marks(): void;
}

/** Bind the grid's and the mark button's events; returns the cleanups. */
export function bindModelEvents(d: ModelDom, store: Store, st: ModelState, layers: number, heads: number, cb: ModelCallbacks): (() => void)[] {
  const setHover = (e: Event) => {
    st.hover = cellFrom(e.target);
    cb.changed();
  };
  const move = (e: KeyboardEvent) => {
    const c = cellFrom(e.target);
    const m = c ? ARROWS[e.key] : undefined;
    if (!c || !m) return;
    e.preventDefault();
    const b = d.cells[Math.max(0, Math.min(layers - 1, c.layer + m[0])) * heads + Math.max(0, Math.min(heads - 1, c.head + m[1]))];
    if (!b) return;
    for (const x of d.cells) if (x.tabIndex === 0) x.tabIndex = -1;
    b.tabIndex = 0;
    b.focus();
  };
  return [
    listen<MouseEvent>(d.overlay, "click", (e) => {
      const c = cellFrom(e.target);
      if (!c) return;
      if (st.marking) store.set({ ablate: togglePart(store.get().ablate, { kind: "head", layer: c.layer, index: c.head }) });
      else store.set({ layer: c.layer, heads: [c.head] });
    }),
    listen(d.markBtn, "click", () => {
      st.marking = !st.marking;
      cb.marks();
      cb.changed();
    }),
    listen<MouseEvent>(d.overlay, "mouseover", setHover),
    listen<MouseEvent>(d.overlay, "mouseleave", () => {
      st.hover = null;
      cb.changed();
    }),
    listen<FocusEvent>(d.overlay, "focusin", setHover),
    listen<KeyboardEvent>(d.overlay, "keydown", move),
  ];
}
