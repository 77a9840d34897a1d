/**
 * Model view: every layer × head of the stack as a small attention thumbnail (reply "thumbnails",
 * uint8 [layers, heads, g, g'], each head scaled to max 1), on one canvas. A grid of transparent
 * buttons over the canvas (`data-layer`, `data-head`) makes every cell hoverable, clickable and
 * keyboard reachable (one tab stop, arrows inside the grid). Click: layer and heads = [head].
 * DOM in `dom.ts`, listeners in `events.ts`, what is painted in `draw.ts` (pure).
 */
import { colorLut, sequentialColor } from "../../colors";
import { requestKey } from "../../replies";
import type { Store } from "../../store";
import { watchTheme, type Theme } from "../../theme";
import type { ViewHandle } from "../../types";
import { canObserveResize, frameScheduler, onResize, showState, replySignature, sizeCanvas, themeReader, whenChanged, type ViewData, viewHandle } from "../common/index";
import { paint } from "../common/paint";
import { buildModelDom, cellMarker, placeCells, type ModelDom } from "./dom";
import { gridOps, markedHeads, markLabel, readoutText, thumbnailPixels, thumbPx, type Thumbnails } from "./draw";
import { bindModelEvents, type ModelState } from "./events";
import { LABEL_H, LABEL_W, modelGrid, type ModelGrid } from "./layout";

/** Paint the grid and, when the reply is in, the thumbnails (blitted cell by cell from one image). */
function paintGrid(d: ModelDom, g: ModelGrid, layers: number, heads: number, theme: Theme, thumbs: Thumbnails | undefined): void {
  const ctx = sizeCanvas(d.canvas, g.width, g.height);
  if (!ctx) return;
  paint(ctx, gridOps(g, layers, heads, theme));
  if (!thumbs) return;
  const px = thumbPx(g.cell, d.canvas.ownerDocument.defaultView?.devicePixelRatio ?? 1);
  const pixels = thumbnailPixels(thumbs, layers, heads, px, colorLut((t) => sequentialColor(t, theme.bgRgb)));
  if (!pixels) return;
  const off = d.canvas.ownerDocument.createElement("canvas");
  off.width = pixels.width;
  off.height = pixels.height;
  const octx = off.getContext("2d");
  if (!octx) return;
  const img = octx.createImageData(pixels.width, pixels.height);
  img.data.set(pixels.data);
  octx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  for (let l = 0; l < layers; l++)
    for (let hd = 0; hd < heads; hd++) ctx.drawImage(off, hd * px, l * px, px, px, LABEL_W + hd * g.pitch, LABEL_H + l * g.pitch, g.cell, g.cell);
}

export function mount(el: HTMLElement, store: Store, data: ViewData): ViewHandle {
  const win = el.ownerDocument.defaultView;
  const { stack, replies } = data;
  const L = stack.n_layers;
  const H = stack.n_heads;
  const key = requestKey("thumbnails", stack.name);
  const d = buildModelDom(el, L, H);
  const cells = cellMarker(d, L, H);
  const st: ModelState = { marking: false, hover: null };
  const themes = themeReader(d.section);
  let grid: ModelGrid = modelGrid(0, L, H);
  let painted = ""; // what the canvas shows: size, theme, data
  let measured = false; // the grid fits the current width (reset on resize; reading it forces a layout)

  const place = () => {
    if (measured) return;
    measured = canObserveResize(win);
    const g = modelGrid(d.scroll.clientWidth || el.clientWidth || 0, L, H);
    const changed = g.pitch !== grid.pitch || !painted;
    grid = g;
    if (changed) placeCells(d, g, L, H);
    else {
      d.stage.style.width = `${g.width}px`;
      d.stage.style.height = `${g.height}px`;
    }
  };
  const repaint = () => {
    const theme = themes.get();
    const reply = replies.get(key);
    const sig = `${grid.pitch}|${theme.bg}|${reply ? "y" : "n"}`;
    if (sig === painted) return;
    painted = sig;
    paintGrid(d, grid, L, H, theme, reply?.arrays.thumbnails);
  };
  const syncMarks = () => {
    const n = cells.marks(markedHeads(store.get().ablate));
    d.markBtn.setAttribute("aria-pressed", st.marking ? "true" : "false");
    d.markBtn.textContent = markLabel(st.marking, n);
    d.overlay.classList.toggle("al-marking", st.marking);
  };
  const syncSelection = () => {
    syncMarks();
    const s = store.get();
    cells.select(s.layer, s.heads, themes.get().bgRgb);
  };
  const draw = () => {
    const s = store.get();
    place();
    repaint();
    syncSelection();
    if (showState(d.status, replies.state(key), "the model view")) data.drawn("model", s.layer);
    d.readout.textContent = readoutText(st.hover, s, H, st.marking);
  };
  const sched = frameScheduler(win, draw);

  const cleanups = bindModelEvents(d, store, st, L, H, { changed: () => sched.schedule(), marks: syncMarks });
  cleanups.push(
    store.subscribe((s, prev) => {
      if (s.ablate !== prev.ablate) syncMarks();
      if (s.layer !== prev.layer || s.heads !== prev.heads) {
        syncSelection(); // synchronous: attributes follow at once
        sched.soon();
      }
    }),
    replies.subscribe(whenChanged(() => replySignature(replies.get(key), replies.state(key)), () => sched.schedule())),
    watchTheme(el.ownerDocument, () => {
      themes.reset();
      painted = "";
      sched.schedule();
    }),
  );
  cleanups.push(onResize(d.scroll, () => {
    measured = false;
    sched.schedule();
  }));
  replies.request({ what: "thumbnails", stack: stack.name });
  draw();
  return viewHandle(d.section, sched, cleanups);
}
