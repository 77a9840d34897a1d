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
import { listen } from "../../../dom";
import { watchTheme, type Theme } from "../../../theme";
import { canvasScale } from "../../common/geometry";
import { frameScheduler, themeReader, type Scheduler } from "../../common/index";
import { buildDom, MINI, type ZoomDom } from "./dom";
import { bindInput } from "./input";
import type { Pool } from "./keys";
import { edgeLabels } from "./labels";
import { blockFor, overviewBlock, tileRect, type Rect } from "./levels";
import { miniPainter, miniRect, miniSize } from "./minimap";
import { visibleTop } from "./paint";
import { colourTop, renderMap, type ScaleMode } from "./render";
import { cellReadout } from "./readout";
import { scaleText, statusOf } from "./status";
import { tileSource, type Gathered, type TileSource } from "./tiles";
import { fitAll, rectText, resize, tokenAt, visibleRect, type Viewport } from "./viewport";

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
  scale: ScaleMode;
  vp: Viewport;
  sized: boolean;
  hover: { x: number; y: number } | null;
}

interface Ctx {
  opts: ZoomHeatmapOptions;
  dom: ZoomDom;
  st: State;
  win: Document["defaultView"];
  height: number;
  overview: number;
  source: TileSource;
  themes: { get(): Theme; reset(): void };
  lutFor: () => Uint8ClampedArray;
  readout: ReturnType<typeof cellReadout>;
  labels: ReturnType<typeof edgeLabels>;
  paintMini: ReturnType<typeof miniPainter>;
  drawnSig: string;
}

/** Read the map's size; a first size fits the matrix, a later one keeps the view. False: not laid out. */
function measure(c: Ctx): boolean {
  const { dom, st, opts } = c;
  const w = dom.mapBox.clientWidth;
  const hh = dom.mapBox.clientHeight || c.height - 2;
  if (w <= 0) return false;
  if (!st.sized) st.vp = fitAll(opts.nq, opts.nk, w, hh);
  else if (w !== st.vp.width || hh !== st.vp.height) st.vp = resize(st.vp, w, hh);
  st.sized = true;
  return true;
}

function drawMini(c: Ctx, g: Gathered, dpr: number): void {
  const { dom, opts } = c;
  dom.miniBox.hidden = !g.overview;
  if (!g.overview) return;
  const size = miniSize(opts.nq, opts.nk, MINI);
  const all = tileRect(c.overview, 0, 0, opts.nq, opts.nk);
  c.paintMini(g.overview, size, dpr, { max: visibleTop([g.overview], all).top, lut: c.lutFor(), pool: c.st.pool });
  const r = miniRect(c.st.vp, size);
  Object.assign(dom.miniRect.style, { left: `${r.left}px`, top: `${r.top}px`, width: `${r.width}px`, height: `${r.height}px` });
}

/** Status line, info line, pool label and the root's test attributes. */
function describe(c: Ctx, g: Gathered, block: number, rect: Rect, colour: { top: number; max: number; fixed: boolean }): void {
  const { dom, st } = c;
  const status = statusOf(g, st.heads.length === 0, block);
  dom.status.textContent = status.text;
  if (status.state) dom.status.setAttribute("data-state", status.state);
  else dom.status.removeAttribute("data-state");
  const cells = block === 1 ? "full resolution" : `${block}×${block} tokens a cell`;
  dom.info.textContent = `queries ${rect.r0}–${Math.max(rect.r0, rect.r1 - 1)} × keys ${rect.c0}–${Math.max(rect.c0, rect.c1 - 1)} · ${cells} · ${scaleText(colour.top, colour.max, colour.fixed, st.scale)}`;
  dom.poolLabel.textContent = block === 1 ? "each cell: one query–key pair" : `each cell: ${st.pool} of its ${block}×${block} block`;
  const root = dom.root;
  root.setAttribute("data-heat-block", String(block));
  root.setAttribute("data-heat-view", rectText(rect));
  root.setAttribute("data-heat-pool", st.pool);
  root.setAttribute("data-heat-scale", st.scale);
  root.setAttribute("data-heat-drawn", g.complete ? String(block) : "");
}

