/**
 * Ablation view: the parts marked in the model view (heads) and the MLP view (neurons), a mode (zero
 * or mean), and after "Run": the prediction after the explained position before and after the
 * rerun (top-k with probability change) and the change in attention of the selected head at the
 * selected layer (reply "ablation").
 */
import { quoteToken } from "../../tokens";
import { divergingColor } from "../../colors";
import { h, listen } from "../../dom";
import { keyOf } from "../../replies";
import type { Store } from "../../store";
import { readTheme, watchTheme } from "../../theme";
import type { ViewHandle } from "../../types";
import { explainedPosition } from "../attribution/layout";
import { frameScheduler, pendingText, sizeCanvas, type ViewData, viewHandle } from "../common/index";
import { predictionRows, readPredictionRows, signed, type PredictionRow } from "../common/predictions";
import { ablationRequest, ablationSpec, largestChange, parsePart } from "./spec";

export function mount(el: HTMLElement, store: Store, data: ViewData): ViewHandle {
  const doc = el.ownerDocument;
  const win = doc.defaultView;
  const { stack, replies, meta } = data;
  const positions = data.logitsTokens.length;
  const cleanups: (() => void)[] = [];
  let ran: string | null = null; // the ablation spec last run (its results follow layer and head)

  const section = h(doc, "div", { class: "al-ablation" });
  const hint = h(doc, "p", { class: "al-hint" }, "Mark heads in the model view (“Mark for ablation”) or neurons in the MLP view (✂), then run.");
  const marked = h(doc, "div", { class: "al-ablate-list", role: "group", "aria-label": "parts marked for ablation" });
  const bar = h(doc, "div", { class: "al-attr-form" });
  const modeSel = h(doc, "select", { class: "al-select", "aria-label": "ablation mode", "data-control": "ablate-mode" });
  modeSel.append(h(doc, "option", { value: "zero" }, "zero"), h(doc, "option", { value: "mean" }, "mean over positions"));
  const modeLabel = h(doc, "label", { class: "al-field" }, "Set to ");
  modeLabel.append(modeSel);
  const run = h(doc, "button", { type: "button", class: "al-btn", "data-control": "run-ablation" }, "Run ablation");
  const clear = h(doc, "button", { type: "button", class: "al-btn", "data-control": "clear-ablation" }, "Clear marks");
  bar.append(modeLabel, run, clear);
  const status = h(doc, "div", { class: "al-status", role: "status", "aria-live": "polite" });
  const table = h(doc, "table", { class: "al-ablate-table" });
  const caption = h(doc, "p", { class: "al-hint", "data-role": "attention-change" });
  const canvas = h(doc, "canvas", { class: "al-ablate-canvas", role: "img", "aria-label": "change in attention" });
  section.append(hint, marked, bar, status, table, caption, canvas);
  el.append(section);

  const currentRequest = () => {
    const s = store.get();
    return ablationRequest(stack.name, s.layer, explainedPosition(s, positions), s.ablate, s.ablate_mode);
  };

  const drawMarked = () => {
    const s = store.get();
    marked.replaceChildren();
    if (!s.ablate.length) marked.append(h(doc, "span", { class: "al-hint" }, "Nothing marked."));
    for (const name of s.ablate) {
      const p = parsePart(name);
      if (!p) continue;
      const text = p.kind === "head" ? `head L${p.layer}·H${p.index}` : `neuron L${p.layer}·#${p.index}`;
      const b = h(doc, "button", { type: "button", class: "al-tok", "data-part": name, "aria-label": `unmark ${text}`, title: `unmark ${text}` }, `${text} ×`);
      marked.append(b);
    }
    run.disabled = !s.ablate.length;
    if (modeSel.value !== s.ablate_mode) modeSel.value = s.ablate_mode;
  };

  const drawTable = (list: PredictionRow[], head: string) => table.append(...predictionRows(doc, head, ["before", "after"], list));

  const draw = () => {
    const s = store.get();
    drawMarked();
    table.replaceChildren();
    caption.textContent = "";
    canvas.hidden = true;
    const spec = ablationSpec(s.ablate, s.ablate_mode);
    if (ran === null || ran !== spec) {
      status.textContent = s.ablate.length ? (meta.can_rerun ? "Press “Run ablation” to rerun the model without the marked parts." : "Ablation reruns the model, which this page does not have.") : "";
      status.setAttribute("data-state", "empty");
      section.setAttribute("data-state", "idle");
      data.drawn("ablation", s.layer);
      return;
    }
    const key = keyOf(currentRequest());
    const reply = replies.get(key);
    if (!reply) {
      const st = replies.state(key);
      status.textContent = st.state === "loading" && "since" in st && st.since !== undefined ? "rerunning the model…" : pendingText(st, "the ablated run");
      status.setAttribute("data-state", st.state);
      section.setAttribute("data-state", st.state);
      return;
    }
    status.setAttribute("data-state", "ready");
    section.setAttribute("data-state", "ready");
    const pos = typeof reply.data.position === "number" ? reply.data.position : null;
    status.textContent = pos === null ? "This model predicts no tokens; only attention changes." : `Prediction after ${quoteToken(data.logitsTokens[pos] ?? "")} (position ${pos}), ${s.ablate_mode}-ablating ${s.ablate.length} part${s.ablate.length === 1 ? "" : "s"}:`;
    drawTable(readPredictionRows(reply.data.before), "top before");
    drawTable(readPredictionRows(reply.data.after), "top after");
    // Attention change of the first selected head at this layer: after − before.
    const after = reply.arrays.attention;
    const before = data.attention.get(s.layer);
    const head = s.heads[0] ?? 0;
    if (!after || !before || after.shape.length !== 3 || after.values instanceof Uint32Array) {
      data.attention.ensure(s.layer);
      caption.textContent = "loading the original attention…";
      return;
    }
    const [, nq, nk] = after.shape as [number, number, number];
    const off = head * nq * nk;
    const big = largestChange(before.data, before.scale, after.values, after.scale, off, nq, nk);
    if (big.maxAbs < 0.005) {
      caption.textContent = `Attention of layer ${s.layer}, head ${head} is unchanged (the ablation acts after it or elsewhere); pick a later layer or another head.`;
      data.drawn("ablation", s.layer);
      return;
    }
    caption.textContent = `Attention change, layer ${s.layer}, head ${head} (orange: more, blue: less): largest ${signed(big.delta)} from ${quoteToken(data.queryTokens[big.query] ?? "")} to ${quoteToken(data.keyTokens[big.key] ?? "")}.`;
    const side = Math.min(320, Math.max(120, nk * 4));
    const ctx = sizeCanvas(canvas, side, side * (nq / nk));
    canvas.hidden = false;
    if (ctx) {
      const theme = readTheme(section);
      const cw = side / nk;
      const ch = (side * (nq / nk)) / nq;
      const range = Math.max(big.maxAbs, 1e-6);
      const stepQ = Math.max(1, Math.floor(nq / 320));
      const stepK = Math.max(1, Math.floor(nk / 320));
      for (let i = 0; i < nq; i += stepQ)
        for (let j = 0; j < nk; j += stepK) {
          const d = after.values[off + i * nk + j]! * after.scale - before.data[off + i * nk + j]! * before.scale;
          if (Math.abs(d) < range / 255) continue;
          const c = divergingColor(d / range, theme.bgRgb);
          ctx.fillStyle = `rgb(${c[0] | 0},${c[1] | 0},${c[2] | 0})`;
          ctx.fillRect(j * cw, i * ch, Math.max(cw * stepK, 1), Math.max(ch * stepQ, 1));
        }
      ctx.strokeStyle = theme.muted;
      ctx.strokeRect(0.5, 0.5, side - 1, side * (nq / nk) - 1);
    }
    data.drawn("ablation", s.layer);
  };
  const sched = frameScheduler(win, draw);

  const request = () => {
    const s = store.get();
    if (ran === null || ran !== ablationSpec(s.ablate, s.ablate_mode)) return;
    replies.request(currentRequest());
    data.attention.ensure(s.layer);
  };
  cleanups.push(
    listen(run, "click", () => {
      const s = store.get();
      ran = ablationSpec(s.ablate, s.ablate_mode);
      request();
      sched.schedule();
    }),
    listen(clear, "click", () => store.set({ ablate: [] })),
    listen(modeSel, "change", () => store.set({ ablate_mode: modeSel.value === "mean" ? "mean" : "zero" })),
    listen<MouseEvent>(marked, "click", (e) => {
      const b = e.target instanceof Element ? e.target.closest("[data-part]") : null;
      const name = b?.getAttribute("data-part");
      if (name) store.set({ ablate: store.get().ablate.filter((x) => x !== name) });
    }),
    store.subscribe((s, p) => {
      if (s.layer !== p.layer || s.token !== p.token || s.target !== p.target || s.heads !== p.heads) request();
      sched.schedule();
    }),
    replies.subscribe(() => sched.schedule()),
    watchTheme(doc, () => sched.schedule()),
  );
  // A page saved with its ablation run shows it again.
  const s0 = store.get();
  if (s0.ablate.length && replies.has(keyOf(currentRequest()))) ran = ablationSpec(s0.ablate, s0.ablate_mode);
  request();
  draw();
  sched.schedule(); // again once the panel is in the page: colours need its computed theme
  return viewHandle(section, sched, cleanups);
}
