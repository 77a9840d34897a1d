/**
 * Neuron view (like BertViz's): for the selected layer, head (first selected) and query token (hovered,
 * else locked, else the last): the query vector, each key vector, their element-wise product, q·k
 * (× scaling) and the softmax, the latter read from the attention reply so it matches the model
 * exactly (masks included). Key rows are virtualised. For grouped-query attention it names the heads
 * that share the key/value head. DOM in `dom.ts`, listeners in `events.ts`, what is painted in
 * `draw.ts` (pure).
 */
import { requestKey } from "../../replies";
import type { Store } from "../../store";
import { watchTheme, type Theme } from "../../theme";
import { quoteToken } from "../../tokens";
import type { LayerAttention, ViewHandle } from "../../types";
import { activeToken, frameScheduler, onResize, pendingText, sizeCanvas, themeReader, type ViewData, viewHandle } from "../common/index";
import { visibleWindow } from "../common/geometry";
import { paint } from "../common/paint";
import { buildNeuronDom, renderKeyLabels, renderLegend, type NeuronDom } from "./dom";
import { setStatusLine } from "../common/dom";
import { infoText, keyRowsOps, LABEL_W, legendColumns, queryRowOps, ROW_H, rowWidth, vectorColumns } from "./draw";
import { bindNeuronEvents } from "./events";
import { kvGroup, maxAbsKeys, queryVector, readQK, scores, type QK } from "./layout";

export { ROW_H } from "./draw";
const VIEWPORT_H = 360;

/** The token line: the query token and why it is the one shown. */
function tokenText(token: string, s: { hover: number | null; token: number | null }): string {
  return `${quoteToken(token)}${s.hover !== null ? " (hovered)" : s.token !== null ? " (locked)" : " (last token)"}`;
}

interface Frame {
  qk: QK;
  att: LayerAttention | null;
  head: number;
  qi: number;
  causal: boolean;
  kmax: number;
  theme: Theme;
}

/** Paint the query row and the visible key rows for one head and query token. */
function paintRows(d: NeuronDom, f: Frame, rows: { start: number; end: number }): void {
  const { qk, head, qi } = f;
  const { kv } = kvGroup(qk, head);
  const { cw, vec } = vectorColumns(d.scroll.clientWidth, qk.d);
  const q = queryVector(qk, head, qi);
  renderLegend(d, legendColumns(qk.d, vec));
  const qctx = sizeCanvas(d.qRow, LABEL_W + vec + 8, ROW_H);
  if (qctx) paint(qctx, queryRowOps(q, qi, cw, f.theme));
  const vh = Math.min(d.scroll.clientHeight || VIEWPORT_H, qk.nk * ROW_H);
  const top = Math.max(0, Math.min(d.scroll.scrollTop, qk.nk * ROW_H - vh));
  d.canvas.style.top = `${top}px`;
  const W = rowWidth(vec);
  d.stage.style.width = `${W}px`;
  const ctx = sizeCanvas(d.canvas, W, vh);
  if (!ctx) return;
  const sc = scores(qk, head, qi);
  paint(ctx, keyRowsOps({ qk, q, kv, qi, scores: sc, att: f.att, head, rows, top, cw, vec, causal: f.causal, kmax: f.kmax, theme: f.theme }));
}

export function mount(el: HTMLElement, store: Store, data: ViewData): ViewHandle {
  const win = el.ownerDocument.defaultView;
  const { stack, replies, attention } = data;
  const qTokens = data.queryTokens;
  const kTokens = data.keyTokens;
  const d = buildNeuronDom(el, stack.n_heads, qTokens.length, kTokens.length);
  const themes = themeReader(d.section);
  let scaleCache: { qk: QK; kv: number; max: number } | null = null;
  const causal = data.meta.causal && stack.queries === stack.keys;

  const headOf = () => Math.min(stack.n_heads - 1, store.get().heads[0] ?? 0);
  const queryOf = () => activeToken(store.get(), qTokens.length) ?? 0;
  const rows = () => visibleWindow(d.scroll.scrollTop, d.scroll.clientHeight || VIEWPORT_H, ROW_H, kTokens.length, 4, VIEWPORT_H);
  const kmaxOf = (qk: QK, kv: number) => {
    if (!scaleCache || scaleCache.qk !== qk || scaleCache.kv !== kv) scaleCache = { qk, kv, max: maxAbsKeys(qk, kv) };
    return scaleCache.max;
  };

  const draw = () => {
    const s = store.get();
    const head = headOf();
    const qi = queryOf();
    if (d.headSel.value !== String(head)) d.headSel.value = String(head);
    if (el.ownerDocument.activeElement !== d.tokInput) d.tokInput.value = String(qi);
    d.tokText.textContent = tokenText(qTokens[qi] ?? "", s);
    const w = rows();
    renderKeyLabels(d, kTokens, w);
    if (!stack.has_qk) {
      const model = data.meta.model_type ? ` (${data.meta.model_type})` : "";
      return setStatusLine(d.status, `Query and key vectors were not captured for this model${model}, so the neuron view is not available.`, "empty");
    }
    const qkKey = requestKey("qk", stack.name, s.layer);
    const qk = readQK(replies.get(qkKey));
    if (!qk) return setStatusLine(d.status, pendingText(replies.state(qkKey), `q/k vectors of layer ${s.layer}`), replies.state(qkKey).state);
    const att = attention.get(s.layer) ?? null;
    const ast = attention.state(s.layer);
    setStatusLine(d.status, att ? "" : pendingText(ast, `attention of layer ${s.layer} (for the softmax)`), att ? "ready" : ast.state);
    const { kv, heads: sharing } = kvGroup(qk, head);
    d.info.textContent = infoText(qk, head, kv, sharing);
    paintRows(d, { qk, att, head, qi, causal, kmax: kmaxOf(qk, kv), theme: themes.get() }, w);
    for (const [j, e] of d.shown) e.classList.toggle("al-masked", causal && j > qi);
    if (att) data.drawn("neuron", s.layer);
  };
  const sched = frameScheduler(win, draw);

  const request = () => {
    const s = store.get();
    if (stack.has_qk) replies.request({ what: "qk", stack: stack.name, layer: s.layer });
    attention.ensure(s.layer);
  };
  const cleanups = bindNeuronEvents(d, store, qTokens.length, queryOf, () => sched.schedule());
  cleanups.push(
    store.subscribe((s, p) => {
      if (s.layer !== p.layer) request();
      if (s.layer !== p.layer || s.heads !== p.heads || s.token !== p.token) sched.soon();
      else if (s.hover !== p.hover) sched.schedule();
    }),
    replies.subscribe(() => sched.schedule()),
    watchTheme(el.ownerDocument, () => {
      themes.reset();
      sched.schedule();
    }),
    onResize(d.scroll, () => sched.schedule()),
  );
  request();
  draw();
  return viewHandle(d.section, sched, cleanups);
}
