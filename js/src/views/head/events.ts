/** The head view's DOM events: hover / focus / click on the token labels, the mode button, scrolling. */
import { listen } from "../../dom";
import type { Store } from "../../store";
import type { Side } from "./layout";
import type { Skeleton } from "./skeleton";

export interface LabelActions {
  /** Hover (or keyboard focus) moved onto token `i` of `side`. */
  hover(i: number, side: Side): void;
  lock(i: number, side: Side): void;
  /** The scroll box moved (update the offset, re-render the label window, redraw). */
  scrolled(): void;
}

const labelOf = (t: EventTarget | null): HTMLElement | null =>
  t instanceof Element ? (t.closest("[data-token-index]") as HTMLElement | null) : null;
const indexOf = (b: HTMLElement) => Number(b.getAttribute("data-token-index"));
const sideOf = (b: HTMLElement): Side => (b.getAttribute("data-side") === "right" ? "right" : "left");

/** Bind the events; returns the functions that unbind them. */
export function bindEvents(sk: Skeleton, store: Store, act: LabelActions): (() => void)[] {
  const hoverLabel = (b: HTMLElement | null) => {
    if (b) act.hover(indexOf(b), sideOf(b));
  };
  return [
    listen<MouseEvent>(sk.grid, "click", (e) => {
      const b = labelOf(e.target);
      if (b) act.lock(indexOf(b), sideOf(b));
    }),
    listen<MouseEvent>(sk.grid, "mouseover", (e) => hoverLabel(labelOf(e.target))),
    listen<MouseEvent>(sk.grid, "mouseout", (e) => {
      const b = labelOf(e.target);
      if (b && !(e.relatedTarget instanceof Node && b.contains(e.relatedTarget))) store.set({ hover: null });
    }),
    listen<FocusEvent>(sk.grid, "focusin", (e) => hoverLabel(labelOf(e.target))),
    listen<FocusEvent>(sk.grid, "focusout", () => store.set({ hover: null })),
    listen(sk.modeBtn, "click", () => {
      store.set({ mode: store.get().mode === "heatmap" ? "lines" : "heatmap" });
    }),
    listen(sk.scroll, "scroll", () => act.scrolled(), { passive: true }),
  ];
}
