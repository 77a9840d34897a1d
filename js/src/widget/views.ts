/**
 * The views of one widget: the registry (name → mount), what each receives (ViewData for the current
 * stack), mounting and unmounting them as the `view` trait changes, and the "drawn" report (the root's
 * `data-drawn-layer` and an `attnlens-drawn` event once every visible view drew the layer).
 */
import { attentionSource } from "../attention-source";
import { h } from "../dom";
import { logitsStackOf, parseViews, sideTokens, stackOf } from "../meta";
import type { ReplyCache } from "../replies";
import type { Store } from "../store";
import type { Meta, StackMeta, ViewHandle } from "../types";
import type { MountFn, ViewData } from "../views/common/index";
import { mount as mountAblation } from "../views/ablation/index";
import { mount as mountAttribution } from "../views/attribution/index";
import { mount as mountCompare } from "../views/compare/index";
import { mount as mountHeadView } from "../views/head/index";
import { mount as mountLogitLens } from "../views/logit_lens/index";
import { mount as mountMlp } from "../views/mlp/index";
import { mount as mountModelView } from "../views/model/index";
import { mount as mountNeuronView } from "../views/neuron/index";

import { VIEW_TITLES } from "../contract";
export { VIEW_NAMES, VIEW_TITLES } from "../contract";
export const VIEWS: Readonly<Record<string, MountFn>> = Object.freeze({
  head: mountHeadView,
  model: mountModelView,
  neuron: mountNeuronView,
  logit_lens: mountLogitLens,
  mlp: mountMlp,
  attribution: mountAttribution,
  ablation: mountAblation,
  compare: mountCompare,
});

/** What every view of `stack` receives. */
export function viewData(meta: Meta, stack: string, replies: ReplyCache, drawn: ViewData["drawn"]): ViewData {
  const st = stackOf(meta, stack);
  const logits = logitsStackOf(meta);
  const queryTokens = sideTokens(meta, st.queries);
  const keyTokens = sideTokens(meta, st.keys);
  const specialOf = (side: StackMeta["queries"], toks: string[]) => (side === "target" ? toks.map(() => false) : meta.special.slice(0, toks.length));
  return {
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
}

/** A view's panel: its title, then the view (or a message for an unknown name). */
function mountPanel(doc: Document, name: string, store: Store, data: ViewData): { panel: HTMLElement; handle: ViewHandle | null } {
  const panel = h(doc, "section", { class: "al-view", "data-view-name": name, "aria-label": VIEW_TITLES[name] ?? name });
  panel.append(h(doc, "h3", { class: "al-view-title" }, VIEW_TITLES[name] ?? name));
  const inner = h(doc, "div", { class: "al-view-body" });
  panel.append(inner);
  const fn = VIEWS[name];
  if (fn) return { panel, handle: fn(inner, store, data) };
  inner.append(h(doc, "p", { class: "al-status", "data-state": "error" }, `The "${name}" view is not available in this version.`));
  return { panel, handle: null };
}

/** Mounts the views listed in the `view` trait into `body`, in that order. */
export function viewSet(root: HTMLElement, body: HTMLElement, store: Store, laidOut: () => void) {
  const doc = root.ownerDocument;
  const mounted = new Map<string, { panel: HTMLElement; handle: ViewHandle | null }>();
  const drawnLayer = new Map<string, number>();
  const unmount = (name: string) => {
    const v = mounted.get(name);
    v?.handle?.destroy();
    v?.panel.remove();
    mounted.delete(name);
    drawnLayer.delete(name);
  };
  return {
    drawn(view: string, layer: number): void {
      drawnLayer.set(view, layer);
      const s = store.get();
      if (s.layer !== layer) return;
      for (const name of parseViews(s.view)) if (VIEWS[name] && drawnLayer.get(name) !== s.layer) return;
      root.setAttribute("data-drawn-layer", String(layer));
      const Ev = doc.defaultView?.CustomEvent;
      if (Ev) root.dispatchEvent(new Ev("attnlens-drawn", { detail: { layer, views: s.view } }));
    },
    sync(data: ViewData): void {
      const names = parseViews(store.get().view);
      for (const name of [...mounted.keys()]) if (!names.includes(name)) unmount(name);
      for (const name of names) {
        let v = mounted.get(name);
        if (!v) mounted.set(name, (v = mountPanel(doc, name, store, data)));
        body.append(v.panel); // page order follows the list
      }
      laidOut();
    },
    destroy(): void {
      for (const name of [...mounted.keys()]) unmount(name);
      drawnLayer.clear();
    },
  };
}
