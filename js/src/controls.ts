/** Shared controls: the layer slider and the head toggles. Each returns its cleanup. */
import { headColor } from "./colors";
import { h, listen } from "./dom";
import type { Store } from "./store";
import type { StackMeta } from "./types";
import { readTheme, watchTheme } from "./theme";
import { soloHead, toggleHead } from "./views/head/layout";

/** "Layer 2 (layers 0–5)": 0-based like Python, with the range spelled out. */
export function layerText(layer: number, nLayers: number): string {
  return nLayers <= 1 ? `Layer ${layer} (the only layer)` : `Layer ${layer} (layers 0–${nLayers - 1})`;
}

export function mountLayerSlider(el: HTMLElement, store: Store, nLayers: number): () => void {
  const doc = el.ownerDocument;
  const wrap = h(doc, "div", { class: "al-layer" });
  const label = h(doc, "label", { class: "al-layer-label" });
  const text = h(doc, "span", { class: "al-layer-text" });
  const input = h(doc, "input", {
    type: "range",
    min: "0",
    max: String(Math.max(0, nLayers - 1)),
    step: "1",
    "data-control": "layer",
    title: "Drag or use the arrow keys to change the layer (numbered from 0, as in Python)",
  });
  label.append(text, input);
  wrap.append(label);
  el.append(wrap);
  if (nLayers <= 1) input.disabled = true;

  const update = () => {
    const layer = store.get().layer;
    if (input.value !== String(layer)) input.value = String(layer);
    text.textContent = layerText(layer, nLayers);
    input.setAttribute("aria-valuetext", `layer ${layer}, layers numbered 0 to ${Math.max(0, nLayers - 1)}`);
  };
  const offs = [
    listen(input, "input", () => {
      const v = Number(input.value);
      if (Number.isInteger(v)) store.set({ layer: v });
    }),
    store.subscribe((s, prev) => {
      if (s.layer !== prev.layer) update();
    }),
  ];
  update();
  return () => {
    for (const off of offs) off();
    wrap.remove();
  };
}

/** The head toggles' DOM: one button (swatch, number) per head, "Show all" / "Hide all", a hint. */
function buildHeadToggles(el: HTMLElement, nHeads: number) {
  const doc = el.ownerDocument;
  const wrap = h(doc, "div", { class: "al-heads", role: "group", "aria-label": "heads" });
  const title = h(doc, "span", { class: "al-heads-title" }, "Heads");
  const list = h(doc, "div", { class: "al-heads-list" });
  const all = h(doc, "button", { type: "button", class: "al-btn al-btn-small", "data-control": "heads-all" });
  const hint = h(doc, "span", { class: "al-hint al-heads-hint" }, "click a head to show or hide it; double-click or Alt+click to show only that head");
  const buttons: HTMLButtonElement[] = [];
  for (let i = 0; i < nHeads; i++) {
    const b = h(doc, "button", { type: "button", class: "al-head-toggle", "data-control": "head", "data-head": String(i) });
    const sw = h(doc, "span", { class: "al-swatch", "aria-hidden": "true" });
    const num = h(doc, "span", { class: "al-head-num", "aria-hidden": "true" }, String(i));
    b.append(sw, num);
    buttons.push(b);
    list.append(b);
  }
  wrap.append(title, list, all, hint);
  el.append(wrap);
  return { wrap, list, all, buttons };
}

/** A head toggle's label and title. */
export function headToggleText(i: number, on: boolean): { label: string; title: string } {
  const state = on ? "shown" : "hidden";
  return { label: `head ${i}, ${state}`, title: `head ${i} (${state}): click to ${on ? "hide" : "show"}, double-click to show only this head` };
}

