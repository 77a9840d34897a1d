/** Store ⇄ traits: the initial selection, the root's data attributes, writing and reading synced traits. */
import { sanitize, stackOf, SYNCED_TRAITS } from "../meta";
import type { Selection, Store } from "../store";
import type { AnyModel, Meta } from "../types";

export function sameTrait(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b || ((a === null || a === undefined) && (b === null || b === undefined));
}

export function setAttrs(root: HTMLElement, s: Readonly<Selection>): void {
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

export function initialSelection(model: AnyModel, meta: Meta): Partial<Selection> {
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

/** Layer and heads that fit `stack`, or null when the selection already fits. */
export function fitToStack(s: Readonly<Selection>, meta: Meta): Partial<Selection> | null {
  const st = stackOf(meta, s.stack);
  const layer = Math.min(s.layer, st.n_layers - 1);
  const heads = s.heads.filter((x) => x < st.n_heads);
  if (layer === s.layer && heads.length === s.heads.length) return null;
  return { layer, heads: heads.length ? heads : Array.from({ length: st.n_heads }, (_, i) => i) };
}

/** Write every synced trait that changed from `prev` (and differs from the model's); whether any did. */
export function writeTraits(model: AnyModel, s: Readonly<Selection>, prev: Readonly<Selection>): boolean {
  let dirty = false;
  for (const key of SYNCED_TRAITS) {
    if (sameTrait(s[key], prev[key])) continue;
    if (sameTrait(model.get(key), s[key])) continue;
    model.set(key, Array.isArray(s[key]) ? [...(s[key] as unknown[])] : s[key]);
    dirty = true;
  }
  return dirty;
}

/** Traits → store: each synced trait, made valid, on change; returns the cleanups. */
export function readTraits(model: AnyModel, store: Store, meta: Meta): (() => void)[] {
  return SYNCED_TRAITS.map((key) => {
    const fn = () => {
      const v = sanitize(key, model.get(key), meta, key === "stack" ? undefined : store.get().stack);
      if (v !== undefined) store.set({ [key]: v } as Partial<Selection>);
    };
    model.on(`change:${key}`, fn);
    return () => model.off(`change:${key}`, fn);
  });
}

/** Errors from Python not tied to a request (those are shown by the view that asked) go to `message`. */
export function showKernelErrors(model: AnyModel, message: HTMLElement): () => void {
  const onMsg = (content: unknown) => {
    if (typeof content !== "object" || content === null || (content as { kind?: unknown }).kind !== "error") return;
    const c = content as { message?: unknown; key?: unknown; id?: unknown };
    if (typeof c.key === "string" || typeof c.id === "number") return;
    message.textContent = `attnlens: ${typeof c.message === "string" ? c.message : "the kernel reported an error"}`;
    message.hidden = false;
  };
  model.on("msg:custom", onMsg);
  return () => model.off("msg:custom", onMsg);
}
