/**
 * Zoomable, pannable attention heatmap drawn from `attention_tile` replies (level of detail, like a map
 * viewer; wire spec in issue #12). Self-contained: the head view mounts it in heatmap mode.
 *
 *   const heat = mountZoomHeatmap(el, {
 *     cache: data.replies, stack: s.stack, nq, nk, nHeads: stackMeta.n_heads,
 *     queryTokens: data.queryTokens, keyTokens: data.keyTokens, store,
 *     height: 440, onDrawn: (block, layer) => data.drawn("head", layer),
 *   });
 *   heat.setSelection(s.layer, s.heads, s.token);   // on every store change (layer, heads, token)
 *   heat.redraw();                                   // after a theme change or when `el` was shown again
 *   heat.destroy();
 *
 * Asks only for what is on screen: the overview tile (0, 0) at the overview block (always; it is the
 * minimap and the never-blank fallback) and the tiles of the level whose block is the largest power of
 * two ≤ tokens per device pixel. Held coarser tiles are drawn under finer ones while those load
 * ("refining…"). Hovering asks `attention_cell` for the exact value. Clicking a row toggles the lock
 * of that query token in the store. Interaction: wheel zooms about the pointer, drag pans, keys on the
 * focused canvas (+ − 0 arrows), buttons (data-control zoom-in / zoom-out / zoom-fit), pool select
 * (data-control heat-pool), minimap click/drag.
 *
 * Root (`.al-zoom`) attributes for tests: data-heat-block (the level drawn), data-heat-view
 * ("r0,r1,c0,c1" tokens on screen), data-heat-drawn (the block, once every tile on screen is drawn at
 * that level; "" while refining), data-heat-pool. The readout carries data-readout="heat-cell".
 */
import { colorLut, sequentialColor } from "../../../colors";
import type { ReplyCache } from "../../../replies";
import type { Store } from "../../../store";
import { watchTheme } from "../../../theme";
import { canvasScale } from "../../common/geometry";
import { frameScheduler, themeReader } from "../../common/index";
import { buildDom, MINI } from "./dom";
import { bindInput } from "./input";
import type { Pool } from "./keys";
import { edgeLabels } from "./labels";
import { blockFor, overviewBlock, tileRect, type Rect } from "./levels";
import { miniPainter, miniRect, miniSize } from "./minimap";
import { paintTile, visibleTop } from "./paint";
import { cellReadout } from "./readout";
import { scaleText, statusOf } from "./status";
import { tileSource, type Gathered } from "./tiles";
import { fitAll, rectText, resize, toPx, tokenAt, visibleRect, type Viewport } from "./viewport";

export interface ZoomHeatmapOptions {
  cache: ReplyCache;
  stack: string;
  nq: number;
  nk: number;
  nHeads: number;
  queryTokens: readonly string[];
  keyTokens: readonly string[];
  /** Clicking a row toggles `token` (the locked query token); layer / heads come via setSelection. */
  store: Store;
  /** Height of the map in CSS px (default 440). */
  height?: number;
  /** Fixed top of the colour scale; default: the largest value on screen. */
  colorMax?: number | null;
  /** Called once per (layer, heads, pool, level, view) when every tile on screen is drawn at its level. */
  onDrawn?: (block: number, layer: number) => void;
}

export interface ZoomHeatmap {
  setSelection(layer: number, heads: readonly number[], token: number | null): void;
  redraw(): void;
  destroy(): void;
}

interface State {
  layer: number;
  heads: number[];
  token: number | null;
  pool: Pool;
  vp: Viewport;
  sized: boolean;
  hover: { x: number; y: number } | null;
}

