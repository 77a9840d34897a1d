/**
 * Heatmap mode of the head view, behind one adapter so that only this file changes when the zoomable
 * heatmap (`mountZoomHeatmap` from `./zoom/index`, built on the `attention_tile` pyramid) lands.
 *
 * TODO(lead, issue #12): the zoom component is not in this branch yet. When it lands, replace the body
 * of `heatmapMode` with (adjusting to its final API):
 *
 *   import { mountZoomHeatmap } from "./zoom/index";
 *   const zoom = mountZoomHeatmap(host.sk.heatCell, {
 *     cache: host.data.replies, queue: queueFor(host.data.replies), stack: host.data.stack.name,
 *     nq, nk, queryTokens, keyTokens, querySpecial, keySpecial, store: host.store, theme: host.theme(),
 *     zoomable: !host.saved || host.saved.zoom,              // saved pages: overview only, buttons disabled
 *     zoomTitle: "zoom needs a running kernel: this page holds the overview only",
 *     drawn: (layer) => host.drawnHeatmap(layer),           // overview of `layer` on screen
 *   });
 *   draw(s): zoom.setSelection(s.layer, s.heads, s.token); zoom.redraw(); return { drawn: <from drawn()> }
 *   prefetch(layer): [overviewTileRequest(stack, layer, heads, nq, nk)]  (from ../../static-tiles)
 *   destroy(): zoom.destroy()
 * and drop the old path below (the whole-layer `attention` request, H·N² values per layer change).
 */
import type { Request } from "../../replies";
import type { Selection, Store } from "../../store";
import type { Theme } from "../../theme";
import type { LayerState } from "../../types";
import { listen } from "../../dom";
import type { ViewData } from "../common/index";
import { sizeCanvas } from "../common/index";
import { cellText, heatmapLut, heatmapScale, KEYS_HEIGHT, MIN_KEY_LABEL_WIDTH, paintHeatRows, scaleText } from "./heatmap";
import { meanRows, type Side } from "./layout";
import type { ModeDraw } from "./lines-mode";
import type { Skeleton } from "./skeleton";
import type { Viewport } from "./viewport";

export interface HeatmapHost {
  sk: Skeleton;
  vp: Viewport;
  data: ViewData;
  store: Store;
  /** Re-render the token labels (the rows moved below the key labels or back). */
  renderWindow(): void;
  lockToken(i: number, side: Side): void;
  schedule(): void;
}

export interface HeatmapMode {
  draw(s: Readonly<Selection>, theme: Theme): ModeDraw;
  /** What to fetch for a neighbouring layer before it is selected. */
  prefetch(layer: number): Request[];
  /** Changes whenever what the heatmap shows changes state. */
  signature(s: Readonly<Selection>): unknown;
  destroy(): void;
}

/** Status of a layer not drawn yet: loading, or why it cannot be. */
function pendingDraw(st: LayerState, layer: number): ModeDraw {
  if (st.state === "error") return { drawn: false, status: st.message.startsWith(`Layer ${layer} `) ? st.message : `Layer ${layer}: ${st.message}`, state: st.state };
  if (st.state === "no-kernel") return { drawn: false, status: `Layer ${layer} is not in this page: ${st.message}.`, state: st.state };
  return { drawn: false, status: `loading layer ${layer}…`, state: "loading" };
}

/** Hover and click on the heatmap canvas: the hovered cell (for the readout), a click locks the row. */
function bindHeat(host: HeatmapHost, pos: (e: MouseEvent) => { row: number; col: number } | null, hover: { cell: { row: number; col: number } | null }): (() => void)[] {
  const canvas = host.sk.heatCanvas;
  return [
    listen<MouseEvent>(canvas, "mousemove", (e) => {
      const p = pos(e);
      if (p?.row === hover.cell?.row && p?.col === hover.cell?.col) return;
      hover.cell = p;
      host.schedule();
    }),
    listen<MouseEvent>(canvas, "mouseleave", () => {
      hover.cell = null;
      host.schedule();
    }),
    listen<MouseEvent>(canvas, "click", (e) => {
      const p = pos(e);
      if (p) host.lockToken(p.row, "left");
    }),
  ];
}

