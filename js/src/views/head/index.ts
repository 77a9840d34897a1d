/**
 * Head view (like BertViz's head view): query tokens on the left ("from"), key tokens on the right
 * ("to"; a different list for cross-attention), a canvas of lines between them with opacity = weight
 * and one colour per selected head, and a heatmap mode (mean over the selected heads).
 *
 * Both token axes are virtualised: only the rows on screen exist as labels and are drawn, so the view
 * stays interactive at 4,096 tokens and more. mount(el, store, data) -> {destroy}. This module holds the
 * view's state, events and scheduling; labels.ts the token columns, lines.ts and heatmap.ts the two modes.
 */
import { h, listen } from "../../dom";
import type { Selection, Store } from "../../store";
import { watchTheme, type Theme } from "../../theme";
import type { LayerAttention, ViewHandle } from "../../types";
import { frameScheduler, replySignature, sizeCanvas, themeReader, whenChanged, type ViewData } from "../common/index";
import { scrollToShow, visibleWindow, type Window } from "../common/geometry";
import { cellText, HINT_HEATMAP, heatmapLut, heatmapScale, KEYS_HEIGHT, keyLabels, MIN_KEY_LABEL_WIDTH, paintHeatRows, scaleText } from "./heatmap";
import { columnChars, tokenLabels } from "./labels";
import { focusWeights, meanRows, selectLines, type Focus, type LineSelection, type Side } from "./layout";
import { cachedPaint, HINT_LINES, linesWidthFor, Lru, objectId, OVERVIEW_MAX_LINES, paintLines } from "./lines";

export { LINES_MAX_WIDTH, LINES_MIN_WIDTH, linesWidthFor } from "./lines";

export const ROW_HEIGHT = 22;
/** Height of the scroll box (CSS px); rows beyond it scroll, and only the rows on screen are drawn. */
export const VIEWPORT_HEIGHT = 440;

