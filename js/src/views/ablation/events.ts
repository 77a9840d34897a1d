/** The ablation view's listeners: run, clear, mode, unmarking a part. */
import { listen } from "../../dom";
import type { Store } from "../../store";
import type { AblationDom } from "./dom";

export function bindAblationEvents(d: AblationDom, store: Store, run: () => void): (() => void)[] {
  return [
    listen(d.run, "click", run),
    listen(d.clear, "click", () => store.set({ ablate: [] })),
    listen(d.modeSel, "change", () => store.set({ ablate_mode: d.modeSel.value === "mean" ? "mean" : "zero" })),
    listen<MouseEvent>(d.marked, "click", (e) => {
      const b = e.target instanceof Element ? e.target.closest("[data-part]") : null;
      const name = b?.getAttribute("data-part");
      if (name) store.set({ ablate: store.get().ablate.filter((x) => x !== name) });
    }),
  ];
}
