/** Small DOM helpers. Text only ever goes in through textContent or attributes. */

/** Tags that take keyboard focus by themselves. */
const FOCUSABLE_TAGS = new Set(["button", "input", "select", "textarea", "a"]);

/**
 * Lumino (JupyterLab) tests each element from the focused one upwards against shortcut selectors such
 * as `.jp-Notebook.jp-mod-commandMode :focus` and stops at the first match, before it would see
 * `data-lm-suppress-shortcuts` on an ancestor. So every element that can hold focus carries it itself.
 */
export const SUPPRESS_SHORTCUTS = "data-lm-suppress-shortcuts";

export function h<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const el = doc.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") el.className = v;
    else el.setAttribute(k, v);
  }
  if (FOCUSABLE_TAGS.has(tag) || "tabindex" in attrs) el.setAttribute(SUPPRESS_SHORTCUTS, "true");
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Add an event listener and return its removal. */
export function listen<E extends Event = Event>(
  target: EventTarget,
  type: string,
  fn: (e: E) => void,
  opts?: AddEventListenerOptions,
): () => void {
  const handler = fn as EventListener;
  target.addEventListener(type, handler, opts);
  return () => target.removeEventListener(type, handler, opts);
}