export function mountZoomHeatmap(el: HTMLElement, opts: ZoomHeatmapOptions): ZoomHeatmap {
  const doc = el.ownerDocument;
  const win = doc.defaultView;
  const { nq, nk } = opts;
  const height = opts.height ?? 440;
  const dom = buildDom(doc, height);
  el.append(dom.root);
  const overview = overviewBlock(nq, nk);
  const source = tileSource(opts.cache, { stack: opts.stack, nq, nk, nHeads: opts.nHeads, overview });
  const s0 = opts.store.get();
  const st: State = { layer: s0.layer, heads: [...s0.heads], token: s0.token, pool: "max", vp: fitAll(nq, nk, 1, 1), sized: false, hover: null };
  const themes = themeReader(dom.root);
  let lut: { bg: string; lut: Uint8ClampedArray } | null = null;
  const lutFor = () => {
    const t = themes.get();
    if (!lut || lut.bg !== t.bg) lut = { bg: t.bg, lut: colorLut((x) => sequentialColor(x, t.bgRgb)) };
    return lut.lut;
  };
  const sched = frameScheduler(win, () => draw());
  const readout = cellReadout(dom.readout, { cache: opts.cache, stack: opts.stack, queryTokens: opts.queryTokens, keyTokens: opts.keyTokens, nq, nk }, () => sched.schedule());
  const labels = edgeLabels(dom.gutter, dom.band, opts.queryTokens, opts.keyTokens);
  const paintMini = miniPainter(dom.mini);
  let drawnSig = "";

  const measure = (): boolean => {
    const w = dom.mapBox.clientWidth;
    const hh = dom.mapBox.clientHeight || height - 2;
    if (w <= 0) return false;
    if (!st.sized) st.vp = fitAll(nq, nk, w, hh);
    else if (w !== st.vp.width || hh !== st.vp.height) st.vp = resize(st.vp, w, hh);
    st.sized = true;
    return true;
  };

  /** Paint the held tiles into the canvas; returns the colour scale's top and the max on screen. */
  const paintMap = (g: Gathered, block: number, rect: Rect, scale: number): { top: number; max: number } => {
    const { vp } = st;
    const w = Math.max(1, Math.round(vp.width * scale));
    const hh = Math.max(1, Math.round(vp.height * scale));
    const c = dom.canvas;
    if (c.width !== w) c.width = w;
    if (c.height !== hh) c.height = hh;
    c.style.width = `${vp.width}px`;
    c.style.height = `${vp.height}px`;
    const ctx = c.getContext("2d");
    const shown = visibleTop(g.complete ? g.tiles.filter((t) => t.rect.block === block) : g.tiles, rect);
    const top = opts.colorMax ?? shown.top;
    if (!ctx) return { top, max: shown.max };
    const img = ctx.createImageData(w, hh);
    const surface = { data: img.data, width: w, height: hh, x: vp.x, y: vp.y, tpdp: vp.tpp / scale };
    for (const t of g.tiles) paintTile(surface, t, { max: top, lut: lutFor(), pool: st.pool });
    ctx.putImageData(img, 0, 0);
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    overlay(ctx, block);
    return { top, max: shown.max };
  };

  /** The matrix's edge, the locked row and the hovered cell (or its block), over the pixels. */
  const overlay = (ctx: CanvasRenderingContext2D, block: number) => {
    const { vp } = st;
    const t = themes.get();
    const end = toPx(vp, nq, nk);
    const origin = toPx(vp, 0, 0);
    ctx.strokeStyle = t.border;
    ctx.lineWidth = 1;
    ctx.strokeRect(origin.x + 0.5, origin.y + 0.5, end.x - origin.x - 1, end.y - origin.y - 1);
    ctx.strokeStyle = t.accent;
    ctx.lineWidth = 2;
    if (st.token !== null && st.token >= 0 && st.token < nq) {
      const a = toPx(vp, st.token, 0);
      const b = toPx(vp, st.token + 1, nk);
      ctx.strokeRect(Math.max(-2, a.x), a.y - 1, Math.min(vp.width + 4, b.x - a.x), Math.max(2, b.y - a.y) + 2);
    }
    const cell = st.hover ? tokenAt(vp, st.hover.x, st.hover.y) : null;
    if (cell) {
      const r0 = Math.floor(cell.row / block) * block;
      const c0 = Math.floor(cell.col / block) * block;
      const a = toPx(vp, r0, c0);
      const b = toPx(vp, Math.min(nq, r0 + block), Math.min(nk, c0 + block));
      ctx.strokeStyle = t.fg;
      ctx.lineWidth = 1.5;
      ctx.strokeRect(a.x, a.y, Math.max(3, b.x - a.x), Math.max(3, b.y - a.y));
    }
  };

  const drawMini = (g: Gathered, dpr: number) => {
    dom.miniBox.hidden = !g.overview;
    if (!g.overview) return;
    const size = miniSize(nq, nk, MINI);
    const all = tileRect(overview, 0, 0, nq, nk);
    paintMini(g.overview, size, dpr, { max: visibleTop([g.overview], all).top, lut: lutFor(), pool: st.pool });
    const r = miniRect(st.vp, size);
    Object.assign(dom.miniRect.style, { left: `${r.left}px`, top: `${r.top}px`, width: `${r.width}px`, height: `${r.height}px` });
  };

  const draw = () => {
    if (!measure()) return;
    const { vp } = st;
    const dpr = win?.devicePixelRatio || 1;
    const scale = canvasScale(vp.width, vp.height, dpr);
    const block = blockFor(vp.tpp, scale, overview);
    const rect = visibleRect(vp);
    const none = st.heads.length === 0;
    const g: Gathered = none ? { tiles: [], overview: undefined, complete: false, error: null } : source.gather(st, block, rect);
    const colour = paintMap(g, block, rect, scale);
    drawMini(g, dpr);
    labels.update(vp, rect, block);
    const status = statusOf(g, none, block);
    dom.status.textContent = status.text;
    if (status.state) dom.status.setAttribute("data-state", status.state);
    else dom.status.removeAttribute("data-state");
    dom.info.textContent = `queries ${rect.r0}–${Math.max(rect.r0, rect.r1 - 1)} × keys ${rect.c0}–${Math.max(rect.c0, rect.c1 - 1)} · ${block === 1 ? "full resolution" : `${block}×${block} tokens a cell`} · ${scaleText(colour.top, colour.max, Boolean(opts.colorMax))}`;
    dom.poolLabel.textContent = block === 1 ? "each cell: one query–key pair" : `each cell: ${st.pool} of its ${block}×${block} block`;
    const root = dom.root;
    root.setAttribute("data-heat-block", String(block));
    root.setAttribute("data-heat-view", rectText(rect));
    root.setAttribute("data-heat-pool", st.pool);
    root.setAttribute("data-heat-drawn", g.complete ? String(block) : "");
    const cell = st.hover ? tokenAt(vp, st.hover.x, st.hover.y) : null;
    readout.update(st.layer, st.heads, none ? null : cell, block, st.pool);
    const sig = `${st.layer}|${st.heads.join(",")}|${st.pool}|${block}|${rectText(rect)}`;
    if (g.complete && sig !== drawnSig) {
      drawnSig = sig;
      opts.onDrawn?.(block, st.layer);
    }
  };

  const offs: (() => void)[] = [
    bindInput({
      canvas: dom.canvas,
      miniBox: dom.miniBox,
      buttons: dom,
      viewport: () => st.vp,
      apply: (vp) => {
        st.vp = vp;
        sched.schedule();
      },
      hover: (x, y) => {
        st.hover = x === null || y === null ? null : { x, y };
        sched.schedule();
      },
      click: (x, y) => {
        const cell = tokenAt(st.vp, x, y);
        if (!cell) return;
        opts.store.set({ token: opts.store.get().token === cell.row ? null : cell.row });
      },
      miniSize: () => miniSize(nq, nk, MINI),
    }),
    opts.cache.subscribe(() => sched.schedule()),
    watchTheme(doc, () => {
      themes.reset();
      sched.schedule();
    }),
  ];
  const onPool = () => {
    st.pool = dom.pool.value === "mean" ? "mean" : "max";
    sched.soon();
  };
  dom.pool.addEventListener("change", onPool);
  offs.push(() => dom.pool.removeEventListener("change", onPool));
  if (win && typeof win.ResizeObserver === "function") {
    const ro = new win.ResizeObserver(() => sched.schedule());
    ro.observe(dom.mapBox);
    offs.push(() => ro.disconnect());
  }
  sched.soon();

  return {
    setSelection(layer, heads, token) {
      st.layer = layer;
      st.heads = [...new Set(heads)].filter((h) => Number.isInteger(h) && h >= 0 && h < opts.nHeads).sort((a, b) => a - b);
      st.token = token;
      sched.soon();
    },
    redraw() {
      themes.reset();
      sched.soon();
    },
    destroy() {
      sched.cancel();
      readout.destroy();
      for (const off of offs.splice(0)) off();
      dom.root.remove();
    },
  };
}
