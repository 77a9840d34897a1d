/**
 * anywidget glue: reads the traits, creates one store per widget instance, syncs store ⇄ traits both
 * ways, mounts the controls and the current view, and tears everything down in the returned cleanup.
 */
import { AttentionCache } from "./attention";
import { mountHeadToggles, mountLayerSlider } from "./controls";
import { h, listen } from "./dom";
import { createStore, type Selection, type Store } from "./store";
import type { AnyModel, Meta, ViewData, ViewHandle } from "./types";
import { mount as mountHeadView } from "./views/head/index";

type MountFn = (el: HTMLElement, store: Store, data: ViewData) => ViewHandle;
const VIEWS: Readonly<Record<string, MountFn>> = Object.freeze({ head: mountHeadView });

/** Traits mirrored in the store (both ways). `hover` stays in the page. */
export const SYNCED_TRAITS = ["layer", "heads", "token", "mode", "view", "target", "neuron"] as const;
type SyncedKey = (typeof SYNCED_TRAITS)[number];

function isInt(x: unknown): x is number {
  return typeof x === "number" && Number.isInteger(x);
}

export function readMeta(value: unknown): Meta | null {
  if (typeof value !== "object" || value === null) return null;
  const m = value as Partial<Meta>;
  if (!Array.isArray(m.tokens)) return null;
  const tokens = m.tokens.map((t) => (typeof t === "string" ? t : String(t)));
  return {
    tokens,
    n_layers: isInt(m.n_layers) && m.n_layers > 0 ? m.n_layers : 1,
    n_heads: isInt(m.n_heads) && m.n_heads > 0 ? m.n_heads : 1,
    n_tokens: tokens.length,
    model_name: typeof m.model_name === "string" ? m.model_name : "",
    causal: Boolean(m.causal),
    special: Array.isArray(m.special) ? m.special.map(Boolean) : tokens.map(() => false),
  };
}

/** Turn a trait value into a valid store value (clamped, sorted, nulls kept). */
export function sanitize(key: SyncedKey, value: unknown, meta: Meta): Selection[SyncedKey] | undefined {
  switch (key) {
    case "layer":
      return isInt(value) ? Math.max(0, Math.min(meta.n_layers - 1, value)) : undefined;
    case "heads": {
      if (value === null || value === undefined) return Array.from({ length: meta.n_heads }, (_, i) => i);
      if (!Array.isArray(value)) return undefined;
      const set = new Set(value.filter((x): x is number => isInt(x) && x >= 0 && x < meta.n_heads));
      return [...set].sort((a, b) => a - b);
    }
    case "token":
      return isInt(value) && value >= 0 && value < meta.tokens.length ? value : null;
    case "mode":
      return value === "heatmap" ? "heatmap" : "lines";
    case "view":
      return typeof value === "string" && value ? value : "head";
    case "target":
    case "neuron":
      return isInt(value) ? value : null;
  }
}

function sameTrait(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b || ((a === null || a === undefined) && (b === null || b === undefined));
}

function setAttrs(root: HTMLElement, s: Readonly<Selection>) {
  root.setAttribute("data-layer", String(s.layer));
  root.setAttribute("data-heads", s.heads.join(","));
  root.setAttribute("data-token", s.token === null ? "" : String(s.token));
  root.setAttribute("data-target", s.target === null ? "" : String(s.target));
  root.setAttribute("data-neuron", s.neuron === null ? "" : String(s.neuron));
  root.setAttribute("data-view", s.view);
  root.setAttribute("data-mode", s.mode);
}

export function render({ model, el }: { model: AnyModel; el: HTMLElement }): () => void {
  const doc = el.ownerDocument;
  const root = h(doc, "div", { class: "attnlens", tabindex: "0" }); // tabindex: gets data-lm-suppress-shortcuts
  el.append(root);
  let teardown: () => void = () => {};
  // Keys typed in the widget never leave it: the notebook's command-mode shortcuts ("b", "a", "dd",
  // arrows…) must not act on them. The widget's own handling runs first (Enter/Space on buttons and the
  // arrows on the slider are default actions, unaffected; Escape is handled by a listener on the root).
  // Together with data-lm-suppress-shortcuts on every focusable element (see dom.ts).
  const offKeys = listen<KeyboardEvent>(root, "keydown", (e) => e.stopPropagation());

  const build = () => {
    teardown();
    root.replaceChildren();
    const meta = readMeta(model.get("_meta"));
    if (!meta) {
      root.append(h(doc, "p", { class: "al-status", "data-state": "error" }, "attnlens: this widget has no data (_meta is missing)."));
      teardown = () => {};
      return;
    }
    teardown = mountAll(model, root, meta);
  };
  const onMeta = () => build();
  model.on("change:_meta", onMeta);
  build();

  return () => {
    model.off("change:_meta", onMeta);
    offKeys();
    teardown();
    root.remove();
  };
}

