/**
 * Logit lens: a layers × positions grid; each cell shows the top-1 token after that layer at that
 * position as text, its probability as colour. Hover: the top-k list. Click: layer and token.
 * The positions axis is virtualised (only the columns on screen are drawn and have header labels).
 * DOM in `dom.ts`, listeners in `events.ts`, what is painted in `draw.ts` (pure).
 */
import { colorLut, sequentialColor } from "../../colors";
import { requestKey } from "../../replies";
import type { Store } from "../../store";
import { watchTheme, type Theme } from "../../theme";
import type { ViewHandle } from "../../types";
import { activeToken, frameScheduler, onResize, scrollBox, pendingText, replySignature, sizeCanvas, themeReader, whenChanged, type ViewData, viewHandle } from "../common/index";
import { setStatusLine } from "../common/dom";
import { visibleWindow } from "../common/geometry";
import { paint } from "../common/paint";
import { buildLensDom, renderHeader, sizeStage, type LensDom } from "./dom";
import { lensOps, lensReadout, lensViewport, scrollForToken } from "./draw";
import { bindLensEvents, type LensState } from "./events";
import { LABEL_W, lensCellWidth, readLens, type LensTable } from "./layout";

/** The status line: no unembedding, the reply's state, or nothing once the table is in. */
function setStatus(d: LensDom, hasLens: boolean, table: LensTable | null, st: { state: string; message?: string }): void {
  const [text, state] = !hasLens && !table
    ? ["This model has no unembedding (no language-model head), so there is no logit lens.", "empty"]
    : !table
      ? [pendingText(st, "the logit lens"), st.state]
      : ["", "ready"];
  setStatusLine(d.status, text, state);
}

/** The probability colour scale of a theme, made again only when the background changes. */
function lutCache(): (theme: Theme) => Uint8ClampedArray {
  let c: { bg: string; lut: Uint8ClampedArray } | null = null;
  return (theme) => (c && c.bg === theme.bg ? c : (c = { bg: theme.bg, lut: colorLut((t) => sequentialColor(t, theme.bgRgb)) })).lut;
}

export function mount(el: HTMLElement, store: Store, data: ViewData): ViewHandle {
  const win = el.ownerDocument.defaultView;
  const { replies, meta } = data;
  const stack = data.logitsStack;
  const positions = data.logitsTokens;
  const key = requestKey("logit_lens", stack);
  const d = buildLensDom(el);
  const st: LensState = { table: null, hover: null };
  const lutOf = lutCache();
  const themes = themeReader(d.section);

  const layersOf = () => st.table?.layers ?? meta.stacks.find((s) => s.name === stack)?.n_layers ?? meta.n_layers;
  const nPos = () => st.table?.positions ?? positions.length;
  const box = scrollBox(d.scroll);
  const viewportW = () => box.get().width || 640;
  const cellW = () => lensCellWidth(viewportW(), nPos());
  const colWindow = () => visibleWindow(Math.max(0, box.get().left - LABEL_W), viewportW(), cellW(), nPos(), 2, 640);
  const header = () => renderHeader(d, positions, colWindow(), store.get().token, cellW());

  const draw = () => {
    const s = store.get();
    st.table = readLens(replies.get(key));
    sizeStage(d, nPos(), layersOf(), cellW());
    header();
    setStatus(d, meta.has_logit_lens, st.table, replies.state(key));
    const theme = themes.get();
    const vp = lensViewport(viewportW(), box.get().left, nPos(), layersOf(), cellW());
    d.canvas.style.left = `${vp.left}px`;
    const ctx = sizeCanvas(d.canvas, vp.width, vp.height);
    if (!ctx) return;
    const token = activeToken(s, nPos(), null);
    paint(ctx, lensOps({ ...vp, table: st.table, layers: layersOf(), cols: colWindow(), cellW: cellW(), layer: s.layer, token, hover: st.hover, theme, lut: lutOf(theme) }));
    d.readout.textContent = lensReadout(st.table, s.layer, token);
    if (st.table) data.drawn("logit_lens", s.layer);
  };
  const sched = frameScheduler(win, draw);

  const scrollToToken = (token: number) => {
    const next = scrollForToken(box.get(), viewportW(), token, cellW());
    if (next === null) return;
    d.scroll.scrollLeft = next;
    box.setLeft(d.scroll.scrollLeft);
  };
  const cleanups = bindLensEvents(d, store, st, {
    positions,
    layers: layersOf,
    nPos,
    cellW,
    stackLayers: data.stack.n_layers,
    changed: () => sched.schedule(),
    scrolled: (left) => {
      box.setLeft(left);
      header();
      sched.schedule();
    },
  });
  cleanups.push(
    store.subscribe((s, prev) => {
      if (s.token !== prev.token && s.token !== null) {
        scrollToToken(s.token);
        header();
      }
      if (s.layer !== prev.layer || s.token !== prev.token) sched.soon();
      else if (s.hover !== prev.hover) sched.schedule();
    }),
    replies.subscribe(whenChanged(() => replySignature(replies.get(key), replies.state(key)), () => sched.schedule())),
    watchTheme(el.ownerDocument, () => {
      themes.reset();
      sched.schedule();
    }),
  );
  cleanups.push(onResize(d.scroll, () => {
    box.invalidate();
    header();
    sched.schedule();
  }));
  if (meta.has_logit_lens || replies.has(key)) replies.request({ what: "logit_lens", stack });
  draw();
  return viewHandle(d.section, sched, cleanups);
}
