/**
 * anywidget glue: reads the traits, creates one store per widget instance, syncs store ⇄ traits both
 * ways, mounts the controls and the visible views (several side by side), handles the keyboard, and
 * tears everything down in the returned cleanup.
 */
import { mountHeadToggles, mountLayerSlider, mountStackSelect, mountViewPicker } from "./controls";
import { mountImageButtons } from "./snapshot";
import { h, listen } from "./dom";
import { attentionSource } from "./attention-source";
import { VIEW_NAMES, VIEW_TITLES } from "./contract";
import { ReplyCache } from "./replies";
import { logitsStackOf, parseViews, readMeta, sanitize, sideTokens, stackOf, SYNCED_TRAITS } from "./meta";
import { createStore, type Selection, type Store } from "./store";
import type { AnyModel, Meta, StackMeta, ViewHandle } from "./types";
import type { MountFn, ViewData } from "./views/common/index";
import { mount as mountAblation } from "./views/ablation/index";
import { mount as mountAttribution } from "./views/attribution/index";
import { mount as mountCompare } from "./views/compare/index";
import { mount as mountHeadView } from "./views/head/index";
import { mount as mountLogitLens } from "./views/logit_lens/index";
import { mount as mountMlp } from "./views/mlp/index";
import { mount as mountModelView } from "./views/model/index";
import { mount as mountNeuronView } from "./views/neuron/index";

export { VIEW_NAMES, VIEW_TITLES };
const VIEWS: Readonly<Record<string, MountFn>> = Object.freeze({
  head: mountHeadView,
  model: mountModelView,
  neuron: mountNeuronView,
  logit_lens: mountLogitLens,
  mlp: mountMlp,
  attribution: mountAttribution,
  ablation: mountAblation,
  compare: mountCompare,
});
/** Below this width (px) the views stack in one column. */
export const NARROW_WIDTH = 700;

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
  root.setAttribute("data-stack", s.stack);
  root.setAttribute("data-method", s.method);
  root.setAttribute("data-ablate", s.ablate.join(","));
}

