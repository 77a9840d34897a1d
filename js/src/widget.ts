/**
 * anywidget glue: reads the traits, creates one store per widget instance, syncs store ⇄ traits both
 * ways, mounts the controls and the visible views (several side by side), handles the keyboard, and
 * tears everything down in the returned cleanup. The parts live in `widget/`: the frame (`shell.ts`),
 * the views (`views.ts`), store ⇄ traits (`sync.ts`) and the keyboard (`keyboard.ts`).
 */
import { mountHeadToggles, mountLayerSlider } from "./controls";
import { h, listen } from "./dom";
import { readMeta, stackOf } from "./meta";
import { ReplyCache } from "./replies";
import { createStore } from "./store";
import type { AnyModel, Meta } from "./types";
import { onResize, type ViewData } from "./views/common/index";
import { mountKeyboard } from "./widget/keyboard";
import { buildShell, layOut } from "./widget/shell";
import { fitToStack, initialSelection, readTraits, setAttrs, showKernelErrors, writeTraits } from "./widget/sync";
import { viewData, viewSet } from "./widget/views";

export { NARROW_WIDTH } from "./widget/shell";
export { VIEW_NAMES, VIEW_TITLES } from "./widget/views";

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

function mountAll(model: AnyModel, root: HTMLElement, meta: Meta): () => void {
  const win = root.ownerDocument.defaultView;
  const store = createStore(initialSelection(model, meta));
  const replies = new ReplyCache(model);
  const shell = buildShell(root, store, meta);
  const cleanups: (() => void)[] = [() => replies.destroy(), ...shell.cleanups];
  const layout = () => layOut(root, shell.body);
  cleanups.push(onResize(root, layout));

  // The stack-dependent part: controls and views (rebuilt when the stack changes).
  const views = viewSet(root, shell.body, store, layout);
  let data: ViewData;
  let stackCleanups: (() => void)[] = [];
  const teardownStack = () => {
    for (const fn of stackCleanups.splice(0).reverse()) fn();
    views.destroy();
  };
  const buildStack = () => {
    teardownStack();
    shell.controls.replaceChildren();
    const st = stackOf(meta, store.get().stack);
    data = viewData(meta, st.name, replies, views.drawn);
    stackCleanups.push(mountLayerSlider(shell.controls, store, st.n_layers), mountHeadToggles(shell.controls, store, st.n_heads));
    views.sync(data);
  };
  buildStack();
  cleanups.push(teardownStack);

  // Static pages carry their replies as base64: decode the rest in the background after first paint.
  if (win) {
    const later = (fn: () => void) => win.setTimeout(fn, 0);
    const t = win.setTimeout(() => replies.warm(replies.keys(), later), 50);
    cleanups.push(() => win.clearTimeout(t));
  }

  // Store → root attributes, views and traits.
  setAttrs(root, store.get());
  cleanups.push(
    store.subscribe((s, prev) => {
      const fit = s.stack !== prev.stack ? fitToStack(s, meta) : null;
      if (fit) return store.set(fit); // the nested set ran this listener with the final state
      setAttrs(root, s);
      if (s.stack !== prev.stack) buildStack();
      else if (s.view !== prev.view) views.sync(data);
      if (writeTraits(model, s, prev) && !replies.kernelLost) model.save_changes(); // a dead comm only logs errors
    }),
    ...readTraits(model, store, meta),
    showKernelErrors(model, shell.message),
    mountKeyboard(root, store, meta),
  );
  return () => {
    for (const fn of cleanups.splice(0).reverse()) fn();
    root.replaceChildren();
  };
}
