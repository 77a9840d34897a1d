/** What every view receives, and small helpers shared by the views (frame scheduling, canvas sizing). */
import type { ReplyCache } from "../../replies";
import type { Selection, Store } from "../../store";
import type { AttentionSource, LayerState, Meta, StackMeta, ViewHandle } from "../../types";
import { readTheme, type Theme } from "../../theme";
import { canvasScale } from "./geometry";
import { setStatusLine } from "./dom";

export interface ViewData {
  meta: Meta;
  /** The stack shown (store.stack), with its query and key token lists. */
  stack: StackMeta;
  queryTokens: string[];
  keyTokens: string[];
  querySpecial: boolean[];
  keySpecial: boolean[];
  /** Every reply of this widget instance (attention, thumbnails, qk, logit lens, MLP). */
  replies: ReplyCache;
  /** Attention of `stack`, layer by layer. */
  attention: AttentionSource;
  /** The stack the logit lens is computed on (the decoder's for seq2seq models). */
  logitsStack: string;
  /** Positions of the logit lens (that stack's query tokens). */
  logitsTokens: string[];
  /** A view calls this after drawing `layer` with its data in place (first paint and redraw timings). */
  drawn(view: string, layer: number): void;
}

export type MountFn = (el: HTMLElement, store: Store, data: ViewData) => ViewHandle;

/** The token a view explains: the hovered one, else the locked one, else `fallback` (e.g. the last). */
export function activeToken(s: Readonly<Selection>, n: number, fallback: number | null = n - 1): number | null {
  if (s.hover !== null && s.hover >= 0 && s.hover < n) return s.hover;
  if (s.token !== null && s.token >= 0 && s.token < n) return s.token;
  return fallback !== null && n > 0 ? Math.max(0, Math.min(n - 1, fallback)) : null;
}

export interface Scheduler {
  /** Draw on the next animation frame (hover, scroll, resize: many events, one draw a frame). */
  schedule(): void;
  /**
   * Draw once the current task ends (a microtask), before the browser renders: a selection change
   * (layer, heads, token) made inside a frame shows in that frame, not one later. Several calls in one
   * task draw once; a pending frame draw is dropped (this one covers it).
   */
  soon(): void;
  cancel(): void;
}

/** Draw scheduling per view instance: rAF batching, or a microtask for selection changes. */
export function frameScheduler(win: Window | null, draw: () => void): Scheduler {
  let frame: number | null = null;
  let micro = false;
  let dead = false;
  const dropFrame = () => {
    if (frame !== null && frame >= 0 && win) win.cancelAnimationFrame(frame);
    frame = null;
  };
  const soon = () => {
    if (dead || micro) return;
    micro = true;
    queueMicrotask(() => {
      micro = false;
      dropFrame();
      if (!dead) draw();
    });
  };
  return {
    schedule() {
      if (dead || frame !== null || micro) return;
      if (win && typeof win.requestAnimationFrame === "function") {
        frame = win.requestAnimationFrame(() => {
          frame = null;
          if (!dead) draw();
        });
      } else soon();
    },
    soon,
    cancel() {
      dead = true;
      dropFrame();
    },
  };
}

/**
 * The view's theme, read once (getComputedStyle forces a style recalculation, costly on every draw)
 * and again after `reset()` (call it from watchTheme). Not cached while `el` is outside the document
 * (no styles to read yet).
 */
export function themeReader(el: Element): { get(): Theme; reset(): void } {
  let theme: Theme | null = null;
  return {
    get() {
      if (theme) return theme;
      const t = readTheme(el);
      if (el.isConnected) theme = t;
      return t;
    },
    reset() {
      theme = null;
    },
  };
}

/** What a view shows of one reply: the decoded object when it is in, else its state and message. */
export function replySignature(value: object | undefined, st: LayerState): object | string {
  return value ?? `${st.state}:${"message" in st ? st.message : ""}`;
}

/**
 * A reply listener that calls `fn` only when `read()` changed since the last call (by identity): every
 * reply of the widget notifies every view, and a reply another view asked for must not redraw this one.
 */
export function whenChanged(read: () => unknown, fn: () => void): () => void {
  let last: unknown = whenChanged; // never equal to a read value: the first call runs fn
  return () => {
    const now = read();
    if (now === last) return;
    last = now;
    fn();
  };
}

/** Size a canvas to cssW × cssH at the device pixel ratio (capped); returns a cleared, scaled context. */
export function sizeCanvas(canvas: HTMLCanvasElement, cssW: number, cssH: number): CanvasRenderingContext2D | null {
  const win = canvas.ownerDocument.defaultView;
  const scale = canvasScale(cssW, cssH, win?.devicePixelRatio ?? 1);
  const w = Math.max(1, Math.round(cssW * scale));
  const hh = Math.max(1, Math.round(cssH * scale));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== hh) canvas.height = hh;
  canvas.style.width = `${cssW}px`;
  canvas.style.height = `${cssH}px`;
  let ctx: CanvasRenderingContext2D | null = null;
  try {
    ctx = canvas.getContext("2d");
  } catch {
    ctx = null;
  }
  if (!ctx) return null;
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  return ctx;
}

/** A status line's text and data-state for a reply that is not ready. */
export function pendingText(st: { state: string; message?: string }, what: string): string {
  // A static page's "… was not saved in this page; it needs a running kernel." names its subject itself.
  if (st.state === "error" && st.message?.includes("needs a running kernel")) return st.message;
  if (st.state === "error") return `${what}: ${st.message ?? "error"}`;
  if (st.state === "no-kernel") return `${what} is not in this page: ${st.message ?? ""}.`;
  return `loading ${what}…`;
}

/** The handle a view returns: cancel its pending frame, undo its listeners, remove its section. */
export function viewHandle(section: HTMLElement, sched: { cancel(): void }, cleanups: (() => void)[]): ViewHandle {
  return {
    destroy() {
      sched.cancel();
      for (const fn of cleanups.splice(0)) fn();
      section.remove();
    },
  };
}

/** Call `fn` when `el` changes size (a ResizeObserver); returns the cleanup (a no-op without one). */
export function onResize(el: Element, fn: () => void): () => void {
  const win = el.ownerDocument.defaultView;
  if (!win || typeof win.ResizeObserver !== "function") return () => {};
  const ro = new win.ResizeObserver(() => fn());
  ro.observe(el);
  return () => ro.disconnect();
}

/** Whether this window can report size changes (else sizes are read again on every draw). */
export const canObserveResize = (win: (Window & typeof globalThis) | null): boolean => Boolean(win && typeof win.ResizeObserver === "function");

/** Show a reply's state on a status line (empty once ready); returns whether it is ready. */
export function showState(status: HTMLElement, st: { state: string; message?: string }, what: string): boolean {
  const ready = st.state === "ready";
  setStatusLine(status, ready ? "" : pendingText(st, what), st.state);
  return ready;
}

/**
 * A scroller's width and scroll offset, read on resize / scroll rather than on every draw (a read
 * after other views wrote to the DOM forces a layout); read live where there is no ResizeObserver.
 */
export function scrollBox(scroll: HTMLElement) {
  const observed = canObserveResize(scroll.ownerDocument.defaultView);
  const box = { width: 0, left: 0, valid: false };
  return {
    get(): { width: number; left: number } {
      if (!box.valid) {
        box.width = scroll.clientWidth;
        box.left = scroll.scrollLeft;
        box.valid = observed;
      }
      return box;
    },
    invalidate(): void {
      box.valid = false;
    },
    setLeft(left: number): void {
      box.left = left;
    },
  };
}
