/**
 * Head view (like BertViz's head view): token labels on the left (query, "from") and right (key, "to"),
 * a canvas of lines between them with opacity = attention weight and one colour per selected head, and a
 * heatmap mode (mean over selected heads). mount(el, store, data) -> {destroy}.
 */
import { headColor, sequentialColor } from "../../colors";
import { h, listen } from "../../dom";
import type { Store, Selection } from "../../store";
import { readTheme, watchTheme, type Theme } from "../../theme";
import { formatToken } from "../../tokens";
import type { LayerAttention, ViewData, ViewHandle } from "../../types";
import {
  canvasScale,
  focusWeights,
  meanMatrix,
  rowAt,
  rowCenter,
  selectLines,
  type Focus,
  type LineSelection,
  type Side,
} from "./layout";

export const ROW_HEIGHT = 22;
/** Key (column) labels above the heatmap: at most this many tokens, and only when a column is this wide. */
export const MAX_KEY_LABELS = 128;
export const MIN_KEY_LABEL_WIDTH = 9;
/** Height of the angled key labels above the heatmap (CSS px) and how many characters they show. */
const KEYS_HEIGHT = 64;
const KEY_LABEL_CHARS = 8;
/** Width of the lines canvas: the room left by the two label columns, within these bounds (CSS px). */
export const LINES_MIN_WIDTH = 240;
export const LINES_MAX_WIDTH = 640;
const LINES_DEFAULT_WIDTH = 320;
const ALPHA_BUCKETS = 32;
const SEGMENTS_PER_PATH = 64;

const HINT_LINES =
  "Hover a token to see its attention; click it to lock (click again or press Esc to unlock). Left: from, right: to.";
const HINT_HEATMAP =
  "Rows attend to columns (mean over the shown heads). Hover a cell to read it; click a row or its label to lock that token.";

/** Lines canvas width for a scroll box `total` px wide holding label columns `leftW` and `rightW` px wide. */
export function linesWidthFor(total: number, leftW: number, rightW: number): number {
  const gaps = 2 * 4 + 4; // grid column gaps plus a little room for a vertical scrollbar's rounding
  return Math.round(Math.max(LINES_MIN_WIDTH, Math.min(LINES_MAX_WIDTH, total - leftW - rightW - gaps)));
}