export function mountHeadToggles(el: HTMLElement, store: Store, nHeads: number): () => void {
  const doc = el.ownerDocument;
  const { wrap, list, all, buttons } = buildHeadToggles(el, nHeads);

  // Head colours depend on the background (light / dark palette): set now and on theme changes.
  const paint = () => {
    const bg = readTheme(wrap).bgRgb;
    buttons.forEach((b, i) => b.style.setProperty("--al-head-color", headColor(i, bg)));
  };
  paint();

  const update = () => {
    const shown = new Set(store.get().heads);
    buttons.forEach((b, i) => {
      const on = shown.has(i);
      const t = headToggleText(i, on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
      b.setAttribute("aria-label", t.label);
      b.title = t.title;
    });
    const everything = shown.size >= nHeads;
    all.textContent = everything ? "Hide all" : "Show all";
    all.setAttribute("aria-label", everything ? "hide all heads" : "show all heads");
  };

  const headOf = (t: EventTarget | null) => {
    const b = t instanceof Element ? t.closest("[data-control='head']") : null;
    return b ? Number(b.getAttribute("data-head")) : null;
  };
  const offs = [
    listen<MouseEvent>(list, "click", (e) => {
      const hd = headOf(e.target);
      if (hd === null) return;
      const heads = store.get().heads;
      store.set({ heads: e.altKey ? soloHead(heads, hd, nHeads) : toggleHead(heads, hd) });
    }),
    listen<MouseEvent>(list, "dblclick", (e) => {
      const hd = headOf(e.target);
      if (hd === null) return;
      // The two clicks before a dblclick toggled the head twice (net: unchanged); now solo it.
      store.set({ heads: soloHead(store.get().heads, hd, nHeads) });
    }),
    listen(all, "click", () => {
      const everything = store.get().heads.length >= nHeads;
      store.set({ heads: everything ? [] : Array.from({ length: nHeads }, (_, i) => i) });
    }),
    store.subscribe((s, prev) => {
      if (s.heads !== prev.heads) update();
    }),
    watchTheme(doc, paint),
  ];
  // The host may attach the widget to the page after render (JupyterLab does): styles are only known
  // then. A ResizeObserver reports the first layout, so the colours are read again at that point.
  const win = doc.defaultView;
  if (win && typeof win.ResizeObserver === "function") {
    let painted = "";
    const ro = new win.ResizeObserver(() => {
      const key = readTheme(wrap).bg;
      if (key !== painted) {
        painted = key;
        paint();
      }
    });
    ro.observe(wrap);
    offs.push(() => ro.disconnect());
  }
  update();
  return () => {
    for (const off of offs) off();
    wrap.remove();
  };
}

/** View picker: one toggle button per view (`data-control="view"`, `data-view-name`); at least one stays on. */
export function mountViewPicker(
  el: HTMLElement,
  store: Store,
  names: readonly string[],
  titles: Readonly<Record<string, string>>,
): () => void {
  const doc = el.ownerDocument;
  const wrap = h(doc, "div", { class: "al-picker", role: "group", "aria-label": "views shown" });
  wrap.append(h(doc, "span", { class: "al-picker-title" }, "Views"));
  const buttons = names.map((name) => {
    const b = h(doc, "button", { type: "button", class: "al-btn al-btn-small al-pick", "data-control": "view", "data-view-name": name });
    b.textContent = titles[name] ?? name;
    wrap.append(b);
    return b;
  });
  el.append(wrap);
  const current = () => store.get().view.split(",").filter(Boolean);
  const update = () => {
    const on = new Set(current());
    buttons.forEach((b, i) => {
      const name = names[i]!;
      const pressed = on.has(name);
      b.setAttribute("aria-pressed", pressed ? "true" : "false");
      b.setAttribute("aria-label", `${titles[name] ?? name}: ${pressed ? "shown" : "hidden"}`);
      b.title = pressed ? "click to hide this view" : "click to show this view beside the others";
    });
  };
  const offs = [
    listen<MouseEvent>(wrap, "click", (e) => {
      const b = e.target instanceof Element ? e.target.closest("[data-view-name]") : null;
      const name = b?.getAttribute("data-view-name");
      if (!name) return;
      const list = current();
      const next = list.includes(name) ? list.filter((v) => v !== name) : [...list, name];
      if (next.length > 0) store.set({ view: next.join(",") });
    }),
    store.subscribe((s, prev) => {
      if (s.view !== prev.view) update();
    }),
  ];
  update();
  return () => {
    for (const off of offs) off();
    wrap.remove();
  };
}

/** Stack selector (seq2seq models: encoder, decoder, cross); only mounted when there are several. */
export function mountStackSelect(el: HTMLElement, store: Store, stacks: readonly StackMeta[]): () => void {
  const doc = el.ownerDocument;
  const label = h(doc, "label", { class: "al-stack" });
  label.append(h(doc, "span", {}, "Attention"));
  const select = h(doc, "select", { "data-control": "stack", "aria-label": "attention stack" });
  for (const st of stacks) {
    const what = st.queries === st.keys ? `${st.name} self-attention` : `${st.name}: ${st.queries} → ${st.keys}`;
    const o = h(doc, "option", { value: st.name }, st.name === "cross" ? "cross-attention (decoder → encoder)" : what);
    select.append(o);
  }
  label.append(select);
  el.append(label);
  const update = () => {
    if (select.value !== store.get().stack) select.value = store.get().stack;
  };
  const offs = [
    listen(select, "change", () => store.set({ stack: select.value })),
    store.subscribe((s, prev) => {
      if (s.stack !== prev.stack) update();
    }),
  ];
  update();
  return () => {
    for (const off of offs) off();
    label.remove();
  };
}