/** The old heatmap (whole layer, rows on screen, mean over the shown heads), until the zoom lands. */
export function heatmapMode(host: HeatmapHost): HeatmapMode {
  const { sk, vp, data } = host;
  const { attention } = data;
  const lutFor = heatmapLut();
  const heatmapMax = heatmapScale();
  let cellW = vp.rowHeight;
  const nq = data.queryTokens.length;
  const nk = data.keyTokens.length;
  const pos = (e: MouseEvent) => {
    const r = sk.heatCanvas.getBoundingClientRect();
    const row = Math.floor((e.clientY - r.top + vp.canvasTop()) / vp.rowHeight);
    const col = Math.floor((e.clientX - r.left) / cellW);
    return row < 0 || row >= nq || col < 0 || col >= nk ? null : { row, col };
  };
  const hover = { cell: null as { row: number; col: number } | null };
  const cleanups = bindHeat(host, pos, hover);

  /** Key labels above the heatmap when its columns are wide enough; returns the cell width. */
  function placeKeys(n: number): number {
    const b = vp.sized();
    const avail = Math.max(120, (b.width || 600) - (b.left || 120) - 24);
    cellW = Math.min(vp.rowHeight, avail / Math.max(1, n));
    const showKeys = sk.keys.length > 0 && cellW >= MIN_KEY_LABEL_WIDTH;
    sk.section.classList.toggle("al-has-keys", showKeys);
    sk.heatKeys.hidden = !showKeys;
    if (vp.setRowsTop(showKeys ? KEYS_HEIGHT : 0)) host.renderWindow();
    if (showKeys) {
      sk.heatKeys.style.width = `${Math.max(1, Math.round(cellW * n))}px`;
      sk.keys.forEach((k, j) => {
        k.style.left = `${(j + 0.5) * cellW}px`;
      });
    }
    return cellW;
  }

  return {
    draw(s, theme) {
      attention.ensure(s.layer);
      const att = attention.get(s.layer);
      if (!att) {
        sk.heatKeys.hidden = true; // placed once the layer is in
        return pendingDraw(attention.state(s.layer), s.layer);
      }
      const n = att.nk;
      const w = placeKeys(n);
      const cssW = Math.max(1, Math.round(w * n));
      const { top, height } = vp.placeCanvas(sk.heatCanvas);
      const none = s.heads.length === 0;
      const result = { drawn: true, status: none ? "No head is shown: click a head above to show it." : "", state: none ? "empty" : "ready" };
      const ctx = sizeCanvas(sk.heatCanvas, cssW, height);
      if (!ctx) return result;
      const r0 = Math.floor(top / vp.rowHeight);
      const r1 = Math.min(att.nq, Math.ceil((top + height) / vp.rowHeight));
      const rows = meanRows(att, s.heads, r0, r1);
      const { max, global } = heatmapMax(att, s.heads, rows);
      const lut = lutFor(theme.bg, theme.bgRgb);
      const px = paintHeatRows(ctx, sk.section.ownerDocument, rows, { nk: n, r0, cssW, top, rowHeight: vp.rowHeight, max, lut });
      ctx.lineWidth = 2;
      if (s.token !== null && s.token < att.nq) {
        ctx.strokeStyle = theme.accent;
        ctx.strokeRect(1, s.token * vp.rowHeight - top + 1, cssW - 2, vp.rowHeight - 2);
      }
      const heatHover = hover.cell;
      if (heatHover) {
        ctx.strokeStyle = theme.fg;
        ctx.lineWidth = 1.5;
        ctx.strokeRect(heatHover.col * w, heatHover.row * vp.rowHeight - top, Math.max(2, w), vp.rowHeight);
        const v = meanRows(att, s.heads, heatHover.row, heatHover.row + 1)[heatHover.col] ?? 0;
        sk.readout.textContent = cellText(data.queryTokens, data.keyTokens, heatHover, v, s.heads.length);
      } else sk.readout.textContent = scaleText(max, global, px, n);
      return result;
    },
    prefetch: () => [], // the whole-layer path does not prefetch (H·N² values); the zoom's overview tile will
    signature: (s) => attention.get(s.layer) ?? attention.state(s.layer).state,
    destroy() {
      for (const fn of cleanups.splice(0)) fn();
    },
  };
}