export function mount(el: HTMLElement, store: Store, data: ViewData): ViewHandle {
  const doc = el.ownerDocument;
  const win = doc.defaultView;
  const { attention } = data;
  const [qTokens, kTokens] = [data.queryTokens, data.keyTokens];
  const [nq, nk] = [qTokens.length, kTokens.length];
  const nRows = Math.max(nq, nk);
  const cleanups: (() => void)[] = [];

  // ---- DOM skeleton -------------------------------------------------------------------------
  const section = h(doc, "div", { class: "al-head", "aria-label": "attention head view" });
  const bar = h(doc, "div", { class: "al-head-bar" });
  const modeBtn = h(doc, "button", { type: "button", class: "al-btn", "data-control": "mode" });
  const hint = h(doc, "p", { class: "al-hint" });
  bar.append(modeBtn, hint);

  const status = h(doc, "div", { class: "al-status", role: "status", "aria-live": "polite" });
  const scroll = h(doc, "div", { class: "al-scroll" });
  const grid = h(doc, "div", { class: "al-grid" });
  grid.style.setProperty("--al-row", `${ROW_HEIGHT}px`);
  const left = h(doc, "div", { class: "al-col al-col-left", role: "group", "aria-label": "tokens attending (from)" });
  const right = h(doc, "div", { class: "al-col al-col-right", role: "group", "aria-label": "tokens attended to (to)" });
  left.style.width = `calc(${columnChars(qTokens)}ch + 14px)`;
  right.style.width = `calc(${columnChars(kTokens)}ch + 14px)`;
  const linesCell = h(doc, "div", { class: "al-lines-cell" });
  const linesCanvas = h(doc, "canvas", { class: "al-lines", "aria-hidden": "true" });
  linesCell.append(linesCanvas);
  const heatCell = h(doc, "div", { class: "al-heat-cell" });
  const heatCanvas = h(doc, "canvas", {
    class: "al-heat",
    role: "img",
    "aria-label": "attention heatmap: rows are queries, columns are keys",
  });
  const heatKeys = h(doc, "div", { class: "al-heat-keys", "aria-hidden": "true" });
  heatKeys.style.height = `${KEYS_HEIGHT}px`;
  const keys = keyLabels(doc, heatKeys, kTokens, data.keySpecial);
  heatCell.append(heatKeys, heatCanvas);
  const readout = h(doc, "div", { class: "al-readout", "aria-live": "polite" });
  grid.append(left, linesCell, right, heatCell);
  scroll.append(grid);
  section.append(bar, status, scroll, readout);
  el.append(section);

  // ---- geometry -----------------------------------------------------------------------------
  // Sizes and the scroll offset are read when they change (ResizeObserver, scroll events), not on every
  // draw: reading them after other views wrote to the DOM forces a layout. Without a ResizeObserver
  // every read is live.
  const observed = Boolean(win && typeof win.ResizeObserver === "function");
  const box = { width: 0, height: 0, left: 0, right: 0, top: 0, valid: false };
  const measure = () => {
    box.width = scroll.clientWidth;
    box.height = scroll.clientHeight;
    box.left = left.offsetWidth;
    box.right = right.offsetWidth;
    box.top = scroll.scrollTop;
    box.valid = observed;
  };
  const sized = () => {
    if (!box.valid) measure();
    return box;
  };
  let rowsTop = 0; // KEYS_HEIGHT when the heatmap shows key labels above the rows
  const contentHeight = () => rowsTop + nRows * ROW_HEIGHT;
  const viewportHeight = () => sized().height || Math.min(VIEWPORT_HEIGHT, contentHeight() + 4);
  /** Top of the canvases in content coordinates: they cover what is on screen, nothing more. */
  const canvasHeight = () => Math.max(1, Math.min(nRows * ROW_HEIGHT, viewportHeight() - rowsTop));
  const canvasTop = () => {
    const maxTop = Math.max(0, nRows * ROW_HEIGHT - canvasHeight());
    return Math.max(0, Math.min(maxTop, sized().top));
  };
  const windowOf = (n: number): Window => visibleWindow(sized().top, viewportHeight() - rowsTop, ROW_HEIGHT, n, 6, VIEWPORT_HEIGHT);

  // ---- token labels (virtualised: only the window's rows exist) -----------------------------
  const labels = tokenLabels(
    doc,
    { col: left, tokens: qTokens, special: data.querySpecial },
    { col: right, tokens: kTokens, special: data.keySpecial },
  );
  const renderWindow = () => labels.render(windowOf, rowsTop, ROW_HEIGHT);

  // ---- local view state (side of hover / lock; the store holds the indices) -----------------
  let hoverSide: Side = "left";
  let lockSide: Side = "left";
  let heatHover: { row: number; col: number } | null = null;
  const themes = themeReader(section);
  let theme: Theme = themes.get();
  const lutFor = heatmapLut();
  const overviews = new Lru<{ bitmap: HTMLCanvasElement; value: LineSelection }>(6);
  const heatmapMax = heatmapScale();

  const lenOf = (side: Side) => (side === "left" ? nq : nk);
  const focusOf = (s: Readonly<Selection>): Focus | null => {
    if (s.hover !== null && s.hover >= 0 && s.hover < lenOf(hoverSide)) return { index: s.hover, side: hoverSide };
    if (s.token !== null && s.token >= 0 && s.token < lenOf(lockSide)) return { index: s.token, side: lockSide };
    return null;
  };

  const lockToken = (i: number, side: Side) => {
    const s = store.get();
    if (s.token === i && lockSide === side) {
      store.set({ token: null });
    } else {
      lockSide = side;
      if (s.token === i) {
        syncDom(); // same index, other side: only the view changes
        sched.schedule();
      }
      store.set({ token: i });
    }
  };

  // ---- events -------------------------------------------------------------------------------
  const labelOf = (t: EventTarget | null): HTMLElement | null =>
    t instanceof Element ? (t.closest("[data-token-index]") as HTMLElement | null) : null;
  const indexOf = (b: HTMLElement) => Number(b.getAttribute("data-token-index"));
  const sideOf = (b: HTMLElement): Side => (b.getAttribute("data-side") === "right" ? "right" : "left");

  const hoverLabel = (b: HTMLElement | null) => {
    if (!b) return;
    const side = sideOf(b);
    const i = indexOf(b);
    if (store.get().hover === i && hoverSide === side) return;
    hoverSide = side;
    if (store.get().hover === i) {
      syncDom();
      sched.schedule();
    } else store.set({ hover: i });
  };

  cleanups.push(
    listen<MouseEvent>(grid, "click", (e) => {
      const b = labelOf(e.target);
      if (b) lockToken(indexOf(b), sideOf(b));
    }),
    listen<MouseEvent>(grid, "mouseover", (e) => hoverLabel(labelOf(e.target))),
    listen<MouseEvent>(grid, "mouseout", (e) => {
      const b = labelOf(e.target);
      if (b && !(e.relatedTarget instanceof Node && b.contains(e.relatedTarget))) store.set({ hover: null });
    }),
    listen<FocusEvent>(grid, "focusin", (e) => hoverLabel(labelOf(e.target))),
    listen<FocusEvent>(grid, "focusout", () => store.set({ hover: null })),
    listen(modeBtn, "click", () => {
      store.set({ mode: store.get().mode === "heatmap" ? "lines" : "heatmap" });
    }),
    listen(scroll, "scroll", () => {
      box.top = scroll.scrollTop;
      if (renderWindow()) syncDom();
      sched.schedule();
    }, { passive: true }),
  );

  // heatmap hover / click
  let heatCellW = ROW_HEIGHT;
  const heatPos = (e: MouseEvent) => {
    const r = heatCanvas.getBoundingClientRect();
    const row = Math.floor((e.clientY - r.top + canvasTop()) / ROW_HEIGHT);
    const col = Math.floor((e.clientX - r.left) / heatCellW);
    return row < 0 || row >= nq || col < 0 || col >= nk ? null : { row, col };
  };
  cleanups.push(
    listen<MouseEvent>(heatCanvas, "mousemove", (e) => {
      const p = heatPos(e);
      if (p?.row === heatHover?.row && p?.col === heatHover?.col) return;
      heatHover = p;
      sched.schedule();
    }),
    listen<MouseEvent>(heatCanvas, "mouseleave", () => {
      heatHover = null;
      sched.schedule();
    }),
    listen<MouseEvent>(heatCanvas, "click", (e) => {
      const p = heatPos(e);
      if (p) lockToken(p.row, "left");
    }),
  );

  // ---- drawing ------------------------------------------------------------------------------
  const sched = frameScheduler(win, () => draw());

  /** Lines column width from the available width (scroll box minus both label columns and the gaps). */
  function linesWidth(): number {
    const b = sized();
    const w = b.width > 0 ? linesWidthFor(b.width, b.left || 0, b.right || 0) : 320;
    grid.style.setProperty("--al-lines-w", `${w}px`);
    return w;
  }

  function placeCanvas(canvas: HTMLCanvasElement): { top: number; height: number } {
    const [height, top] = [canvasHeight(), canvasTop()];
    canvas.style.top = `${rowsTop + top}px`;
    return { top, height };
  }

  function drawLines(s: Readonly<Selection>, att: LayerAttention, focus: Focus | null): LineSelection {
    const cssW = linesWidth();
    const { top, height } = placeCanvas(linesCanvas);
    const rows = windowOf(att.nq);
    const win = { rows, cols: windowOf(att.nk), reach: rows.end - rows.start };
    const select = () => selectLines(att, s.heads, focus, undefined, focus ? undefined : OVERVIEW_MAX_LINES, win);
    const ctx = sizeCanvas(linesCanvas, cssW, height);
    if (!ctx) return select();
    // The overview (no focus) of a layer is kept as a bitmap: going back to a layer only copies it.
    const key = focus ? "" : `${objectId(att)}|${s.heads.join(",")}|${rows.start}|${cssW}x${height}|${top}|${theme.bg}|${linesCanvas.width}`;
    return cachedPaint(ctx, overviews, key, cssW, height, (c) => {
      const sel = select();
      paintLines(c, sel.lines, { width: cssW, top, rowHeight: ROW_HEIGHT, focused: focus !== null, bgRgb: theme.bgRgb });
      return sel;
    });
  }

  function drawHeatmap(s: Readonly<Selection>, att: LayerAttention) {
    const n = att.nk;
    const avail = Math.max(120, (sized().width || 600) - (sized().left || 120) - 24);
    heatCellW = Math.min(ROW_HEIGHT, avail / Math.max(1, n));
    const cssW = Math.max(1, Math.round(heatCellW * n));
    const showKeys = keys.length > 0 && heatCellW >= MIN_KEY_LABEL_WIDTH;
    section.classList.toggle("al-has-keys", showKeys);
    heatKeys.hidden = !showKeys;
    const newTop = showKeys ? KEYS_HEIGHT : 0;
    if (newTop !== rowsTop) {
      rowsTop = newTop;
      grid.style.height = `${contentHeight()}px`;
      renderWindow();
    }
    if (showKeys) {
      heatKeys.style.width = `${cssW}px`;
      keys.forEach((k, j) => {
        k.style.left = `${(j + 0.5) * heatCellW}px`;
      });
    }
    const { top, height } = placeCanvas(heatCanvas);
    const ctx = sizeCanvas(heatCanvas, cssW, height);
    if (!ctx) return;
    const r0 = Math.floor(top / ROW_HEIGHT);
    const r1 = Math.min(att.nq, Math.ceil((top + height) / ROW_HEIGHT));
    const rows = meanRows(att, s.heads, r0, r1);
    const { max, global } = heatmapMax(att, s.heads, rows);
    const w = paintHeatRows(ctx, doc, rows, { nk: n, r0, cssW, top, rowHeight: ROW_HEIGHT, max, lut: lutFor(theme.bg, theme.bgRgb) });
    ctx.lineWidth = 2;
    if (s.token !== null && s.token < att.nq) {
      ctx.strokeStyle = theme.accent;
      ctx.strokeRect(1, s.token * ROW_HEIGHT - top + 1, cssW - 2, ROW_HEIGHT - 2);
    }
    if (heatHover) {
      ctx.strokeStyle = theme.fg;
      ctx.lineWidth = 1.5;
      ctx.strokeRect(heatHover.col * heatCellW, heatHover.row * ROW_HEIGHT - top, Math.max(2, heatCellW), ROW_HEIGHT);
      const v = meanRows(att, s.heads, heatHover.row, heatHover.row + 1)[heatHover.col] ?? 0;
      readout.textContent = cellText(qTokens, kTokens, heatHover, v, s.heads.length);
    } else readout.textContent = scaleText(max, global, w, n);
  }

  /** DOM state (labels, buttons, hint): updated synchronously on every change. */
  function syncDom() {
    if (destroyed) return;
    const s = store.get();
    const heat = s.mode === "heatmap";
    if (section.getAttribute("data-mode") !== s.mode) box.valid = false; // the right column shows or hides
    section.setAttribute("data-mode", s.mode);
    modeBtn.textContent = heat ? "Show lines" : "Show heatmap";
    modeBtn.setAttribute("aria-label", heat ? "switch to lines view" : "switch to heatmap view");
    hint.textContent = heat ? HINT_HEATMAP : HINT_LINES;
    if (!heat && rowsTop !== 0) {
      section.classList.remove("al-has-keys");
      rowsTop = 0;
      grid.style.height = `${contentHeight()}px`;
      renderWindow();
    }
    linesCell.hidden = heat;
    right.hidden = heat;
    heatCell.hidden = !heat;
    readout.hidden = !heat;
    const att = attention.get(s.layer);
    const focus = focusOf(s);
    labels.update(s, lockSide, focus, att && focus && !heat ? focusWeights(att, s.heads, focus) : null);
  }

  /** Canvas and status: drawn on the next animation frame. */
  function draw() {
    if (destroyed) return;
    const s = store.get();
    theme = themes.get();
    const heat = s.mode === "heatmap";
    const att = attention.get(s.layer);
    const st = attention.state(s.layer);
    const focus = focusOf(s);
    if (!att) {
      section.classList.add("al-pending");
      if (st.state === "error")
        status.textContent = st.message.startsWith(`Layer ${s.layer} `) ? st.message : `Layer ${s.layer}: ${st.message}`;
      else if (st.state === "no-kernel") status.textContent = `Layer ${s.layer} is not in this page: ${st.message}.`;
      else status.textContent = `loading layer ${s.layer}…`;
      status.setAttribute("data-state", st.state);
      return;
    }
    section.classList.remove("al-pending");
    const none = s.heads.length === 0;
    status.textContent = none ? "No head is shown: click a head above to show it." : "";
    status.setAttribute("data-state", none ? "empty" : "ready");
    if (heat) {
      drawHeatmap(s, att);
    } else {
      const sel = drawLines(s, att, focus);
      if (sel.limited && s.heads.length > 0) {
        status.textContent = `Showing the ${sel.lines.length} strongest lines (weight ≥ ${sel.threshold.toFixed(
          3,
        )}); hover a token for all of its lines.`;
        status.setAttribute("data-state", "limited");
      }
    }
    data.drawn("head", s.layer);
  }

  // ---- subscriptions ------------------------------------------------------------------------
  const shownReply = () => replySignature(attention.get(store.get().layer), attention.state(store.get().layer));
  attention.ensure(store.get().layer);
  cleanups.push(
    store.subscribe((s, prev) => {
      if (s.layer !== prev.layer) attention.ensure(s.layer);
      if (s.token !== prev.token && s.token === null) lockSide = "left";
      if (s.token !== prev.token && s.token !== null) {
        // Bring a token chosen elsewhere (keyboard, another view, Python) into view.
        const next = scrollToShow(sized().top, viewportHeight() - rowsTop, ROW_HEIGHT, s.token);
        if (next !== sized().top) {
          scroll.scrollTop = next;
          box.top = scroll.scrollTop;
        }
      }
      renderWindow();
      syncDom();
      // a hovered token redraws on the next frame; a selection change in this one
      if (s.layer !== prev.layer || s.heads !== prev.heads || s.token !== prev.token || s.mode !== prev.mode) sched.soon();
      else sched.schedule();
    }),
    attention.subscribe(whenChanged(shownReply, () => (syncDom(), sched.schedule()))),
    watchTheme(doc, () => {
      themes.reset();
      sched.schedule();
    }),
  );
  if (win && typeof win.ResizeObserver === "function") {
    let last = "";
    const ro = new win.ResizeObserver(() => {
      measure();
      const k = `${box.width}x${box.height}x${box.left}x${box.right}`;
      if (k !== last) {
        last = k;
        renderWindow();
        syncDom();
        sched.schedule();
      }
    });
    ro.observe(scroll);
    cleanups.push(() => ro.disconnect());
  }
  grid.style.height = `${contentHeight()}px`;
  let destroyed = false;
  renderWindow();
  syncDom();
  draw();

  return {
    destroy() {
      destroyed = true;
      sched.cancel();
      for (const fn of cleanups.splice(0)) fn();
      section.remove();
    },
  };
}
