/**
 * Head view (like BertViz's head view): query tokens on the left ("from"), key tokens on the right
 * ("to"; a different list for cross-attention), a canvas of lines between them with opacity = weight
 * and one colour per selected head, and a heatmap mode.
 *
 * Bytes and work follow what is on screen (issue #12): both token axes are virtualised, lines mode asks
 * only for the rows on screen (`attention_rows` windows: each row's strongest keys per head) and the
 * exact row of the hovered or locked token (`attention_row`), through the widget's request queue
 * (request-queue.ts: two in flight, stale layers dropped, neighbours prefetched when idle).
 * mount(el, store, data) -> {destroy}. Modules: skeleton.ts (DOM), viewport.ts (geometry), events.ts,
 * labels.ts (token columns), lines-mode.ts / sparse-lines.ts (lines), heatmap-mode.ts (heatmap adapter).
 */
import { rowsSource } from "../../attention-source";
import { queueFor } from "../../request-queue";
import { savedLod, savedNoteText } from "../../saved-lod";
import type { Selection, Store } from "../../store";
import { watchTheme } from "../../theme";
import type { ViewHandle } from "../../types";
import { frameScheduler, themeReader, whenChanged, type ViewData } from "../common/index";
import { scrollToShow } from "../common/geometry";
import { bindEvents } from "./events";
import { HINT_HEATMAP } from "./heatmap";
import { heatmapMode } from "./heatmap-mode";
import { tokenLabels } from "./labels";
import type { Focus, Side } from "./layout";
import { HINT_LINES } from "./lines";
import { linesMode, type ModeDraw } from "./lines-mode";
import { buildSkeleton } from "./skeleton";
import { Viewport } from "./viewport";

export { LINES_MAX_WIDTH, LINES_MIN_WIDTH, linesWidthFor } from "./lines";

export const ROW_HEIGHT = 22;
/** Height of the scroll box (CSS px); rows beyond it scroll, and only the rows on screen are drawn. */
export const VIEWPORT_HEIGHT = 440;

