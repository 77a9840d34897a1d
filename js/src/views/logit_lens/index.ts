/**
 * Logit lens: a layers × positions grid; each cell shows the top-1 token after that layer at that
 * position as text, its probability as colour. Hover: the top-k list. Click: layer and token.
 * The positions axis is virtualised (only the columns on screen are drawn and have header labels).
 * DOM in `dom.ts`, listeners in `events.ts`, what is painted in `draw.ts` (pure).
 */
import { colorLut, sequentialColor } from "../../colors";
import { requestKey } from "../../replies";
import type { Store } from "../../store";
import { watchTheme } from "../../theme";
import type { ViewHandle } from "../../types";
import { activeToken, frameScheduler, pendingText, replySignature, sizeCanvas, themeReader, whenChanged, type ViewData, viewHandle } from "../common/index";
import { scrollToShow, visibleWindow } from "../common/geometry";
import { paint } from "../common/paint";
import { buildLensDom, renderHeader, type LensDom } from "./dom";
import { lensOps, lensReadout, lensViewport } from "./draw";
import { bindLensEvents, type LensState } from "./events";
import { CELL_H, CELL_W, HEADER_H, LABEL_W, readLens, type LensTable } from "./layout";

/** The status line: no unembedding, the reply's state, or nothing once the table is in. */
function setStatus(d: LensDom, hasLens: boolean, table: LensTable | null, st: { state: string; message?: string }): void {
  const [text, state] = !hasLens && !table
    ? ["This model has no unembedding (no language-model head), so there is no logit lens.", "empty"]
    : !table
      ? [pendingText(st, "the logit lens"), st.state]
      : ["", "ready"];
  d.status.textContent = text;
  d.status.setAttribute("data-state", state);
}

export function mount(el: HTMLElement, store: Store, data: ViewData): ViewHandle {
  const win = el.ownerDocument.defaultView;
  const { replies, meta } = data;
  const stack = data.logitsStack;
  const positions = data.logitsTokens;
  const key = requestKey("logit_lens", stack);
  const d = buildLensDom(el);
  const st: LensState = { table: null, hover: null };
  let lut: { bg: string; lut: Uint8ClampedArray } | null = null;
  const themes = themeReader(d.section);

  const layersOf = () => st.table?.layers ?? meta.stacks.find((s) => s.name === stack)?.n_layers ?? meta.n_layers;
  const nPos = () => st.table?.positions ?? positions.length;
  // Width and scroll offset are read on resize / scroll, not on every draw (a read after other views
  // wrote to the DOM forces a layout); live without a ResizeObserver.
  const observed = Boolean(win && typeof win.ResizeObserver === "function");
  const box = { width: 0, left: 0, valid: false };
  const sized = () => {
    if (!box.valid) {
      box.width = d.scroll.clientWidth;
      box.left = d.scroll.scrollLeft;
      box.valid = observed;
    }
    return box;
  };
  const viewportW = () => sized().width || 640;
  const colWindow = () => visibleWindow(Math.max(0, sized().left - LABEL_W), viewportW(), CELL_W, nPos(), 2, 640);
  const header = () => renderHeader(d, positions, colWindow(), store.get().token);

  const draw = () => {
    const s = store.get();
    st.table = readLens(replies.get(key));
    d.stage.style.width = `${LABEL_W + nPos() * CELL_W}px`;
    d.stage.style.height = `${HEADER_H + layersOf() * CELL_H}px`;
    header();
    setStatus(d, meta.has_logit_lens, st.table, replies.state(key));
    const theme = themes.get();
    const vp = lensViewport(viewportW(), sized().left, nPos(), layersOf());
    d.canvas.style.left = `${vp.left}px`;
    const ctx = sizeCanvas(d.canvas, vp.width, vp.height);
    if (!ctx) return;
    if (!lut || lut.bg !== theme.bg) lut = { bg: theme.bg, lut: colorLut((t) => sequentialColor(t, theme.bgRgb)) };
    const token = activeToken(s, nPos(), null);
    paint(ctx, lensOps({ ...vp, table: st.table, layers: layersOf(), cols: colWindow(), layer: s.layer, token, hover: st.hover, theme, lut: lut.lut }));
    d.readout.textContent = lensReadout(st.table, s.layer, token);
    if (st.table) data.drawn("logit_lens", s.layer);
  };
  const sched = frameScheduler(win, draw);

  const scrollToToken = (token: number) => {
    const b = sized();
    const next = scrollToShow(Math.max(0, b.left - LABEL_W), viewportW() - LABEL_W, CELL_W, token);
    if (next + LABEL_W !== b.left && b.width > 0 && next !== Math.max(0, b.left - LABEL_W)) {
      d.scroll.scrollLeft = next;
      box.left = d.scroll.scrollLeft;
    }
  };
  const cleanups = bindLensEvents(d, store, st, {
    positions,
    layers: layersOf,
    nPos,
    stackLayers: data.stack.n_layers,
    changed: () => sched.schedule(),
    scrolled: (left) => {
      box.left = left;
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
  if (win && observed) {
    const ro = new win.ResizeObserver(() => {
      box.valid = false;
      header();
      sched.schedule();
    });
    ro.observe(d.scroll);
    cleanups.push(() => ro.disconnect());
  }
  if (meta.has_logit_lens || replies.has(key)) replies.request({ what: "logit_lens", stack });
  draw();
  return viewHandle(d.section, sched, cleanups);
}
