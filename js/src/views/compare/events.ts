/** The compare view's listeners: Compare (button or Enter), clicks on A's tokens. */
import { listen } from "../../dom";
import type { Store } from "../../store";
import type { CompareDom } from "./dom";

export function bindCompareEvents(d: CompareDom, store: Store, submit: () => void): (() => void)[] {
  return [
    listen(d.go, "click", submit),
    listen<KeyboardEvent>(d.input, "keydown", (e) => {
      if (e.key === "Enter") submit();
    }),
    listen<MouseEvent>(d.grid, "click", (e) => {
      const b = e.target instanceof Element ? e.target.closest("[data-position]") : null;
      if (!b) return;
      const i = Number(b.getAttribute("data-position"));
      store.set({ token: store.get().token === i ? null : i });
    }),
  ];
}
