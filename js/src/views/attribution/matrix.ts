/**
 * Output × input matrix of the attribution view (as Ecco and Inseq show generated text): one row per
 * predicted token (the generated ones after al.generate), one column per input token, each row the
 * attribution of that token to the tokens before it (reply "attribution_matrix", float32 [rows, n]).
 * Hover a cell for its value; click a row to explain that prediction in the strip above.
 * DOM in `dom.ts`, what is painted in `draw.ts` (pure).
 */
import { listen } from "../../dom";
import { keyOf, type Reply, type Request } from "../../replies";
import type { Store } from "../../store";
import { readTheme } from "../../theme";
import { quoteToken } from "../../tokens";
import { fitCell } from "../common/geometry";
import { pendingText, sizeCanvas, type ViewData } from "../common/index";
import { setStatusLine } from "../common/dom";
import { paint } from "../common/paint";
import { buildMatrixDom, type MatrixDom } from "./dom";
import { cellAt, MATRIX_LABEL_W, matrixOps } from "./draw";
import { METHOD_TITLES, describeValue, symmetricRange } from "./layout";

export { cellAt, MATRIX_LABEL_W } from "./draw";

/** The request for the matrix of one method; the key mirrors protocol._attribution_matrix. */
export function matrixRequest(stack: string, method: string): Request {
  return { what: "attribution_matrix", stack, extra: [method], params: { method } };
}

/** Can this trace have an output × input matrix: a causal one-stack model with a token to predict. */
export function offersMatrix(data: Pick<ViewData, "meta">): boolean {
  const m = data.meta;
  return m.causal && m.stacks.length === 1 && m.tokens.length > 1 && m.can_rerun;
}

type Shape = { rows: number[]; n: number };

function setStatus(d: MatrixDom, parent: HTMLElement, text: string, state: string): void {
  setStatusLine(d.status, text, state);
  parent.setAttribute("data-matrix-state", state);
}

/** Paint a ready reply; returns its shape and the cell size. */
function paintMatrix(d: MatrixDom, parent: HTMLElement, reply: Reply, tokens: readonly string[]): { shape: Shape; cell: number } | null {
  const values = reply.arrays.values!;
  const rows = Array.isArray(reply.data.rows) ? reply.data.rows.map(Number) : [];
  const [R, n] = values.shape as [number, number];
  const cell = fitCell((d.scroll.clientWidth || parent.clientWidth || 600) - MATRIX_LABEL_W - 4, n, 4, 18);
  const ctx = sizeCanvas(d.canvas, MATRIX_LABEL_W + n * cell, R * cell);
  if (ctx) {
    const range = symmetricRange(values.values, values.scale);
    paint(ctx, matrixOps({ values: values.values, scale: values.scale, rows, n, R, cell, tokens, range, theme: readTheme(parent) }));
  }
  return { shape: { rows, n }, cell };
}

export function mountMatrix(parent: HTMLElement, store: Store, data: ViewData, onChange: () => void): { draw(): void; destroy(): void } {
  const tokens = data.meta.tokens;
  const d = buildMatrixDom(parent);
  let open = false;
  let cell = 12;
  let shape: Shape | null = null;
  const key = () => keyOf(matrixRequest(data.logitsStack, store.get().method));
  const draw = () => {
    d.toggle.setAttribute("aria-pressed", open ? "true" : "false");
    d.scroll.hidden = !open;
    d.readout.hidden = !open;
    if (!open) {
      setStatusLine(d.status, "", "empty");
      return;
    }
    const title = METHOD_TITLES[store.get().method] ?? store.get().method;
    const reply = data.replies.get(key());
    if (!reply || !reply.arrays.values || reply.arrays.values.shape.length !== 2) {
      const st = data.replies.state(key());
      const loading = st.state === "loading" && "since" in st && st.since !== undefined;
      return setStatus(d, parent, loading ? `computing ${title.toLowerCase()} for every predicted token…` : pendingText(st, "the output × input matrix"), st.state);
    }
    setStatus(d, parent, `${title}: row = a predicted token, column = an input token; orange pushes towards the row's token.`, "ready");
    const got = paintMatrix(d, parent, reply, tokens);
    if (got) ({ shape, cell } = got);
  };
  const hit = (e: MouseEvent, minX = 0) => {
    const rect = d.canvas.getBoundingClientRect();
    return shape ? cellAt(Math.max(minX, e.clientX - rect.left), e.clientY - rect.top, cell, shape.rows.length, shape.n) : null;
  };
  const hoverText = (e: MouseEvent): string => {
    const values = data.replies.get(key())?.arrays.values;
    const c = hit(e);
    if (!shape || !values || !c) return "";
    const p = shape.rows[c.row]!;
    const v = (values.values[c.row * shape.n + c.col] ?? 0) * values.scale;
    return `${quoteToken(tokens[p] ?? "")} (token ${p}) ← ${quoteToken(tokens[c.col] ?? "")} (token ${c.col}): ${describeValue(v, 0)}`;
  };
  const cleanups = [
    listen(d.toggle, "click", () => {
      open = !open;
      if (open) data.replies.request(matrixRequest(data.logitsStack, store.get().method));
      draw();
      onChange();
    }),
    listen<MouseEvent>(d.canvas, "mousemove", (e) => (d.readout.textContent = hoverText(e))),
    listen<MouseEvent>(d.canvas, "click", (e) => {
      const c = hit(e, MATRIX_LABEL_W);
      if (shape && c) store.set({ token: shape.rows[c.row]! - 1 }); // explain that prediction above
    }),
    store.subscribe((s, p) => {
      if (open && s.method !== p.method) data.replies.request(matrixRequest(data.logitsStack, s.method));
    }),
  ];
  if (!offersMatrix(data)) d.toggle.hidden = true;
  draw();
  return { draw, destroy: () => cleanups.splice(0).forEach((fn) => fn()) };
}
