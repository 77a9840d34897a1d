/** The MLP view's listeners: neuron and ✂ buttons, token chips, strip scrolling. */
import { listen } from "../../dom";
import type { Store } from "../../store";
import { togglePart } from "../ablation/spec";
import type { MlpDom } from "./dom";

const closest = (e: Event, sel: string) => (e.target instanceof Element ? e.target.closest(sel) : null);

export function bindMlpEvents(d: MlpDom, store: Store, scrolled: () => void): (() => void)[] {
  return [
    listen<MouseEvent>(d.list, "click", (e) => {
      const cut = closest(e, "[data-ablate-neuron]");
      if (cut) {
        const s = store.get();
        const index = Number(cut.getAttribute("data-ablate-neuron"));
        store.set({ ablate: togglePart(s.ablate, { kind: "neuron", layer: s.layer, index }) });
        return;
      }
      const b = closest(e, "[data-neuron]");
      if (!b) return;
      const n = Number(b.getAttribute("data-neuron"));
      store.set({ neuron: store.get().neuron === n ? null : n });
    }),
    listen<MouseEvent>(d.strip, "click", (e) => {
      const b = closest(e, "[data-position]");
      if (!b) return;
      const i = Number(b.getAttribute("data-position"));
      store.set({ token: store.get().token === i ? null : i });
    }),
    listen(d.strip, "scroll", scrolled, { passive: true }),
  ];
}
