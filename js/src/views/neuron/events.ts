/** The neuron view's listeners: head select, token input and arrows, scrolling. */
import { listen } from "../../dom";
import type { Store } from "../../store";
import type { NeuronDom } from "./dom";

export function bindNeuronEvents(d: NeuronDom, store: Store, queries: number, queryOf: () => number, scrolled: () => void): (() => void)[] {
  const setToken = (i: number) => store.set({ token: Math.max(0, Math.min(queries - 1, i)) });
  return [
    listen(d.headSel, "change", () => store.set({ heads: [Number(d.headSel.value)] })),
    listen(d.tokInput, "change", () => {
      const v = Number(d.tokInput.value);
      if (Number.isInteger(v)) setToken(v);
    }),
    listen(d.prev, "click", () => setToken(queryOf() - 1)),
    listen(d.next, "click", () => setToken(queryOf() + 1)),
    listen(d.scroll, "scroll", scrolled, { passive: true }),
  ];
}
