/**
 * Compare view: two runs of the same model (al.compare, or the edit box here) aligned token by token.
 * Columns are aligned pairs; rows show each run's token, the attention of the selected head from the
 * query column (the locked token, else the prediction's position) in A, in B and B − A, and each
 * run's attribution towards A's prediction. Changed tokens and notable differences are highlighted;
 * the predictions of both runs sit side by side below. DOM in `dom.ts`, listeners in `events.ts`,
 * what is shown in `draw.ts` (pure).
 */
import { keyOf, type Reply } from "../../replies";
import type { Selection, Store } from "../../store";
import { readTheme, watchTheme } from "../../theme";
import type { ViewHandle } from "../../types";
import { frameScheduler, pendingText, type ViewData, viewHandle } from "../common/index";
import { readPredictionRows } from "../common/predictions";
import { buildCompareDom, renderGrid, renderPredictions, setState, type CompareDom } from "./dom";
import { compareCaption, compareGrid } from "./draw";
import { bindCompareEvents } from "./events";
import { compareAttributionRequest, compareRequest, editRequest, queryColumn, readPairs } from "./layout";

/** The grid, caption and predictions of a ready comparison. */
function drawComparison(d: CompareDom, tokensA: readonly string[], s: Readonly<Selection>, reply: Reply, attr: Reply | undefined): void {
  const pairs = readPairs(reply.data.pairs);
  const changed = Array.isArray(reply.data.changed) ? reply.data.changed.map(Boolean) : pairs.map(() => false);
  const tokensB = Array.isArray(reply.data.tokens_b) ? reply.data.tokens_b.map(String) : [];
  const q = queryColumn(pairs, s.token);
  const head = s.heads[0] ?? 0;
  const bg = readTheme(d.section).bgRgb;
  const { rows, notable } = compareGrid({ pairs, changed, tokensA, tokensB, a: reply.arrays.a, b: reply.arrays.b, head, q, attrA: attr?.arrays.a, attrB: attr?.arrays.b, bg });
  renderGrid(d, rows, pairs.length);
  const qTok = pairs[q]?.[0] !== null ? tokensA[pairs[q]![0]!] : tokensB[pairs[q]?.[1] ?? 0];
  d.caption.textContent = compareCaption(s.layer, head, q, qTok ?? "", notable, attr ? { method: attr.data.method, target: attr.data.target_token } : null);
  d.section.setAttribute("data-query-column", String(q));
  d.section.setAttribute("data-notable", String(notable));
  const p = reply.data.predictions as { a?: unknown; b?: unknown } | undefined;
  renderPredictions(d, readPredictionRows(p?.a), readPredictionRows(p?.b));
}

export function mount(el: HTMLElement, store: Store, data: ViewData): ViewHandle {
  const win = el.ownerDocument.defaultView;
  const { meta, replies, stack } = data;
  let version = meta.compare?.version ?? 0;
  let pending: string | null = null; // key of an edit request in flight
  const d = buildCompareDom(el, meta.compare?.text_b || meta.compare?.text_a || "");

  /** Follow an edit request in flight; true while it is (nothing else to draw). */
  const followEdit = (): boolean => {
    if (!pending) return false;
    const st = replies.state(pending);
    const r = replies.get(pending);
    if (r && typeof r.data.version === "number") {
      version = r.data.version;
      pending = null;
      request();
      return false;
    }
    if (st.state === "loading" && "since" in st && st.since !== undefined) setState(d, "tracing the edited text…", "loading");
    else {
      setState(d, pendingText(st, "the edited run"), st.state);
      if (st.state !== "loading") pending = null;
    }
    return true;
  };
  const draw = () => {
    const s = store.get();
    if (followEdit()) return;
    if (!version) {
      setState(d, meta.can_rerun ? "Edit the text and press Compare to see both runs side by side." : "Nothing to compare: this page has no second run, and no kernel to make one.", "empty", "idle");
      d.grid.replaceChildren();
      d.preds.replaceChildren();
      return data.drawn("compare", s.layer);
    }
    const key = keyOf(compareRequest(stack.name, s.layer, version));
    const reply = replies.get(key);
    if (!reply) {
      const st = replies.state(key);
      return setState(d, pendingText(st, `the comparison at layer ${s.layer}`), st.state, st.state);
    }
    setState(d, "", "ready", "ready");
    d.section.setAttribute("data-version", String(version));
    drawComparison(d, meta.tokens, s, reply, replies.get(keyOf(compareAttributionRequest(stack.name, version, s.method))));
    data.drawn("compare", s.layer);
  };
  const sched = frameScheduler(win, draw);

  function request(): void {
    if (!version) return;
    const s = store.get();
    replies.request(compareRequest(stack.name, s.layer, version));
    replies.request(compareAttributionRequest(stack.name, version, s.method));
  }
  const submit = () => {
    const text = d.input.value;
    if (!text.trim()) return setState(d, "Type a text to compare with.", "error");
    const r = editRequest(stack.name, text);
    pending = keyOf(r);
    replies.request(r);
    sched.schedule();
  };
  const cleanups = bindCompareEvents(d, store, submit);
  cleanups.push(
    store.subscribe((s, p) => {
      if (s.layer !== p.layer || s.method !== p.method) request();
      if (s.layer !== p.layer || s.method !== p.method || s.token !== p.token || s.heads !== p.heads) sched.schedule();
    }),
    replies.subscribe(() => sched.schedule()),
    watchTheme(el.ownerDocument, () => sched.schedule()),
  );
  request();
  draw();
  sched.schedule(); // again once the panel is in the page: colours need its computed theme
  return viewHandle(d.section, sched, cleanups);
}
