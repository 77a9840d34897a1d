/** The attribution view's listeners: method, target and contrast inputs, token clicks and hover. */
import { listen } from "../../dom";
import type { Store } from "../../store";
import type { AttributionDom } from "./dom";

export interface AttributionState {
  target: string;
  contrast: string;
  hoverChip: number | null;
}

const position = (e: Event): number | null => {
  const b = e.target instanceof Element ? e.target.closest("[data-position]") : null;
  return b ? Number(b.getAttribute("data-position")) : null;
};

/** `textChanged`: the target or contrast was entered (ask again); `changed`: redraw. */
export function bindAttributionEvents(d: AttributionDom, store: Store, st: AttributionState, textChanged: () => void, changed: () => void): (() => void)[] {
  const readText = () => {
    st.target = d.targetIn.value;
    st.contrast = d.contrastIn.value;
    textChanged();
  };
  const onEnter = (e: KeyboardEvent) => {
    if (e.key === "Enter") readText();
  };
  return [
    listen(d.methodSel, "change", () => store.set({ method: d.methodSel.value })),
    listen<KeyboardEvent>(d.targetIn, "keydown", onEnter),
    listen<KeyboardEvent>(d.contrastIn, "keydown", onEnter),
    listen(d.targetIn, "change", readText),
    listen(d.contrastIn, "change", readText),
    listen<MouseEvent>(d.strip, "click", (e) => {
      const i = position(e);
      if (i !== null) store.set({ token: store.get().token === i ? null : i });
    }),
    listen<MouseEvent>(d.strip, "mouseover", (e) => {
      st.hoverChip = position(e);
      changed();
    }),
    listen<MouseEvent>(d.strip, "mouseleave", () => {
      st.hoverChip = null;
      changed();
    }),
  ];
}
