/**
 * Neuron view (like BertViz's): for the selected layer, head (first selected) and query token (hovered,
 * else locked, else the last): the query vector, each key vector, their element-wise product, q·k
 * (× scaling) and the softmax, the latter read from the attention reply so it matches the model
 * exactly (masks included). Key rows are virtualised. For grouped-query attention it names the heads
 * that share the key/value head.
 */
import { divergingColor } from "../../colors";
import { h, listen } from "../../dom";
import { requestKey } from "../../replies";
import type { Store } from "../../store";
import { watchTheme, type Theme } from "../../theme";
import { formatToken, quoteToken } from "../../tokens";
import type { ViewHandle } from "../../types";
import { activeToken, frameScheduler, pendingText, sizeCanvas, themeReader, type ViewData, viewHandle } from "../common/index";
import { visibleWindow } from "../common/geometry";
import { fitLabel, kvGroup, maxAbsKeys, queryVector, readQK, scores, type QK } from "./layout";

export const ROW_H = 20;
const LABEL_W = 110;
const NUM_W = 62;
const BAR_W = 90;
const VIEWPORT_H = 360;

export function mount(el: HTMLElement, store: Store, data: ViewData): ViewHandle {
  const doc = el.ownerDocument;
  const win = doc.defaultView;
  const { stack, replies, attention } = data;
  const qTokens = data.queryTokens;
  const kTokens = data.keyTokens;
  const cleanups: (() => void)[] = [];

  const section = h(doc, "div", { class: "al-neuron" });
  const bar = h(doc, "div", { class: "al-neuron-bar" });
  const headLabel = h(doc, "label", { class: "al-field" });
  headLabel.append(h(doc, "span", {}, "Head"));
  const headSel = h(doc, "select", { "data-control": "neuron-head", "aria-label": "head shown in the neuron view" });
  for (let i = 0; i < stack.n_heads; i++) headSel.append(h(doc, "option", { value: String(i) }, String(i)));
  headLabel.append(headSel);
  const tokLabel = h(doc, "label", { class: "al-field" });
  tokLabel.append(h(doc, "span", {}, "Query token"));
  const prev = h(doc, "button", { type: "button", class: "al-btn al-btn-small", "aria-label": "previous query token" }, "◀");
  const tokInput = h(doc, "input", {
    type: "number",
    min: "0",
    max: String(Math.max(0, qTokens.length - 1)),
    step: "1",
    "data-control": "neuron-token",
    "aria-label": "query token index",
  });
  const next = h(doc, "button", { type: "button", class: "al-btn al-btn-small", "aria-label": "next query token" }, "▶");
  const tokText = h(doc, "span", { class: "al-neuron-tok" });
  tokLabel.append(tokInput);
  bar.append(headLabel, tokLabel, prev, next, tokText);
  const info = h(doc, "p", { class: "al-hint" });
  const status = h(doc, "div", { class: "al-status", role: "status", "aria-live": "polite" });
  const legend = h(doc, "div", { class: "al-neuron-legend", "aria-hidden": "true" });
  const qRow = h(doc, "canvas", { class: "al-neuron-q", "aria-hidden": "true" });
  const scroll = h(doc, "div", { class: "al-neuron-scroll" });
  const stage = h(doc, "div", { class: "al-neuron-stage" });
  const labels = h(doc, "div", { class: "al-neuron-labels", role: "list", "aria-label": "keys" });
  const canvas = h(doc, "canvas", { class: "al-neuron-canvas", role: "img", "aria-label": "key vectors, products, scores and softmax" });
  stage.append(canvas, labels);
  scroll.append(stage);
  section.append(bar, info, status, legend, qRow, scroll);
  el.append(section);
  stage.style.height = `${kTokens.length * ROW_H}px`;

  const shown = new Map<number, HTMLElement>();
  const themes = themeReader(section);
  let theme: Theme = themes.get();
  let scaleCache: { qk: QK; kv: number; max: number } | null = null;

  const headOf = () => Math.min(stack.n_heads - 1, store.get().heads[0] ?? 0);
  const queryOf = () => activeToken(store.get(), qTokens.length) ?? 0;
  const cols = (d: number) => {
    const avail = Math.max(120, (scroll.clientWidth || 640) - LABEL_W - 2 * NUM_W - BAR_W - 24);
    const cw = Math.max(1, Math.min(6, Math.floor(avail / (2 * d))));
    return { cw, vec: cw * d };
  };
  const win0 = () => visibleWindow(scroll.scrollTop, scroll.clientHeight || VIEWPORT_H, ROW_H, kTokens.length, 4, VIEWPORT_H);

  const renderLabels = () => {
    const w = win0();
    for (const [j, e] of shown)
      if (j < w.start || j >= w.end) {
        e.remove();
        shown.delete(j);
      }
    for (let j = w.start; j < w.end; j++) {
      if (shown.has(j)) continue;
      const disp = formatToken(kTokens[j] ?? "", 14);
      const e = h(doc, "div", { class: "al-neuron-key", role: "listitem", "data-key-index": String(j), title: `${disp.title} (key ${j})` });
      e.textContent = disp.segments.map((s) => s.text).join("");
      e.style.top = `${j * ROW_H}px`;
      shown.set(j, e);
      labels.append(e);
    }
  };

  const strip = (ctx: CanvasRenderingContext2D, v: ArrayLike<number>, x: number, y: number, cw: number, hgt: number, max: number) => {
    for (let c = 0; c < v.length; c++) {
      const [r, g, b] = divergingColor(max > 0 ? v[c]! / max : 0, theme.bgRgb);
      ctx.fillStyle = `rgb(${r | 0},${g | 0},${b | 0})`;
      ctx.fillRect(x + c * cw, y, cw, hgt);
    }
  };

  const draw = () => {
    const s = store.get();
    theme = themes.get();
    const hd = headOf();
    const qi = queryOf();
    if (headSel.value !== String(hd)) headSel.value = String(hd);
    if (doc.activeElement !== tokInput) tokInput.value = String(qi);
    tokText.textContent = `${quoteToken(qTokens[qi] ?? "")}${s.hover !== null ? " (hovered)" : s.token !== null ? " (locked)" : " (last token)"}`;
    renderLabels();
    if (!stack.has_qk) {
      status.textContent = `Query and key vectors were not captured for this model${data.meta.model_type ? ` (${data.meta.model_type})` : ""}, so the neuron view is not available.`;
      status.setAttribute("data-state", "empty");
      return;
    }
    const qkKey = requestKey("qk", stack.name, s.layer);
    const qk = readQK(replies.get(qkKey));
    const att = attention.get(s.layer);
    if (!qk) {
      status.textContent = pendingText(replies.state(qkKey), `q/k vectors of layer ${s.layer}`);
      status.setAttribute("data-state", replies.state(qkKey).state);
      return;
    }
    status.textContent = att ? "" : pendingText(attention.state(s.layer), `attention of layer ${s.layer} (for the softmax)`);
    status.setAttribute("data-state", att ? "ready" : attention.state(s.layer).state);
    const { kv, heads: sharing } = kvGroup(qk, hd);
    info.textContent =
      qk.group > 1
        ? `Head ${hd} reads key/value head ${kv}, shared by heads ${sharing[0]}–${sharing[sharing.length - 1]} (grouped-query attention: ${qk.heads} query heads, ${qk.kvHeads} key/value heads). q·k is scaled by ${qk.scaling.toPrecision(3)}.`
        : `q·k is scaled by ${qk.scaling.toPrecision(3)}; softmax from the model's own attention (masks included).`;
    const { cw, vec } = cols(qk.d);
    const q = queryVector(qk, hd, qi);
    let qmax = 0;
    for (const x of q) qmax = Math.max(qmax, Math.abs(x));
    if (!scaleCache || scaleCache.qk !== qk || scaleCache.kv !== kv) scaleCache = { qk, kv, max: maxAbsKeys(qk, kv) };
    const kmax = scaleCache.max;
    const sc = scores(qk, hd, qi);
    let pmax = 0;
    let smax = 0;
    for (let j = 0; j < qk.nk; j++) smax = Math.max(smax, Math.abs(sc[j]!));
    // legend and query row
    legend.replaceChildren();
    const columns: [number, string[]][] = [
      [LABEL_W, ["key"]],
      [vec + 8, [`k (${qk.d} dims)`, `k (${qk.d})`, "k"]],
      [vec + 8, ["q ⊙ k", "q⊙k"]],
      [NUM_W, ["q·k"]],
      [BAR_W + NUM_W, ["softmax"]],
    ];
    for (const [width, options] of columns) {
      const e = h(doc, "span", { title: options[0]! }, fitLabel(options, width));
      e.style.width = `${width}px`;
      legend.append(e);
    }
    const qctx = sizeCanvas(qRow, LABEL_W + vec + 8, ROW_H);
    if (qctx) {
      qctx.fillStyle = theme.fg;
      qctx.font = "11px system-ui, sans-serif";
      qctx.textBaseline = "middle";
      qctx.fillText(`q (token ${qi})`, 4, ROW_H / 2, LABEL_W - 8);
      strip(qctx, q, LABEL_W, 2, cw, ROW_H - 4, qmax);
    }
    const w = win0();
    const vh = Math.min(scroll.clientHeight || VIEWPORT_H, qk.nk * ROW_H);
    const top = Math.max(0, Math.min(scroll.scrollTop, qk.nk * ROW_H - vh));
    canvas.style.top = `${top}px`;
    const W = LABEL_W + 2 * (vec + 8) + NUM_W + BAR_W + NUM_W;
    stage.style.width = `${W}px`;
    const ctx = sizeCanvas(canvas, W, vh);
    if (!ctx) return;
    const causal = data.meta.causal && stack.queries === stack.keys;
    const prod = new Float32Array(qk.d);
    const rowOf = att && qi < att.nq ? (hd * att.nq + qi) * att.nk : -1;
    for (let j = w.start; j < w.end; j++) {
      const base = (kv * qk.nk + j) * qk.d;
      for (let c = 0; c < qk.d; c++) pmax = Math.max(pmax, Math.abs(q[c]! * qk.keys[base + c]!));
    }
    ctx.font = "11px ui-monospace, Menlo, Consolas, monospace";
    ctx.textBaseline = "middle";
    for (let j = w.start; j < w.end; j++) {
      const y = j * ROW_H - top;
      const base = (kv * qk.nk + j) * qk.d;
      const k = qk.keys instanceof Float32Array ? qk.keys.subarray(base, base + qk.d) : Array.from({ length: qk.d }, (_, c) => qk.keys[base + c]!);
      for (let c = 0; c < qk.d; c++) prod[c] = q[c]! * k[c]!;
      const masked = causal && j > qi;
      ctx.globalAlpha = masked ? 0.35 : 1;
      strip(ctx, k, LABEL_W, y + 2, cw, ROW_H - 4, kmax);
      strip(ctx, prod, LABEL_W + vec + 8, y + 2, cw, ROW_H - 4, pmax);
      ctx.fillStyle = theme.fg;
      ctx.textAlign = "right";
      const x0 = LABEL_W + 2 * (vec + 8);
      ctx.fillText(sc[j]!.toFixed(2), x0 + NUM_W - 6, y + ROW_H / 2);
      // q·k as a small signed tick under the number
      const tick = smax > 0 ? (sc[j]! / smax) * (NUM_W / 2 - 4) : 0;
      ctx.fillStyle = theme.muted;
      ctx.fillRect(x0 + NUM_W / 2, y + ROW_H - 3, tick, 2);
      const p = rowOf >= 0 && att ? att.data[rowOf + j]! * att.scale : NaN;
      const bx = x0 + NUM_W;
      ctx.fillStyle = theme.accent;
      if (Number.isFinite(p)) ctx.fillRect(bx, y + 4, Math.max(0, Math.min(1, p)) * BAR_W, ROW_H - 8);
      ctx.strokeStyle = theme.border;
      ctx.lineWidth = 1;
      ctx.strokeRect(bx + 0.5, y + 4.5, BAR_W - 1, ROW_H - 9);
      ctx.fillStyle = theme.fg;
      ctx.textAlign = "left";
      ctx.fillText(masked ? "masked" : Number.isFinite(p) ? p.toFixed(3) : "…", bx + BAR_W + 4, y + ROW_H / 2);
      ctx.globalAlpha = 1;
    }
    for (const [j, e] of shown) e.classList.toggle("al-masked", causal && j > qi);
    if (att) data.drawn("neuron", s.layer);
  };
  const sched = frameScheduler(win, draw);

  const request = () => {
    const s = store.get();
    if (stack.has_qk) replies.request({ what: "qk", stack: stack.name, layer: s.layer });
    attention.ensure(s.layer);
  };
  const setToken = (i: number) => store.set({ token: Math.max(0, Math.min(qTokens.length - 1, i)) });
  cleanups.push(
    listen(headSel, "change", () => store.set({ heads: [Number(headSel.value)] })),
    listen(tokInput, "change", () => {
      const v = Number(tokInput.value);
      if (Number.isInteger(v)) setToken(v);
    }),
    listen(prev, "click", () => setToken(queryOf() - 1)),
    listen(next, "click", () => setToken(queryOf() + 1)),
    listen(scroll, "scroll", () => sched.schedule(), { passive: true }),
    store.subscribe((s, p) => {
      if (s.layer !== p.layer) request();
      if (s.layer !== p.layer || s.heads !== p.heads || s.token !== p.token) sched.soon();
      else if (s.hover !== p.hover) sched.schedule();
    }),
    replies.subscribe(() => sched.schedule()),
    watchTheme(doc, () => {
      themes.reset();
      sched.schedule();
    }),
  );
  if (win && typeof win.ResizeObserver === "function") {
    const ro = new win.ResizeObserver(() => sched.schedule());
    ro.observe(scroll);
    cleanups.push(() => ro.disconnect());
  }
  request();
  draw();
  return viewHandle(section, sched, cleanups);
}
