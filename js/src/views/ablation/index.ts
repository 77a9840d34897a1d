/**
 * Ablation view: the parts marked in the model view (heads) and the MLP view (neurons), a mode (zero
 * or mean), and after "Run": the prediction after the explained position before and after the
 * rerun (top-k with probability change) and the change in attention of the selected head at the
 * selected layer (reply "ablation"). DOM in `dom.ts`, listeners in `events.ts`, what is shown in
 * `draw.ts` (pure).
 */
import { keyOf, type Reply } from "../../replies";
import type { Selection, Store } from "../../store";
import { readTheme, watchTheme } from "../../theme";
import type { ViewHandle } from "../../types";
import { explainedPosition } from "../attribution/layout";
import { frameScheduler, pendingText, sizeCanvas, type ViewData, viewHandle } from "../common/index";
import { paint } from "../common/paint";
import { predictionRows, readPredictionRows } from "../common/predictions";
import { buildAblationDom, renderMarked, setState, type AblationDom } from "./dom";
import { changeCaption, changeOps, changeSize, idleStatus, markedLabels, ranStatus } from "./draw";
import { bindAblationEvents } from "./events";
import { ablationRequest, ablationSpec, largestChange } from "./spec";

/** The attention change of the first selected head at the layer; whether it was drawn (else it loads). */
function drawChange(d: AblationDom, data: ViewData, s: Readonly<Selection>, reply: Reply): boolean {
  const after = reply.arrays.attention;
  const before = data.attention.get(s.layer);
  const head = s.heads[0] ?? 0;
  if (!after || !before || after.shape.length !== 3 || after.values instanceof Uint32Array) {
    data.attention.ensure(s.layer);
    d.caption.textContent = "loading the original attention…";
    return false;
  }
  const [, nq, nk] = after.shape as [number, number, number];
  const off = head * nq * nk;
  const big = largestChange(before.data, before.scale, after.values, after.scale, off, nq, nk);
  if (big.maxAbs < 0.005) {
    d.caption.textContent = `Attention of layer ${s.layer}, head ${head} is unchanged (the ablation acts after it or elsewhere); pick a later layer or another head.`;
    return true;
  }
  d.caption.textContent = changeCaption(s.layer, head, big, data.queryTokens[big.query] ?? "", data.keyTokens[big.key] ?? "");
  const size = changeSize(nq, nk);
  const ctx = sizeCanvas(d.canvas, size.width, size.height);
  d.canvas.hidden = false;
  const theme = readTheme(d.section);
  const frame = { before: before.data, beforeScale: before.scale, after: after.values, afterScale: after.scale, off, nq, nk, maxAbs: big.maxAbs };
  if (ctx) paint(ctx, changeOps({ ...frame, bg: theme.bgRgb, frame: theme.muted }));
  return true;
}

export function mount(el: HTMLElement, store: Store, data: ViewData): ViewHandle {
  const win = el.ownerDocument.defaultView;
  const { stack, replies, meta } = data;
  const positions = data.logitsTokens.length;
  const d = buildAblationDom(el);
  let ran: string | null = null; // the ablation spec last run (its results follow layer and head)
  const currentRequest = () => {
    const s = store.get();
    return ablationRequest(stack.name, s.layer, explainedPosition(s, positions), s.ablate, s.ablate_mode);
  };
  const drawTable = (list: ReturnType<typeof readPredictionRows>, head: string) =>
    d.table.append(...predictionRows(el.ownerDocument, head, ["before", "after"], list));

  const draw = () => {
    const s = store.get();
    renderMarked(d, markedLabels(s.ablate), s.ablate.length > 0);
    d.run.disabled = !s.ablate.length;
    if (d.modeSel.value !== s.ablate_mode) d.modeSel.value = s.ablate_mode;
    d.table.replaceChildren();
    d.caption.textContent = "";
    d.canvas.hidden = true;
    if (ran === null || ran !== ablationSpec(s.ablate, s.ablate_mode)) {
      setState(d, idleStatus(s.ablate.length, meta.can_rerun), "empty", "idle");
      return data.drawn("ablation", s.layer);
    }
    const key = keyOf(currentRequest());
    const reply = replies.get(key);
    if (!reply) {
      const st = replies.state(key);
      const loading = st.state === "loading" && "since" in st && st.since !== undefined;
      return setState(d, loading ? "rerunning the model…" : pendingText(st, "the ablated run"), st.state, st.state);
    }
    const pos = typeof reply.data.position === "number" ? reply.data.position : null;
    setState(d, ranStatus(pos, data.logitsTokens[pos ?? -1] ?? "", s.ablate_mode, s.ablate.length), "ready", "ready");
    drawTable(readPredictionRows(reply.data.before), "top before");
    drawTable(readPredictionRows(reply.data.after), "top after");
    if (drawChange(d, data, s, reply)) data.drawn("ablation", s.layer);
  };
  const sched = frameScheduler(win, draw);

  const request = () => {
    const s = store.get();
    if (ran === null || ran !== ablationSpec(s.ablate, s.ablate_mode)) return;
    replies.request(currentRequest());
    data.attention.ensure(s.layer);
  };
  const cleanups = bindAblationEvents(d, store, () => {
    const s = store.get();
    ran = ablationSpec(s.ablate, s.ablate_mode);
    request();
    sched.schedule();
  });
  cleanups.push(
    store.subscribe((s, p) => {
      if (s.layer !== p.layer || s.token !== p.token || s.target !== p.target || s.heads !== p.heads) request();
      sched.schedule();
    }),
    replies.subscribe(() => sched.schedule()),
    watchTheme(el.ownerDocument, () => sched.schedule()),
  );
  // A page saved with its ablation run shows it again.
  const s0 = store.get();
  if (s0.ablate.length && replies.has(keyOf(currentRequest()))) ran = ablationSpec(s0.ablate, s0.ablate_mode);
  request();
  draw();
  sched.schedule(); // again once the panel is in the page: colours need its computed theme
  return viewHandle(d.section, sched, cleanups);
}