function mountAll(model: AnyModel, root: HTMLElement, meta: Meta): () => void {
  const doc = root.ownerDocument;
  const cleanups: (() => void)[] = [];

  const initial: Partial<Selection> = {};
  for (const key of SYNCED_TRAITS) {
    const v = sanitize(key, model.get(key), meta);
    if (v !== undefined) (initial as Record<string, unknown>)[key] = v;
  }
  if (initial.heads === undefined) initial.heads = Array.from({ length: meta.n_heads }, (_, i) => i);
  const store = createStore(initial);
  const attention = new AttentionCache(model, { nLayers: meta.n_layers });
  cleanups.push(() => attention.destroy());

  // ---- layout -------------------------------------------------------------------------------
  const header = h(doc, "div", { class: "al-header" });
  const titleText = meta.model_name ? `attention · ${meta.model_name}` : "attention";
  const title = h(doc, "div", { class: "al-title" }, titleText);
  header.append(title);
  const controls = h(doc, "div", { class: "al-controls" });
  const body = h(doc, "div", { class: "al-body" });
  const message = h(doc, "div", { class: "al-message", role: "alert" });
  message.hidden = true;
  root.append(header, controls, message, body);
  cleanups.push(mountLayerSlider(controls, store, meta.n_layers));
  cleanups.push(mountHeadToggles(controls, store, meta.n_heads));

  // ---- view ---------------------------------------------------------------------------------
  let view: ViewHandle | null = null;
  let viewName = "";
  const mountView = (name: string) => {
    if (name === viewName && view) return;
    view?.destroy();
    view = null;
    body.replaceChildren();
    viewName = name;
    const fn = VIEWS[name];
    if (fn) view = fn(body, store, { meta, attention });
    else body.append(h(doc, "p", { class: "al-status", "data-state": "error" }, `The "${name}" view is not available in this version.`));
  };
  mountView(store.get().view);
  cleanups.push(() => {
    view?.destroy();
    view = null;
  });

  // ---- store → root attributes, view and traits ---------------------------------------------
  setAttrs(root, store.get());
  cleanups.push(
    store.subscribe((s, prev) => {
      setAttrs(root, s);
      if (s.view !== prev.view) mountView(s.view);
      let dirty = false;
      for (const key of SYNCED_TRAITS) {
        if (sameTrait(s[key], prev[key])) continue;
        if (sameTrait(model.get(key), s[key])) continue;
        model.set(key, Array.isArray(s[key]) ? [...(s[key] as number[])] : s[key]);
        dirty = true;
      }
      if (dirty) model.save_changes();
    }),
  );

  // ---- traits → store -----------------------------------------------------------------------
  for (const key of SYNCED_TRAITS) {
    const fn = () => {
      const v = sanitize(key, model.get(key), meta);
      if (v !== undefined) store.set({ [key]: v } as Partial<Selection>);
    };
    model.on(`change:${key}`, fn);
    cleanups.push(() => model.off(`change:${key}`, fn));
  }

  // ---- errors from Python not tied to a layer -----------------------------------------------
  const onMsg = (content: unknown) => {
    if (typeof content === "object" && content !== null && (content as { kind?: unknown }).kind === "error") {
      const c = content as { message?: unknown; layer?: unknown };
      if (c.layer !== undefined && c.layer !== null) return; // shown by the view for that layer
      message.textContent = `attnlens: ${typeof c.message === "string" ? c.message : "the kernel reported an error"}`;
      message.hidden = false;
    }
  };
  model.on("msg:custom", onMsg);
  cleanups.push(() => model.off("msg:custom", onMsg));

  // ---- keyboard (see render for why no key leaves the root) ----------------------------------
  cleanups.push(
    listen<KeyboardEvent>(root, "keydown", (e) => {
      if (e.key === "Escape" && store.get().token !== null) {
        store.set({ token: null });
        e.preventDefault();
      }
    }),
  );

  return () => {
    for (const fn of cleanups.splice(0).reverse()) fn();
    root.replaceChildren();
  };
}