function draw(c: Ctx): void {
  if (!measure(c)) return;
  const { st, opts } = c;
  const vp = st.vp;
  const dpr = c.win?.devicePixelRatio || 1;
  const scale = canvasScale(vp.width, vp.height, dpr);
  const block = blockFor(vp.tpp, scale, c.overview);
  const rect = visibleRect(vp);
  const none = st.heads.length === 0;
  const g: Gathered = none ? { tiles: [], overview: undefined, complete: false, error: null } : c.source.gather(st, block, rect);
  const shown = g.complete ? g.tiles.filter((t) => t.rect.block === block) : g.tiles;
  const scaleTile = st.pool === "max" || none ? g.overview : c.source.overview(st, "max");
  const colour = colourTop(st.scale, opts.colorMax, shown, rect, scaleTile);
  const frame = { vp, scale, block, rect, pool: st.pool, theme: c.themes.get(), lut: c.lutFor(), token: st.token, hover: st.hover };
  renderMap(c.dom.canvas, g.tiles, colour.top, frame);
  drawMini(c, g, dpr);
  c.labels.update(vp, rect, block);
  describe(c, g, block, rect, colour);
  const cell = st.hover ? tokenAt(vp, st.hover.x, st.hover.y) : null;
  c.readout.update(st.layer, st.heads, none ? null : cell, block, st.pool);
  const sig = `${st.layer}|${st.heads.join(",")}|${st.pool}|${block}|${rectText(rect)}`;
  if (g.complete && sig !== c.drawnSig) {
    c.drawnSig = sig;
    opts.onDrawn?.(block, st.layer);
  }
}

/** Every listener of the component; returns their removals. */
function bind(c: Ctx, sched: Scheduler): (() => void)[] {
  const { dom, st, opts } = c;
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
        if (cell) opts.store.set({ token: opts.store.get().token === cell.row ? null : cell.row });
      },
      miniSize: () => miniSize(opts.nq, opts.nk, MINI),
    }),
    opts.cache.subscribe(() => sched.schedule()),
    watchTheme(dom.root.ownerDocument, () => {
      c.themes.reset();
      sched.schedule();
    }),
  ];
  const onSelect = () => {
    st.pool = dom.pool.value === "mean" ? "mean" : "max";
    st.scale = dom.scale.value === "matrix" ? "matrix" : "view";
    sched.soon();
  };
  for (const sel of [dom.pool, dom.scale]) offs.push(listen(sel, "change", onSelect));
  if (c.win && typeof c.win.ResizeObserver === "function") {
    const ro = new c.win.ResizeObserver(() => sched.schedule());
    ro.observe(dom.mapBox);
    offs.push(() => ro.disconnect());
  }
  return offs;
}

function lutReader(themes: { get(): Theme }): () => Uint8ClampedArray {
  let lut: { bg: string; lut: Uint8ClampedArray } | null = null;
  return () => {
    const t = themes.get();
    if (!lut || lut.bg !== t.bg) lut = { bg: t.bg, lut: colorLut((x) => sequentialColor(x, t.bgRgb)) };
    return lut.lut;
  };
}

export function mountZoomHeatmap(el: HTMLElement, opts: ZoomHeatmapOptions): ZoomHeatmap {
  const doc = el.ownerDocument;
  const { nq, nk } = opts;
  const height = opts.height ?? 440;
  const dom = buildDom(doc, height);
  el.append(dom.root);
  const overview = overviewBlock(nq, nk);
  const s0 = opts.store.get();
  const st: State = { layer: s0.layer, heads: [...s0.heads], token: s0.token, pool: "max", scale: "matrix", vp: fitAll(nq, nk, 1, 1), sized: false, hover: null };
  const themes = themeReader(dom.root);
  let sched: Scheduler | null = null;
  const c: Ctx = {
    opts, dom, st, height, overview, themes,
    win: doc.defaultView,
    source: tileSource(opts.cache, { stack: opts.stack, nq, nk, nHeads: opts.nHeads, overview }),
    lutFor: lutReader(themes),
    readout: cellReadout(dom.readout, { cache: opts.cache, stack: opts.stack, queryTokens: opts.queryTokens, keyTokens: opts.keyTokens, nq, nk }, () => sched?.schedule()),
    labels: edgeLabels(dom.gutter, dom.band, opts.queryTokens, opts.keyTokens),
    paintMini: miniPainter(dom.mini),
    drawnSig: "",
  };
  const s = (sched = frameScheduler(c.win, () => draw(c)));
  const offs = bind(c, s);
  s.soon();
  return {
    setSelection(layer, heads, token) {
      st.layer = layer;
      st.heads = [...new Set(heads)].filter((h) => Number.isInteger(h) && h >= 0 && h < opts.nHeads).sort((a, b) => a - b);
      st.token = token;
      s.soon();
    },
    redraw() {
      themes.reset();
      s.soon();
    },
    destroy() {
      s.cancel();
      c.readout.destroy();
      for (const off of offs.splice(0)) off();
      dom.root.remove();
    },
  };
}
