/**
 * Heatmap mode of the head view: the zoomable level-of-detail heatmap (`./zoom/`, drawn from
 * `attention_tile` replies: the overview tile, then only the tiles on screen), in its own box beside
 * the scrolled token grid, which heatmap mode hides. Never a whole layer (H·N² values) per change.
 */
import { keyOf, type Request } from "../../replies";
import type { Selection, Store } from "../../store";
import { overviewTileRequest } from "../../static-tiles";
import type { ViewData } from "../common/index";
import type { Side } from "./layout";
import type { ModeDraw } from "./lines-mode";
import type { Skeleton } from "./skeleton";
import type { Viewport } from "./viewport";
import { mountZoomHeatmap, type ZoomHeatmap } from "./zoom/index";

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
  draw(s: Readonly<Selection>): ModeDraw;
  /** Show the heatmap's box (heatmap mode) or the token grid (lines mode). */
  show(on: boolean): void;
  /** What to fetch for a neighbouring layer before it is selected: its overview tile. */
  prefetch(layer: number): Request[];
  /** Changes whenever what the heatmap shows changes state. */
  signature(s: Readonly<Selection>): unknown;
  destroy(): void;
}

export function heatmapMode(host: HeatmapHost): HeatmapMode {
  const { sk, data, store } = host;
  const doc = sk.section.ownerDocument;
  const [nq, nk] = [data.queryTokens.length, data.keyTokens.length];
  const box = doc.createElement("div");
  box.className = "al-zoom-host";
  box.hidden = true;
  sk.scroll.after(box);
  let zoom: ZoomHeatmap | null = null;
  let drawnLayer = -1;
  const mount = (): ZoomHeatmap =>
    (zoom ??= mountZoomHeatmap(box, {
      cache: data.replies, stack: data.stack.name, nq, nk, nHeads: data.stack.n_heads,
      queryTokens: data.queryTokens, keyTokens: data.keyTokens, store,
      onDrawn: (_block, layer) => {
        if (layer === drawnLayer) return;
        drawnLayer = layer;
        host.schedule();
      },
    }));

  return {
    draw(s) {
      const z = mount();
      z.setSelection(s.layer, s.heads, s.token);
      if (s.heads.length === 0) return { drawn: true, status: "No head is shown: click a head above to show it.", state: "empty" };
      if (drawnLayer === s.layer) return { drawn: true, status: "", state: "ready" };
      // Not drawn yet: say why when the overview cannot come (an error, or a page without it).
      const overview = overviewTileRequest(data.stack.name, s.layer, s.heads, data.stack.n_heads, nq, nk);
      data.replies.request(overview); // the first thing the map draws (the cache asks once)
      const st = data.replies.state(keyOf(overview));
      if (st.state === "error" || st.state === "no-kernel") return { drawn: false, status: `Layer ${s.layer}: ${st.message}`, state: st.state };
      return { drawn: false, status: `loading layer ${s.layer}…`, state: "loading" };
    },
    show(on) {
      box.hidden = !on;
      sk.scroll.hidden = on;
      sk.readout.hidden = true; // the zoom component has its own readout
      if (on && zoom) zoom.redraw();
    },
    prefetch: (layer) => {
      const heads = store.get().heads;
      return heads.length ? [overviewTileRequest(data.stack.name, layer, heads, data.stack.n_heads, nq, nk)] : [];
    },
    signature: (s) => `${s.layer}:${drawnLayer}`,
    destroy() {
      zoom?.destroy();
      box.remove();
    },
  };
}
