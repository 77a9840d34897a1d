/**
 * Compare view: two runs of the same model (al.compare, or the edit box here) aligned token by token.
 * Columns are aligned pairs; rows show each run's token, the attention of the selected head from the
 * query column (the locked token, else the prediction's position) in A, in B and B − A, and each
 * run's attribution towards A's prediction. Changed tokens and notable differences are highlighted;
 * the predictions of both runs sit side by side below.
 */
import { divergingColor, sequentialColor, textOn, type RGB } from "../../colors";
import { h, listen } from "../../dom";
import { keyOf, type Reply } from "../../replies";
import type { Store } from "../../store";
import { readTheme, watchTheme, type Theme } from "../../theme";
import { formatToken, quoteToken } from "../../tokens";
import type { ViewHandle } from "../../types";
import { METHOD_TITLES, symmetricRange } from "../attribution/layout";
import { frameScheduler, pendingText, type ViewData, viewHandle } from "../common/index";
import { predictionRows, readPredictionRows, type PredictionRow } from "../common/predictions";
import { compareAttributionRequest, compareRequest, difference, editRequest, queryColumn, readPairs, type Pair } from "./layout";

function rgb(c: RGB): string {
  return `rgb(${c[0] | 0},${c[1] | 0},${c[2] | 0})`;
}