export function mount(el: HTMLElement, store: Store, data: ViewData): ViewHandle {
  const doc = el.ownerDocument;
  const win = doc.defaultView;
  const [nq, nk] = [data.queryTokens.length, data.keyTokens.length];
  const sk = buildSkeleton(el, data, ROW_HEIGHT);
  const observed = Boolean(win && typeof win.ResizeObserver === "function");
  const vp = new Viewport(sk, Math.max(nq, nk), ROW_HEIGHT, VIEWPORT_HEIGHT, observed);
  const labels = tokenLabels(
    doc,
    { col: sk.left, tokens: data.queryTokens, special: data.querySpecial },
    { col: sk.right, tokens: data.keyTokens, special: data.keySpecial },
  );
  const renderWindow = () => labels.render((n) => vp.windowOf(n), vp.rowsTop, ROW_HEIGHT);
  const queue = queueFor(data.replies, { win });
  const lines = linesMode(sk, vp, rowsSource(data.replies, queue, data.stack.name, data.stack.n_layers), nq, nk);
  const saved = savedLod(data.replies, data.stack.name);

  // ---- local view state (side of hover / lock; the store holds the indices) -----------------
  let hoverSide: Side = "left";
  let lockSide: Side = "left";
  let destroyed = false;
  const themes = themeReader(sk.section);
  const lenOf = (side: Side) => (side === "left" ? nq : nk);
  const focusOf = (s: Readonly<Selection>): Focus | null => {
    if (s.hover !== null && s.hover >= 0 && s.hover < lenOf(hoverSide)) return { index: s.hover, side: hoverSide };
    if (s.token !== null && s.token >= 0 && s.token < lenOf(lockSide)) return { index: s.token, side: lockSide };
    return null;
  };
  /** A change of side only (same index): the store does not change, the view does. */
  const sideChanged = () => (syncDom(), sched.schedule());
  const lockToken = (i: number, side: Side) => {
    const s = store.get();
    if (s.token === i && lockSide === side) return store.set({ token: null });
    lockSide = side;
    if (s.token === i) sideChanged();
    store.set({ token: i });
  };

  const sched = frameScheduler(win, () => draw());
  const heat = heatmapMode({ sk, vp, data, store, renderWindow, lockToken, schedule: () => sched.schedule() });
  queue.setLayer(store.get().layer);
  const unprefetch = queue.addPrefetcher((layer) => (store.get().mode === "heatmap" ? heat.prefetch(layer) : lines.prefetch(layer)));

  const cleanups: (() => void)[] = bindEvents(sk, store, {
    hover(i, side) {
      if (store.get().hover === i && hoverSide === side) return;
      hoverSide = side;
      if (store.get().hover === i) sideChanged();
      else store.set({ hover: i });
    },
    lock: lockToken,
    scrolled() {
      vp.box.top = sk.scroll.scrollTop;
      if (renderWindow()) syncDom();
      sched.schedule();
    },
  });

  /** DOM state (labels, buttons, hint): updated synchronously on every change. */
  function syncDom() {
    if (destroyed) return;
    const s = store.get();
    const isHeat = s.mode === "heatmap";
    if (sk.section.getAttribute("data-mode") !== s.mode) vp.box.valid = false; // the right column shows or hides
    sk.section.setAttribute("data-mode", s.mode);
    sk.modeBtn.textContent = isHeat ? "Show lines" : "Show heatmap";
    sk.modeBtn.setAttribute("aria-label", isHeat ? "switch to lines view" : "switch to heatmap view");
    sk.hint.textContent = isHeat ? HINT_HEATMAP : HINT_LINES;
    sk.note.hidden = !saved;
    if (saved) sk.note.textContent = savedNoteText(saved, data.stack.n_layers, isHeat ? "heatmap" : "lines");
    if (!isHeat && vp.rowsTop !== 0) {
      sk.section.classList.remove("al-has-keys");
      vp.setRowsTop(0);
      renderWindow();
    }
    sk.linesCell.hidden = isHeat;
    sk.right.hidden = isHeat;
    sk.heatCell.hidden = !isHeat;
    sk.readout.hidden = !isHeat;
    const focus = focusOf(s);
    labels.update(s, lockSide, focus, focus && !isHeat ? lines.focusWeights(s, focus) : null);
  }

  /** Canvas and status: drawn on the next animation frame (or at once for a selection change). */
  function draw() {
    if (destroyed) return;
    const s = store.get();
    const theme = themes.get();
    const r: ModeDraw = s.mode === "heatmap" ? heat.draw(s, theme) : lines.draw(s, focusOf(s), theme);
    sk.section.classList.toggle("al-pending", !r.drawn);
    sk.status.textContent = r.status;
    sk.status.setAttribute("data-state", r.state);
    if (r.drawn) data.drawn("head", s.layer);
  }

  cleanups.push(...subscribe(), unprefetch, () => heat.destroy());
  sk.grid.style.height = `${vp.contentHeight()}px`;
  renderWindow();
  syncDom();
  draw();

  /** Store, replies, theme and size: what redraws the view, and how soon. */
  function subscribe(): (() => void)[] {
    const shown = () => {
      const s = store.get();
      return s.mode === "heatmap" ? heat.signature(s) : lines.signature(s, focusOf(s));
    };
    const out = [
      store.subscribe((s, prev) => {
        if (s.layer !== prev.layer) queue.setLayer(s.layer);
        if (s.token !== prev.token && s.token === null) lockSide = "left";
        if (s.token !== prev.token && s.token !== null) {
          // Bring a token chosen elsewhere (keyboard, another view, Python) into view.
          const next = scrollToShow(vp.sized().top, vp.viewportHeight() - vp.rowsTop, ROW_HEIGHT, s.token);
          if (next !== vp.sized().top) {
            sk.scroll.scrollTop = next;
            vp.box.top = sk.scroll.scrollTop;
          }
        }
        renderWindow();
        syncDom();
        // a hovered token redraws on the next frame; a selection change in this one
        if (s.layer !== prev.layer || s.heads !== prev.heads || s.token !== prev.token || s.mode !== prev.mode) sched.soon();
        else sched.schedule();
      }),
      data.replies.subscribe(whenChanged(shown, () => (syncDom(), sched.schedule()))),
      watchTheme(doc, () => {
        themes.reset();
        sched.schedule();
      }),
    ];
    if (win && typeof win.ResizeObserver === "function") {
      let last = "";
      const ro = new win.ResizeObserver(() => {
        vp.measure();
        const b = vp.box;
        const k = `${b.width}x${b.height}x${b.left}x${b.right}`;
        if (k === last) return;
        last = k;
        renderWindow();
        syncDom();
        sched.schedule();
      });
      ro.observe(sk.scroll);
      out.push(() => ro.disconnect());
    }
    return out;
  }

  return {
    destroy() {
      destroyed = true;
      sched.cancel();
      for (const fn of cleanups.splice(0)) fn();
      sk.section.remove();
    },
  };
}
