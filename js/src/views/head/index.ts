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
import { queueFor, type RequestQueue } from "../../request-queue";
import { savedLod, savedNoteText, type SavedLod } from "../../saved-lod";
import type { Selection, Store } from "../../store";
import { watchTheme } from "../../theme";
import type { ViewHandle } from "../../types";
import { frameScheduler, themeReader, whenChanged, type Scheduler, type ViewData } from "../common/index";
import { scrollToShow } from "../common/geometry";
import { bindEvents } from "./events";
import { HINT_HEATMAP } from "./heatmap";
import { heatmapMode, type HeatmapMode } from "./heatmap-mode";
import { tokenLabels, type TokenLabels } from "./labels";
import type { Focus, Side } from "./layout";
import { HINT_LINES } from "./lines";
import { linesMode, type LinesMode, type ModeDraw } from "./lines-mode";
import { buildSkeleton, type Skeleton } from "./skeleton";
import { Viewport } from "./viewport";

export { LINES_MAX_WIDTH, LINES_MIN_WIDTH, linesWidthFor } from "./lines";

export const ROW_HEIGHT = 22;
/** Height of the scroll box (CSS px); rows beyond it scroll, and only the rows on screen are drawn. */
export const VIEWPORT_HEIGHT = 440;

export function mount(el: HTMLElement, store: Store, data: ViewData): ViewHandle {
  const view = new HeadView(el, store, data);
  return { destroy: () => view.destroy() };
}

/** One head view: its parts (built in the constructor), DOM sync, drawing and subscriptions. */
class HeadView {
  private readonly doc: Document;
  private readonly win: (Window & typeof globalThis) | null;
  private readonly nq: number;
  private readonly nk: number;
  private readonly sk: Skeleton;
  private readonly vp: Viewport;
  private readonly labels: TokenLabels;
  private readonly queue: RequestQueue;
  private readonly lines: LinesMode;
  private readonly heat: HeatmapMode;
  private readonly saved: SavedLod | null;
  private readonly themes: ReturnType<typeof themeReader>;
  private readonly sched: Scheduler;
  private readonly cleanups: (() => void)[] = [];
  /** Side of the hovered / locked token (the store holds the indices). */
  private hoverSide: Side = "left";
  private lockSide: Side = "left";
  private destroyed = false;

  constructor(
    el: HTMLElement,
    private readonly store: Store,
    private readonly data: ViewData,
  ) {
    this.doc = el.ownerDocument;
    this.win = this.doc.defaultView as (Window & typeof globalThis) | null;
    [this.nq, this.nk] = [data.queryTokens.length, data.keyTokens.length];
    this.sk = buildSkeleton(el, data, ROW_HEIGHT);
    const observed = Boolean(this.win && typeof this.win.ResizeObserver === "function");
    this.vp = new Viewport(this.sk, Math.max(this.nq, this.nk), ROW_HEIGHT, VIEWPORT_HEIGHT, observed);
    this.labels = tokenLabels(
      this.doc,
      { col: this.sk.left, tokens: data.queryTokens, special: data.querySpecial },
      { col: this.sk.right, tokens: data.keyTokens, special: data.keySpecial },
    );
    this.queue = queueFor(data.replies, { win: this.win });
    this.lines = linesMode(this.sk, this.vp, rowsSource(data.replies, this.queue, data.stack.name, data.stack.n_layers), this.nq, this.nk);
    this.saved = savedLod(data.replies, data.stack.name);
    this.themes = themeReader(this.sk.section);
    this.sched = frameScheduler(this.win, () => this.draw());
    const host = { sk: this.sk, vp: this.vp, data, store, renderWindow: () => this.renderWindow(), lockToken: (i: number, side: Side) => this.lockToken(i, side), schedule: () => this.sched.schedule() };
    this.heat = heatmapMode(host);
    this.queue.setLayer(store.get().layer);
    this.cleanups.push(
      this.queue.addPrefetcher((layer) => (store.get().mode === "heatmap" ? this.heat.prefetch(layer) : this.lines.prefetch(layer))),
      () => this.heat.destroy(),
      ...this.bind(),
      ...this.subscribe(),
    );
    this.sk.grid.style.height = `${this.vp.contentHeight()}px`;
    this.renderWindow();
    this.syncDom();
    this.draw();
  }

  private renderWindow(): boolean {
    return this.labels.render((n) => this.vp.windowOf(n), this.vp.rowsTop, ROW_HEIGHT);
  }

  private focusOf(s: Readonly<Selection>): Focus | null {
    const lenOf = (side: Side) => (side === "left" ? this.nq : this.nk);
    if (s.hover !== null && s.hover >= 0 && s.hover < lenOf(this.hoverSide)) return { index: s.hover, side: this.hoverSide };
    if (s.token !== null && s.token >= 0 && s.token < lenOf(this.lockSide)) return { index: s.token, side: this.lockSide };
    return null;
  }

  /** A change of side only (same index): the store does not change, the view does. */
  private sideChanged(): void {
    this.syncDom();
    this.sched.schedule();
  }