export function mount(el: HTMLElement, store: Store, data: ViewData): ViewHandle {
  const doc = el.ownerDocument;
  const win = doc.defaultView;
  const { meta, replies, stack } = data;
  const cleanups: (() => void)[] = [];
  let version = meta.compare?.version ?? 0;
  let pending: string | null = null; // key of an edit request in flight

  const section = h(doc, "div", { class: "al-compare" });
  const form = h(doc, "div", { class: "al-compare-form" });
  const input = h(doc, "input", { type: "text", class: "al-input al-compare-text", "aria-label": "text of run B: edit it and press Compare", "data-control": "compare-text", maxlength: "20000", spellcheck: "false" });
  input.value = meta.compare?.text_b || meta.compare?.text_a || "";
  const go = h(doc, "button", { type: "button", class: "al-btn", "data-control": "compare-run" }, "Compare");
  form.append(input, go);
  const status = h(doc, "div", { class: "al-status", role: "status", "aria-live": "polite" });
  const scroll = h(doc, "div", { class: "al-compare-scroll" });
  const grid = h(doc, "div", { class: "al-compare-grid", role: "table", "aria-label": "run A and run B aligned by token" });
  scroll.append(grid);
  const caption = h(doc, "p", { class: "al-hint", "data-role": "compare-caption" });
  const preds = h(doc, "div", { class: "al-compare-preds" });
  section.append(form, status, scroll, caption, preds);
  el.append(section);

  const compareData = (): { pairs: Pair[]; changed: boolean[]; tokensB: string[] } | null => {
    const r = version ? replies.get(keyOf(compareRequest(stack.name, store.get().layer, version))) : undefined;
    if (!r) return null;
    const pairs = readPairs(r.data.pairs);
    const changed = Array.isArray(r.data.changed) ? r.data.changed.map(Boolean) : pairs.map(() => false);
    const tokensB = Array.isArray(r.data.tokens_b) ? r.data.tokens_b.map(String) : [];
    return { pairs, changed, tokensB };
  };

  const cell = (row: string, c: number, text: string, title: string, cls = "") =>
    h(doc, "div", { role: "cell", class: `al-cmp-cell ${cls}`.trim(), "data-row": row, "data-col": String(c), title }, text);

  const rowHead = (text: string) => h(doc, "div", { role: "rowheader", class: "al-cmp-head" }, text);

  const drawGrid = (theme: Theme, reply: Reply, attr: Reply | undefined) => {
    const s = store.get();
    const d = compareData()!;
    const { pairs, changed, tokensB } = d;
    const P = pairs.length;
    grid.style.setProperty("--al-cmp-cols", String(P));
    grid.replaceChildren();
    const q = queryColumn(pairs, s.token);
    const head = s.heads[0] ?? 0;
    const A = reply.arrays.a;
    const B = reply.arrays.b;
    const attA = attr?.arrays.a;
    const attB = attr?.arrays.b;
    const rows: [string, string][] = [["tok_a", "A"], ["tok_b", "B"], ["att_a", "attn A"], ["att_b", "attn B"], ["att_d", "B − A"]];
    if (attA && attB) rows.push(["attr_a", "attr A"], ["attr_b", "attr B"]);
    const attrRange = attA && attB ? Math.max(symmetricRange(attA.values, attA.scale), symmetricRange(attB.values, attB.scale)) : 1;
    let notable = 0;
    for (const [row, label] of rows) {
      grid.append(rowHead(label));
      for (let c = 0; c < P; c++) {
        const [ia, ib] = pairs[c]!;
        const mark = changed[c] ? " al-cmp-changed" : "";
        if (row === "tok_a" || row === "tok_b") {
          const raw = row === "tok_a" ? (ia === null ? null : meta.tokens[ia] ?? "") : ib === null ? null : tokensB[ib] ?? "";
          const disp = raw === null ? null : formatToken(raw, 12);
          const el = cell(row, c, disp ? disp.segments.map((x) => x.text).join("") : "—", disp ? `${disp.title} (${row === "tok_a" ? "A" : "B"} token ${row === "tok_a" ? ia : ib})` : "no token here in this run", `al-mono${mark}${c === q ? " al-cmp-query" : ""}${raw === null ? " al-cmp-gap" : ""}`);
          if (row === "tok_a" && ia !== null) el.setAttribute("data-position", String(ia));
          grid.append(el);
          continue;
        }
        if (row.startsWith("att")) {
          const n = pairs.length;
          const va = A ? (A.values[(head * n + q) * n + c] ?? 0) * A.scale : 0;
          const vb = B ? (B.values[(head * n + q) * n + c] ?? 0) * B.scale : 0;
          if (row === "att_d") {
            const { delta, notable: big } = difference(va, vb);
            if (big) notable++;
            const color = divergingColor(delta / 0.5, theme.bgRgb);
            const el = cell(row, c, big ? (delta > 0 ? "+" : "−") : "", `B − A = ${delta >= 0 ? "+" : "−"}${Math.abs(delta).toFixed(3)}`, big ? "al-cmp-notable" : "");
            el.style.background = rgb(color);
            el.style.color = textOn(color);
            el.setAttribute("data-value", String(delta));
            grid.append(el);
          } else {
            const v = row === "att_a" ? va : vb;
            const color = sequentialColor(v, theme.bgRgb);
            const el = cell(row, c, "", `${row === "att_a" ? "A" : "B"}: ${v.toFixed(3)}`);
            el.style.background = rgb(color);
            el.setAttribute("data-value", String(v));
            grid.append(el);
          }
          continue;
        }
        const arr = row === "attr_a" ? attA! : attB!;
        const v = (arr.values[c] ?? 0) * arr.scale;
        const color = divergingColor(v / attrRange, theme.bgRgb);
        const el = cell(row, c, "", `${row === "attr_a" ? "A" : "B"}: ${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(3)}`);
        el.style.background = rgb(color);
        el.setAttribute("data-value", String(v));
        grid.append(el);
      }
    }
    const qTok = pairs[q]?.[0] !== null ? meta.tokens[pairs[q]![0]!] : tokensB[pairs[q]?.[1] ?? 0];
    caption.textContent = `Attention of layer ${s.layer}, head ${head} from ${quoteToken(qTok ?? "")} (column ${q}; lock a token to change it). ${notable} column${notable === 1 ? "" : "s"} differ by ≥ 0.05. Highlighted tokens differ between the runs.${attr ? ` Attributions: ${METHOD_TITLES[String(attr.data.method)] ?? String(attr.data.method)} towards A's prediction ${quoteToken(attr.data.target_token ?? "")}.` : ""}`;
    section.setAttribute("data-query-column", String(q));
    section.setAttribute("data-notable", String(notable));
  };

  const drawPreds = (reply: Reply) => {
    preds.replaceChildren();
    const p = reply.data.predictions as { a?: unknown; b?: unknown } | undefined;
    const table = (title: string, list: PredictionRow[]) => {
      const t = h(doc, "table", { class: "al-ablate-table" });
      t.append(...predictionRows(doc, title, ["A", "B"], list));
      return t;
    };
    preds.append(table("A predicts", readPredictionRows(p?.a)), table("B predicts", readPredictionRows(p?.b)));
  };

  const draw = () => {
    const s = store.get();
    const theme = readTheme(section);
    if (pending) {
      const st = replies.state(pending);
      const r = replies.get(pending);
      if (r && typeof r.data.version === "number") {
        version = r.data.version;
        pending = null;
        request();
      } else if (st.state !== "loading" || !("since" in st && st.since !== undefined)) {
        status.textContent = pendingText(st, "the edited run");
        status.setAttribute("data-state", st.state);
        if (st.state !== "loading") pending = null;
        return;
      } else {
        status.textContent = "tracing the edited text…";
        status.setAttribute("data-state", "loading");
        return;
      }
    }
    if (!version) {
      status.textContent = meta.can_rerun ? "Edit the text and press Compare to see both runs side by side." : "Nothing to compare: this page has no second run, and no kernel to make one.";
      status.setAttribute("data-state", "empty");
      section.setAttribute("data-state", "idle");
      grid.replaceChildren();
      preds.replaceChildren();
      data.drawn("compare", s.layer);
      return;
    }
    const key = keyOf(compareRequest(stack.name, s.layer, version));
    const reply = replies.get(key);
    if (!reply) {
      const st = replies.state(key);
      status.textContent = pendingText(st, `the comparison at layer ${s.layer}`);
      status.setAttribute("data-state", st.state);
      section.setAttribute("data-state", st.state);
      return;
    }
    const attr = replies.get(keyOf(compareAttributionRequest(stack.name, version, s.method)));
    status.textContent = "";
    status.setAttribute("data-state", "ready");
    section.setAttribute("data-state", "ready");
    section.setAttribute("data-version", String(version));
    drawGrid(theme, reply, attr);
    drawPreds(reply);
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
    const text = input.value;
    if (!text.trim()) {
      status.textContent = "Type a text to compare with.";
      status.setAttribute("data-state", "error");
      return;
    }
    const r = editRequest(stack.name, text);
    pending = keyOf(r);
    replies.request(r);
    sched.schedule();
  };
  cleanups.push(
    listen(go, "click", submit),
    listen<KeyboardEvent>(input, "keydown", (e) => {
      if (e.key === "Enter") submit();
    }),
    listen<MouseEvent>(grid, "click", (e) => {
      const b = e.target instanceof Element ? e.target.closest("[data-position]") : null;
      if (!b) return;
      const i = Number(b.getAttribute("data-position"));
      store.set({ token: store.get().token === i ? null : i });
    }),
    store.subscribe((s, p) => {
      if (s.layer !== p.layer || s.method !== p.method) request();
      if (s.layer !== p.layer || s.method !== p.method || s.token !== p.token || s.heads !== p.heads) sched.schedule();
    }),
    replies.subscribe(() => sched.schedule()),
    watchTheme(doc, () => sched.schedule()),
  );
  request();
  draw();
  sched.schedule(); // again once the panel is in the page: colours need its computed theme
  return viewHandle(section, sched, cleanups);
}