export function mount(el: HTMLElement, store: Store, data: ViewData): ViewHandle {
  const doc = el.ownerDocument;
  const win = doc.defaultView;
  const { meta, attention } = data;
  const tokens = meta.tokens;
  const nTokens = tokens.length;
  const cleanups: (() => void)[] = [];

  // ---- DOM skeleton -------------------------------------------------------------------------
  const section = h(doc, "section", { class: "al-head", "aria-label": "attention head view" });
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
  const linesCell = h(doc, "div", { class: "al-lines-cell" });
  const linesCanvas = h(doc, "canvas", { class: "al-lines", "aria-hidden": "true" });
  linesCell.append(linesCanvas);
  const heatCell = h(doc, "div", { class: "al-heat-cell" });
  const heatCanvas = h(doc, "canvas", {
    class: "al-heat",
    role: "img",
    "aria-label": "attention heatmap: rows are queries, columns are keys",
  });
  // Key (column) labels: angled, truncated, full text in title; text via textContent only. Not focusable
  // (the row labels are the keyboard targets); beyond MAX_KEY_LABELS only the hover readout names keys.
  const heatKeys = h(doc, "div", { class: "al-heat-keys", "aria-hidden": "true" });
  heatKeys.style.height = `${KEYS_HEIGHT}px`;
  const keyLabels: HTMLElement[] = [];
  if (nTokens <= MAX_KEY_LABELS) {
    tokens.forEach((raw, j) => {
      const disp = formatToken(raw, KEY_LABEL_CHARS);
      const k = h(doc, "span", { class: "al-key", "data-key-index": String(j), title: `${disp.title} (key ${j})` });
      if (meta.special?.[j]) k.classList.add("al-special");
      k.textContent = disp.segments.map((seg) => seg.text).join("");
      heatKeys.append(k);
      keyLabels.push(k);
    });
  }
  heatCell.append(heatKeys, heatCanvas);
  const readout = h(doc, "div", { class: "al-readout", "aria-live": "polite" });
  grid.append(left, linesCell, right, heatCell);
  scroll.append(grid);
  section.append(bar, status, scroll, readout);
  el.append(section);

  const height = nTokens * ROW_HEIGHT;
  grid.style.height = `${height}px`;

  // ---- token labels -------------------------------------------------------------------------
  const labels: Record<Side, HTMLButtonElement[]> = { left: [], right: [] };
  for (const side of ["left", "right"] as const) {
    const col = side === "left" ? left : right;
    tokens.forEach((raw, i) => {
      const disp = formatToken(raw);
      const b = h(doc, "button", {
        type: "button",
        class: "al-token",
        "data-token-index": String(i),
        "data-side": side,
        "aria-pressed": "false",
        "aria-label": `${disp.spoken} (token ${i}, ${side === "left" ? "from" : "to"})`,
        title: disp.title,
      });
      if (meta.special?.[i]) b.classList.add("al-special");
      for (const seg of disp.segments) {
        if (seg.ws) b.append(h(doc, "span", { class: "al-ws" }, seg.text));
        else b.append(doc.createTextNode(seg.text));
      }
      col.append(b);
      labels[side].push(b);
    });
  }

  // ---- local view state (side of hover / lock; the store holds the indices) -----------------
  let hoverSide: Side = "left";
  let lockSide: Side = "left";
  let heatHover: { row: number; col: number } | null = null;
  let theme: Theme = readTheme(section);
  let unfocusedCache: { key: string; att: LayerAttention; sel: LineSelection } | null = null;

  const focusOf = (s: Readonly<Selection>): Focus | null => {
    if (s.hover !== null && s.hover >= 0 && s.hover < nTokens) return { index: s.hover, side: hoverSide };
    if (s.token !== null && s.token >= 0 && s.token < nTokens) return { index: s.token, side: lockSide };
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
        schedule();
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
      schedule();
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
  );

  // heatmap hover / click
  let heatCellW = ROW_HEIGHT;
  const heatPos = (e: MouseEvent) => {
    const r = heatCanvas.getBoundingClientRect();
    const row = rowAt(e.clientY - r.top, ROW_HEIGHT, nTokens);
    const col = Math.floor((e.clientX - r.left) / heatCellW);
    return row === null || col < 0 || col >= nTokens ? null : { row, col };
  };
  cleanups.push(
    listen<MouseEvent>(heatCanvas, "mousemove", (e) => {
      const p = heatPos(e);
      if (p?.row === heatHover?.row && p?.col === heatHover?.col) return;
      heatHover = p;
      schedule();
    }),
    listen<MouseEvent>(heatCanvas, "mouseleave", () => {
      heatHover = null;
      schedule();
    }),
    listen<MouseEvent>(heatCanvas, "click", (e) => {
      const p = heatPos(e);
      if (p) lockToken(p.row, "left");
    }),
  );

  // ---- drawing ------------------------------------------------------------------------------
  let frame: number | null = null;
  let destroyed = false;
  function schedule() {
    if (destroyed || frame !== null) return;
    if (win && typeof win.requestAnimationFrame === "function") {
      frame = win.requestAnimationFrame(() => {
        frame = null;
        draw();
      });
    } else {
      frame = -1;
      queueMicrotask(() => {
        frame = null;
        draw();
      });
    }
  }

  function sizeCanvas(canvas: HTMLCanvasElement, cssW: number, cssH: number): CanvasRenderingContext2D | null {
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

  function updateLabels(s: Readonly<Selection>, att: LayerAttention | undefined, focus: Focus | null) {
    const weights = att && focus && s.mode === "lines" ? focusWeights(att, s.heads, focus) : null;
    const other: Side | null = focus ? (focus.side === "left" ? "right" : "left") : null;
    for (const side of ["left", "right"] as const) {
      const list = labels[side];
      for (let i = 0; i < list.length; i++) {
        const b = list[i]!;
        const locked = s.token === i && lockSide === side;
        b.setAttribute("aria-pressed", locked ? "true" : "false");
        b.classList.toggle("al-locked", locked);
        b.classList.toggle("al-focus", focus !== null && focus.index === i && focus.side === side);
        b.classList.toggle("al-row-locked", s.mode === "heatmap" && s.token === i);
        if (weights && side === other) {
          b.style.setProperty("--al-w", String(Math.min(1, weights[i] ?? 0)));
          b.classList.add("al-weighted");
        } else if (b.classList.contains("al-weighted")) {
          b.classList.remove("al-weighted");
          b.style.removeProperty("--al-w");
        }
      }
    }
  }

  /** Lines column width from the available width (scroll box minus both label columns and the gaps). */
  function linesWidth(): number {
    const total = scroll.clientWidth;
    const w = total > 0 ? linesWidthFor(total, left.offsetWidth || 0, right.offsetWidth || 0) : LINES_DEFAULT_WIDTH;
    grid.style.setProperty("--al-lines-w", `${w}px`);
    return w;
  }

  function drawLines(s: Readonly<Selection>, att: LayerAttention, focus: Focus | null): LineSelection {
    const cssW = linesWidth();
    const n = Math.min(att.n, nTokens);
    let sel: LineSelection;
    if (focus) {
      sel = selectLines(att, s.heads, focus);
    } else {
      const key = `${s.heads.join(",")}`;
      if (unfocusedCache && unfocusedCache.att === att && unfocusedCache.key === key) sel = unfocusedCache.sel;
      else {
        sel = selectLines(att, s.heads, null);
        unfocusedCache = { key, att, sel };
      }
    }
    const ctx = sizeCanvas(linesCanvas, cssW, height);
    if (!ctx) return sel;
    // Width 1 (a hairline at 1x) rasterises far faster than thicker strokes for the dense overview.
    ctx.lineWidth = focus ? 2 : 1;
    ctx.lineCap = "butt";
    const pad = 2;
    // Group by head and opacity bucket: one path per group keeps 10^4 lines fast.
    const groups = new Map<number, Map<number, number[]>>();
    for (const l of sel.lines) {
      if (l.from >= n || l.to >= n) continue;
      let byAlpha = groups.get(l.head);
      if (!byAlpha) groups.set(l.head, (byAlpha = new Map()));
      const bucket = Math.max(1, Math.round(l.weight * ALPHA_BUCKETS));
      let arr = byAlpha.get(bucket);
      if (!arr) byAlpha.set(bucket, (arr = []));
      arr.push(l.from, l.to);
    }
    for (const [head, byAlpha] of groups) {
      ctx.strokeStyle = headColor(head, theme.bgRgb);
      for (const [bucket, pairs] of byAlpha) {
        ctx.globalAlpha = Math.min(1, bucket / ALPHA_BUCKETS);
        // Short paths: rasterisers slow down badly on one huge self-intersecting path.
        for (let start = 0; start < pairs.length; start += 2 * SEGMENTS_PER_PATH) {
          const end = Math.min(pairs.length, start + 2 * SEGMENTS_PER_PATH);
          ctx.beginPath();
          for (let k = start; k < end; k += 2) {
            ctx.moveTo(pad, rowCenter(pairs[k]!, ROW_HEIGHT));
            ctx.lineTo(cssW - pad, rowCenter(pairs[k + 1]!, ROW_HEIGHT));
          }
          ctx.stroke();
        }
      }
    }
    ctx.globalAlpha = 1;
    return sel;
  }

  function drawHeatmap(s: Readonly<Selection>, att: LayerAttention) {
    const n = Math.min(att.n, nTokens);
    const avail = Math.max(120, (scroll.clientWidth || 600) - (left.offsetWidth || 120) - 24);
    heatCellW = Math.max(1, Math.min(ROW_HEIGHT, avail / Math.max(1, n)));
    const cssW = Math.max(1, Math.round(heatCellW * n));
    const showKeys = keyLabels.length > 0 && heatCellW >= MIN_KEY_LABEL_WIDTH;
    section.classList.toggle("al-has-keys", showKeys);
    heatKeys.hidden = !showKeys;
    grid.style.height = `${height + (showKeys ? KEYS_HEIGHT : 0)}px`;
    if (showKeys) {
      heatKeys.style.width = `${cssW}px`;
      keyLabels.forEach((k, j) => {
        k.style.left = `${(j + 0.5) * heatCellW}px`;
      });
    }
    const ctx = sizeCanvas(heatCanvas, cssW, height);
    if (!ctx) return;
    const m = meanMatrix(att, s.heads);
    let max = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) max = Math.max(max, m[i * att.n + j]!);
    const img = ctx.createImageData(n, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const t = max > 0 ? m[i * att.n + j]! / max : 0;
        const [r, g, b] = sequentialColor(t, theme.bgRgb);
        const o = (i * n + j) * 4;
        img.data[o] = r;
        img.data[o + 1] = g;
        img.data[o + 2] = b;
        img.data[o + 3] = 255;
      }
    }
    const off = doc.createElement("canvas");
    off.width = n;
    off.height = n;
    const octx = off.getContext("2d");
    if (octx) {
      octx.putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(off, 0, 0, cssW, n * ROW_HEIGHT);
    }
    ctx.lineWidth = 2;
    if (s.token !== null && s.token < n) {
      ctx.strokeStyle = theme.accent;
      ctx.strokeRect(1, s.token * ROW_HEIGHT + 1, cssW - 2, ROW_HEIGHT - 2);
    }
    if (heatHover) {
      ctx.strokeStyle = theme.fg;
      ctx.lineWidth = 1.5;
      ctx.strokeRect(heatHover.col * heatCellW, heatHover.row * ROW_HEIGHT, Math.max(2, heatCellW), ROW_HEIGHT);
      const w = m[heatHover.row * att.n + heatHover.col] ?? 0;
      readout.textContent = `from ${JSON.stringify(tokens[heatHover.row] ?? "")} (${heatHover.row}) to ${JSON.stringify(
        tokens[heatHover.col] ?? "",
      )} (${heatHover.col}): ${w.toFixed(3)} (mean of ${s.heads.length} head${s.heads.length === 1 ? "" : "s"})`;
    } else {
      readout.textContent = `colour: 0 (background) to ${max.toFixed(2)} (strongest); hover a cell for its value`;
    }
  }

  /** DOM state (labels, buttons, hint): updated synchronously on every change. */
  function syncDom() {
    if (destroyed) return;
    const s = store.get();
    const heat = s.mode === "heatmap";
    section.setAttribute("data-mode", s.mode);
    modeBtn.textContent = heat ? "Show lines" : "Show heatmap";
    modeBtn.setAttribute("aria-label", heat ? "switch to lines view" : "switch to heatmap view");
    hint.textContent = heat ? HINT_HEATMAP : HINT_LINES;
    if (!heat) {
      section.classList.remove("al-has-keys");
      grid.style.height = `${height}px`;
    }
    linesCell.hidden = heat;
    right.hidden = heat;
    heatCell.hidden = !heat;
    readout.hidden = !heat;
    updateLabels(s, attention.get(s.layer), focusOf(s));
  }

  /** Canvas and status: drawn on the next animation frame. */
  function draw() {
    if (destroyed) return;
    const s = store.get();
    theme = readTheme(section);
    const heat = s.mode === "heatmap";
    const att = attention.get(s.layer);
    const st = attention.state(s.layer);
    const focus = focusOf(s);
    if (!att) {
      section.classList.add("al-pending");
      sizeCanvas(linesCanvas, linesWidth(), height);
      if (st.state === "error")
        status.textContent = st.message.startsWith(`Layer ${s.layer} `) ? st.message : `Layer ${s.layer}: ${st.message}`;
      else if (st.state === "no-kernel")
        status.textContent = `Layer ${s.layer} is not in this page: ${st.message}.`;
      else status.textContent = `loading layer ${s.layer}…`;
      status.setAttribute("data-state", st.state);
      return;
    }
    section.classList.remove("al-pending");
    if (s.heads.length === 0) {
      status.textContent = "No head is shown: click a head above to show it.";
      status.setAttribute("data-state", "empty");
    } else {
      status.textContent = "";
      status.setAttribute("data-state", "ready");
    }
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
  }

  // ---- subscriptions ------------------------------------------------------------------------
  attention.ensure(store.get().layer);
  cleanups.push(
    store.subscribe((s, prev) => {
      if (s.layer !== prev.layer) attention.ensure(s.layer);
      if (s.token !== prev.token && s.token === null) lockSide = "left";
      syncDom();
      schedule();
    }),
    attention.subscribe(() => {
      syncDom();
      schedule();
    }),
    watchTheme(doc, () => schedule()),
  );
  if (win && typeof win.ResizeObserver === "function") {
    let lastW = -1;
    const ro = new win.ResizeObserver(() => {
      const w = scroll.clientWidth;
      if (w !== lastW) {
        lastW = w;
        schedule();
      }
    });
    ro.observe(scroll);
    cleanups.push(() => ro.disconnect());
  }
  syncDom();
  draw();

  return {
    destroy() {
      destroyed = true;
      if (frame !== null && frame >= 0 && win) win.cancelAnimationFrame(frame);
      frame = null;
      for (const fn of cleanups.splice(0)) fn();
      section.remove();
    },
  };
}