  private lockToken(i: number, side: Side): void {
    const s = this.store.get();
    if (s.token === i && this.lockSide === side) return this.store.set({ token: null });
    this.lockSide = side;
    if (s.token === i) this.sideChanged();
    this.store.set({ token: i });
  }

  private bind(): (() => void)[] {
    return bindEvents(this.sk, this.store, {
      hover: (i, side) => {
        if (this.store.get().hover === i && this.hoverSide === side) return;
        this.hoverSide = side;
        if (this.store.get().hover === i) this.sideChanged();
        else this.store.set({ hover: i });
      },
      lock: (i, side) => this.lockToken(i, side),
      scrolled: () => {
        this.vp.box.top = this.sk.scroll.scrollTop;
        if (this.renderWindow()) this.syncDom();
        this.sched.schedule();
      },
    });
  }

  /** DOM state (labels, buttons, hint): updated synchronously on every change. */
  private syncDom(): void {
    if (this.destroyed) return;
    const { sk, vp, saved } = this;
    const s = this.store.get();
    const isHeat = s.mode === "heatmap";
    if (sk.section.getAttribute("data-mode") !== s.mode) vp.box.valid = false; // the right column shows or hides
    sk.section.setAttribute("data-mode", s.mode);
    sk.modeBtn.textContent = isHeat ? "Show lines" : "Show heatmap";
    sk.modeBtn.setAttribute("aria-label", isHeat ? "switch to lines view" : "switch to heatmap view");
    sk.hint.textContent = isHeat ? HINT_HEATMAP : HINT_LINES;
    sk.note.hidden = !saved;
    if (saved) sk.note.textContent = savedNoteText(saved, this.data.stack.n_layers, isHeat ? "heatmap" : "lines");
    if (!isHeat && vp.rowsTop !== 0) {
      sk.section.classList.remove("al-has-keys");
      vp.setRowsTop(0);
      this.renderWindow();
    }
    sk.linesCell.hidden = isHeat;
    sk.right.hidden = isHeat;
    sk.heatCell.hidden = true; // the zoomable heatmap draws in its own box (heatmap-mode.ts)
    this.heat.show(isHeat);
    const focus = this.focusOf(s);
    this.labels.update(s, this.lockSide, focus, focus && !isHeat ? this.lines.focusWeights(s, focus) : null);
  }

  /** Canvas and status: drawn on the next animation frame (or at once for a selection change). */
  private draw(): void {
    if (this.destroyed) return;
    const s = this.store.get();
    const theme = this.themes.get();
    const r: ModeDraw = s.mode === "heatmap" ? this.heat.draw(s) : this.lines.draw(s, this.focusOf(s), theme);
    this.sk.section.classList.toggle("al-pending", !r.drawn);
    this.sk.status.textContent = r.status;
    this.sk.status.setAttribute("data-state", r.state);
    if (r.drawn) this.data.drawn("head", s.layer);
  }

  /** A selection change from the store: queue, lock side, scroll, DOM, then a draw (soon or next frame). */
  private selectionChanged(s: Readonly<Selection>, prev: Readonly<Selection>): void {
    const { vp, sk } = this;
    if (s.layer !== prev.layer) this.queue.setLayer(s.layer);
    if (s.token !== prev.token && s.token === null) this.lockSide = "left";
    if (s.token !== prev.token && s.token !== null) {
      // Bring a token chosen elsewhere (keyboard, another view, Python) into view.
      const next = scrollToShow(vp.sized().top, vp.viewportHeight() - vp.rowsTop, ROW_HEIGHT, s.token);
      if (next !== vp.sized().top) {
        sk.scroll.scrollTop = next;
        vp.box.top = sk.scroll.scrollTop;
      }
    }
    this.renderWindow();
    this.syncDom();
    if (s.layer !== prev.layer || s.heads !== prev.heads || s.token !== prev.token || s.mode !== prev.mode) this.sched.soon();
    else this.sched.schedule();
  }

  /** Store, replies, theme and size: what redraws the view. */
  private subscribe(): (() => void)[] {
    const shown = () => {
      const s = this.store.get();
      return s.mode === "heatmap" ? this.heat.signature(s) : this.lines.signature(s, this.focusOf(s));
    };
    const out = [
      this.store.subscribe((s, prev) => this.selectionChanged(s, prev)),
      this.data.replies.subscribe(whenChanged(shown, () => (this.syncDom(), this.sched.schedule()))),
      watchTheme(this.doc, () => {
        this.themes.reset();
        this.sched.schedule();
      }),
    ];
    const win = this.win;
    if (win && typeof win.ResizeObserver === "function") {
      let last = "";
      const ro = new win.ResizeObserver(() => {
        this.vp.measure();
        const b = this.vp.box;
        const k = `${b.width}x${b.height}x${b.left}x${b.right}`;
        if (k === last) return;
        last = k;
        this.renderWindow();
        this.syncDom();
        this.sched.schedule();
      });
      ro.observe(this.sk.scroll);
      out.push(() => ro.disconnect());
    }
    return out;
  }

  destroy(): void {
    this.destroyed = true;
    this.sched.cancel();
    for (const fn of this.cleanups.splice(0)) fn();
    this.sk.section.remove();
  }
}