export function render({ model, el }: { model: AnyModel; el: HTMLElement }): () => void {
  const doc = el.ownerDocument;
  const root = h(doc, "div", { class: "attnlens", tabindex: "0", "aria-label": "attnlens: attention explorer" });
  el.append(root);
  let teardown: () => void = () => {};
  // Keys typed in the widget never leave it: the notebook's command-mode shortcuts ("b", "a", "dd",
  // arrows…) must not act on them. Together with data-lm-suppress-shortcuts on every focusable element.
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

/** Is this keydown for a text field or a control that uses the arrows itself? */
function ownsArrows(t: EventTarget | null): boolean {
  if (!(t instanceof Element)) return false;
  const tag = t.tagName.toLowerCase();
  return tag === "input" || tag === "select" || tag === "textarea" || t.closest("[data-arrow-keys]") !== null;
}

function initialSelection(model: AnyModel, meta: Meta): Partial<Selection> {
  const initial: Partial<Selection> = {};
  const stack = sanitize("stack", model.get("stack"), meta) as string;
  initial.stack = stack;
  for (const key of SYNCED_TRAITS) {
    if (key === "stack") continue;
    const v = sanitize(key, model.get(key), meta, stack);
    if (v !== undefined) (initial as Record<string, unknown>)[key] = v;
  }
  if (initial.heads === undefined) initial.heads = Array.from({ length: stackOf(meta, stack).n_heads }, (_, i) => i);
  return initial;
}

function mountAll(model: AnyModel, root: HTMLElement, meta: Meta): () => void {
  const doc = root.ownerDocument;
  const win = doc.defaultView;
  const cleanups: (() => void)[] = [];

  const store = createStore(initialSelection(model, meta));
  const replies = new ReplyCache(model);
  cleanups.push(() => replies.destroy());
  const logits = logitsStackOf(meta);

  // ---- layout -------------------------------------------------------------------------------
  const header = h(doc, "div", { class: "al-header" });
  const titleText = meta.model_name ? `attnlens · ${meta.model_name}` : "attnlens";
  header.append(h(doc, "div", { class: "al-title" }, titleText));
  const picker = h(doc, "div", { class: "al-picker-wrap" });
  header.append(picker);
  const controls = h(doc, "div", { class: "al-controls" });
  const message = h(doc, "div", { class: "al-message", role: "alert" });
  message.hidden = true;
  const body = h(doc, "div", { class: "al-views" });
  root.append(header, controls, message, body);
  cleanups.push(mountViewPicker(picker, store, VIEW_NAMES, VIEW_TITLES));
  cleanups.push(
    mountImageButtons(header, body, () => {
      const s = store.get();
      return `attnlens-${s.view.replace(/,/g, "+")}-layer${s.layer}`;
    }),
  );
  if (meta.stacks.length > 1) cleanups.push(mountStackSelect(header, store, meta.stacks));

  // ---- width: views side by side, or one column below NARROW_WIDTH -------------------------
  const layout = () => {
    const w = root.clientWidth;
    const n = body.children.length;
    const narrow = w > 0 && w < NARROW_WIDTH;
    root.classList.toggle("al-narrow", narrow);
    body.style.setProperty("--al-cols", String(narrow || n <= 1 ? 1 : Math.min(2, n)));
  };
  if (win && typeof win.ResizeObserver === "function") {
    const ro = new win.ResizeObserver(() => layout());
    ro.observe(root);
    cleanups.push(() => ro.disconnect());
  }

  // ---- stack-dependent part: controls and views (rebuilt when the stack changes) -------------
  const drawnLayer = new Map<string, number>();
  const drawn = (view: string, layer: number) => {
    drawnLayer.set(view, layer);
    const s = store.get();
    if (s.layer !== layer) return;
    for (const name of parseViews(s.view)) if (VIEWS[name] && drawnLayer.get(name) !== s.layer) return;
    root.setAttribute("data-drawn-layer", String(layer));
    const Ev = win?.CustomEvent;
    if (Ev) root.dispatchEvent(new Ev("attnlens-drawn", { detail: { layer, views: s.view } }));
  };

  let stackCleanups: (() => void)[] = [];
  const mounted = new Map<string, { panel: HTMLElement; handle: ViewHandle | null }>();
  let data: ViewData;

  const destroyViews = () => {
    for (const v of mounted.values()) {
      v.handle?.destroy();
      v.panel.remove();
    }
    mounted.clear();
    drawnLayer.clear();
  };

  const syncViews = () => {
    const names = parseViews(store.get().view);
    for (const [name, v] of mounted) {
      if (!names.includes(name)) {
        v.handle?.destroy();
        v.panel.remove();
        mounted.delete(name);
        drawnLayer.delete(name);
      }
    }
    for (const name of names) {
      let v = mounted.get(name);
      if (!v) {
        const panel = h(doc, "section", { class: "al-view", "data-view-name": name, "aria-label": VIEW_TITLES[name] ?? name });
        panel.append(h(doc, "h3", { class: "al-view-title" }, VIEW_TITLES[name] ?? name));
        const inner = h(doc, "div", { class: "al-view-body" });
        panel.append(inner);
        const fn = VIEWS[name];
        let handle: ViewHandle | null = null;
        if (fn) handle = fn(inner, store, data);
        else inner.append(h(doc, "p", { class: "al-status", "data-state": "error" }, `The "${name}" view is not available in this version.`));
        v = { panel, handle };
        mounted.set(name, v);
      }
      body.append(v.panel); // page order follows the list
    }
    layout();
  };

  const buildStack = () => {
    for (const fn of stackCleanups.splice(0).reverse()) fn();
    destroyViews();
    controls.replaceChildren();
    const s = store.get();
    const st = stackOf(meta, s.stack);
    const queryTokens = sideTokens(meta, st.queries);
    const keyTokens = sideTokens(meta, st.keys);
    const specialOf = (side: StackMeta["queries"], toks: string[]) =>
      side === "target" ? toks.map(() => false) : meta.special.slice(0, toks.length);
    data = {
      meta,
      stack: st,
      queryTokens,
      keyTokens,
      querySpecial: specialOf(st.queries, queryTokens),
      keySpecial: specialOf(st.keys, keyTokens),
      replies,
      attention: attentionSource(replies, st.name, st.n_layers),
      logitsStack: logits.name,
      logitsTokens: sideTokens(meta, logits.queries),
      drawn,
    };
    stackCleanups.push(mountLayerSlider(controls, store, st.n_layers));
    stackCleanups.push(mountHeadToggles(controls, store, st.n_heads));
    syncViews();
  };
  buildStack();
  cleanups.push(() => {
    for (const fn of stackCleanups.splice(0).reverse()) fn();
    destroyViews();
  });

  // Static pages carry their replies as base64: decode the rest in the background after first paint.
  if (win) {
    const later = (fn: () => void) => win.setTimeout(fn, 0);
    const t = win.setTimeout(() => replies.warm(replies.keys(), later), 50);
    cleanups.push(() => win.clearTimeout(t));
  }

  // ---- store → root attributes, views and traits --------------------------------------------
  setAttrs(root, store.get());
  cleanups.push(
    store.subscribe((s, prev) => {
      if (s.stack !== prev.stack) {
        // Layer and heads must fit the new stack.
        const st = stackOf(meta, s.stack);
        const layer = Math.min(s.layer, st.n_layers - 1);
        const heads = s.heads.filter((x) => x < st.n_heads);
        if (layer !== s.layer || heads.length !== s.heads.length) {
          store.set({ layer, heads: heads.length ? heads : Array.from({ length: st.n_heads }, (_, i) => i) });
          return; // the nested set ran this listener with the final state
        }
      }
      setAttrs(root, s);
      if (s.stack !== prev.stack) buildStack();
      else if (s.view !== prev.view) syncViews();
      let dirty = false;
      for (const key of SYNCED_TRAITS) {
        if (sameTrait(s[key], prev[key])) continue;
        if (sameTrait(model.get(key), s[key])) continue;
        model.set(key, Array.isArray(s[key]) ? [...(s[key] as unknown[])] : s[key]);
        dirty = true;
      }
      if (dirty && !replies.kernelLost) model.save_changes(); // a dead comm only logs errors
    }),
  );

  // ---- traits → store -----------------------------------------------------------------------
  for (const key of SYNCED_TRAITS) {
    const fn = () => {
      const v = sanitize(key, model.get(key), meta, key === "stack" ? undefined : store.get().stack);
      if (v !== undefined) store.set({ [key]: v } as Partial<Selection>);
    };
    model.on(`change:${key}`, fn);
    cleanups.push(() => model.off(`change:${key}`, fn));
  }

  // ---- errors from Python not tied to a request ---------------------------------------------
  const onMsg = (content: unknown) => {
    if (typeof content === "object" && content !== null && (content as { kind?: unknown }).kind === "error") {
      const c = content as { message?: unknown; key?: unknown; id?: unknown };
      if (typeof c.key === "string" || typeof c.id === "number") return; // shown by the view that asked
      message.textContent = `attnlens: ${typeof c.message === "string" ? c.message : "the kernel reported an error"}`;
      message.hidden = false;
    }
  };
  model.on("msg:custom", onMsg);
  cleanups.push(() => model.off("msg:custom", onMsg));

  // ---- keyboard: arrows move the token, [ and ] the layer, Esc unlocks ------------------------
  cleanups.push(mountKeyboard(root, store, meta));

  return () => {
    for (const fn of cleanups.splice(0).reverse()) fn();
    root.replaceChildren();
  };
}

function mountKeyboard(root: HTMLElement, store: Store, meta: Meta): () => void {
  return listen<KeyboardEvent>(root, "keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const s = store.get();
    const st = stackOf(meta, s.stack);
    if (e.key === "Escape") {
      if (s.token !== null) {
        store.set({ token: null });
        e.preventDefault();
      }
      return;
    }
    if ((e.key === "[" || e.key === "]") && !ownsArrows(e.target)) {
      const layer = Math.max(0, Math.min(st.n_layers - 1, s.layer + (e.key === "]" ? 1 : -1)));
      store.set({ layer });
      e.preventDefault();
      return;
    }
    const delta = e.key === "ArrowDown" || e.key === "ArrowRight" ? 1 : e.key === "ArrowUp" || e.key === "ArrowLeft" ? -1 : 0;
    if (delta === 0) return;
    const t = e.target instanceof Element ? e.target : null;
    const onToken = t?.closest("[data-token-index],[data-position]") ?? null;
    if (!(t === root || onToken) || ownsArrows(t)) return;
    const n = Math.max(sideTokens(meta, st.queries).length, sideTokens(meta, st.keys).length);
    const from = s.token ?? (onToken ? Number(onToken.getAttribute("data-token-index") ?? onToken.getAttribute("data-position")) : delta > 0 ? -1 : n);
    const token = Math.max(0, Math.min(n - 1, from + delta));
    e.preventDefault();
    store.set({ token, hover: null });
    if (onToken) {
      // Follow with the focus: the view rendered the new token's label synchronously.
      const side = onToken.getAttribute("data-side");
      const sel = onToken.hasAttribute("data-token-index")
        ? `[data-token-index="${token}"]${side ? `[data-side="${side}"]` : ""}`
        : `[data-position="${token}"]`;
      const scope = onToken.closest(".al-view") ?? root;
      const next = scope.querySelector<HTMLElement>(sel);
      next?.focus({ preventScroll: false });
    }
  });
}
