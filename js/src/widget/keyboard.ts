/** Widget keyboard: arrows move the token, [ and ] the layer, Esc unlocks. */
import { listen } from "../dom";
import { sideTokens, stackOf } from "../meta";
import type { Store } from "../store";
import type { Meta } from "../types";

/** Is this keydown for a text field or a control that uses the arrows itself? */
export function ownsArrows(t: EventTarget | null): boolean {
  if (!(t instanceof Element)) return false;
  const tag = t.tagName.toLowerCase();
  return tag === "input" || tag === "select" || tag === "textarea" || t.closest("[data-arrow-keys]") !== null;
}

/** +1 (down, right), −1 (up, left) or 0 (not an arrow). */
export const arrowDelta = (key: string): number =>
  key === "ArrowDown" || key === "ArrowRight" ? 1 : key === "ArrowUp" || key === "ArrowLeft" ? -1 : 0;

/** The token `delta` moves to from `from` (none: from before the first or after the last), within [0, n). */
export function arrowTarget(delta: number, from: number | null, n: number): number {
  return Math.max(0, Math.min(n - 1, (from ?? (delta > 0 ? -1 : n)) + delta));
}

/** Move the focus to the new token's label in the same view (it was rendered synchronously). */
function followFocus(root: HTMLElement, onToken: Element, token: number): void {
  const side = onToken.getAttribute("data-side");
  const sel = onToken.hasAttribute("data-token-index") ? `[data-token-index="${token}"]${side ? `[data-side="${side}"]` : ""}` : `[data-position="${token}"]`;
  const scope = onToken.closest(".al-view") ?? root;
  scope.querySelector<HTMLElement>(sel)?.focus({ preventScroll: false });
}

export function mountKeyboard(root: HTMLElement, store: Store, meta: Meta): () => void {
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
      store.set({ layer: Math.max(0, Math.min(st.n_layers - 1, s.layer + (e.key === "]" ? 1 : -1))) });
      e.preventDefault();
      return;
    }
    const delta = arrowDelta(e.key);
    if (delta === 0) return;
    const t = e.target instanceof Element ? e.target : null;
    const onToken = t?.closest("[data-token-index],[data-position]") ?? null;
    if (!(t === root || onToken) || ownsArrows(t)) return;
    const n = Math.max(sideTokens(meta, st.queries).length, sideTokens(meta, st.keys).length);
    const fromLabel = onToken ? Number(onToken.getAttribute("data-token-index") ?? onToken.getAttribute("data-position")) : null;
    const token = arrowTarget(delta, s.token ?? fromLabel, n);
    e.preventDefault();
    store.set({ token, hover: null });
    if (onToken) followFocus(root, onToken, token);
  });
}
