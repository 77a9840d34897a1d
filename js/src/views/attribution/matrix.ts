/**
 * Output × input matrix of the attribution view (as Ecco and Inseq show generated text): one row per
 * predicted token (the generated ones after al.generate), one column per input token, each row the
 * attribution of that token to the tokens before it (reply "attribution_matrix", float32 [rows, n]).
 * Hover a cell for its value; click a row to explain that prediction in the strip above.
 */
import { divergingColor } from "../../colors";
import { h, listen } from "../../dom";
import { keyOf, type Request } from "../../replies";
import type { Store } from "../../store";
import { readTheme } from "../../theme";
import { formatToken, quoteToken } from "../../tokens";
import { fitCell } from "../common/geometry";
import { pendingText, sizeCanvas, type ViewData } from "../common/index";
import { METHOD_TITLES, describeValue, symmetricRange } from "./layout";

export const MATRIX_LABEL_W = 96;

/** The request for the matrix of one method; the key mirrors protocol._attribution_matrix. */
export function matrixRequest(stack: string, method: string): Request {
  return { what: "attribution_matrix", stack, extra: [method], params: { method } };
}

/** Can this trace have an output × input matrix: a causal one-stack model with a token to predict. */
export function offersMatrix(data: Pick<ViewData, "meta">): boolean {
  const m = data.meta;
  return m.causal && m.stacks.length === 1 && m.tokens.length > 1 && m.can_rerun;
}

/** Row and column under a point of the canvas (css px), or null outside the cells. */
export function cellAt(x: number, y: number, cell: number, rows: number, cols: number): { row: number; col: number } | null {
  const col = Math.floor((x - MATRIX_LABEL_W) / cell);
  const row = Math.floor(y / cell);
  return x >= MATRIX_LABEL_W && col >= 0 && col < cols && row >= 0 && row < rows ? { row, col } : null;
}

export function mountMatrix(parent: HTMLElement, store: Store, data: ViewData, onChange: () => void): { draw(): void; destroy(): void } {
  const doc = parent.ownerDocument;
  const tokens = data.meta.tokens;
  const toggle = h(doc, "button", { type: "button", class: "al-btn", "data-control": "attribution-matrix", "aria-pressed": "false" }, "Output × input matrix");
  const status = h(doc, "div", { class: "al-status", role: "status", "aria-live": "polite" });
  const scroll = h(doc, "div", { class: "al-matrix-scroll" });
  const canvas = h(doc, "canvas", { class: "al-matrix-canvas", role: "img", "aria-label": "output × input attributions" });
  const readout = h(doc, "div", { class: "al-readout", "aria-live": "polite" });
  scroll.append(canvas);
  parent.append(toggle, status, scroll, readout);
  let open = false;
  let cell = 12;
  let shape: { rows: number[]; n: number } | null = null;
  const cleanups: (() => void)[] = [];

  const key = () => keyOf(matrixRequest(data.logitsStack, store.get().method));
  const draw = () => {
    toggle.setAttribute("aria-pressed", open ? "true" : "false");
    scroll.hidden = !open;
    readout.hidden = !open;
    if (!open) {
      status.textContent = "";
      status.setAttribute("data-state", "empty");
      return;
    }
    const method = store.get().method;
    const reply = data.replies.get(key());
    const values = reply?.arrays.values;
    if (!reply || !values || values.shape.length !== 2) {
      const st = data.replies.state(key());
      status.textContent = st.state === "loading" && "since" in st && st.since !== undefined
        ? `computing ${(METHOD_TITLES[method] ?? method).toLowerCase()} for every predicted token…`
        : pendingText(st, "the output × input matrix");
      status.setAttribute("data-state", st.state);
      parent.setAttribute("data-matrix-state", st.state);
      return;
    }
    const rows = Array.isArray(reply.data.rows) ? reply.data.rows.map(Number) : [];
    const [R, n] = values.shape as [number, number];
    shape = { rows, n };
    status.textContent = `${METHOD_TITLES[method] ?? method}: row = a predicted token, column = an input token; orange pushes towards the row's token.`;
    status.setAttribute("data-state", "ready");
    parent.setAttribute("data-matrix-state", "ready");
    const avail = (scroll.clientWidth || parent.clientWidth || 600) - MATRIX_LABEL_W - 4;
    cell = fitCell(avail, n, 4, 18);
    const ctx = sizeCanvas(canvas, MATRIX_LABEL_W + n * cell, R * cell);
    if (!ctx) return;
    const theme = readTheme(parent);
    const range = symmetricRange(values.values, values.scale);
    ctx.font = `${Math.min(12, Math.max(8, cell - 2))}px ui-monospace, monospace`;
    ctx.textBaseline = "middle";
    ctx.textAlign = "right";
    for (let r = 0; r < R; r++) {
      const p = rows[r] ?? r + 1;
      if (cell >= 8) {
        ctx.fillStyle = theme.fg;
        const disp = formatToken(tokens[p] ?? "", 10);
        ctx.fillText(disp.segments.map((x) => x.text).join(""), MATRIX_LABEL_W - 4, r * cell + cell / 2);
      }
      for (let c = 0; c < n; c++) {
        const v = (values.values[r * n + c] ?? 0) * values.scale;
        if (v === 0) continue;
        const rgb = divergingColor(v / range, theme.bgRgb);
        ctx.fillStyle = `rgb(${rgb[0] | 0},${rgb[1] | 0},${rgb[2] | 0})`;
        ctx.fillRect(MATRIX_LABEL_W + c * cell, r * cell, cell, cell);
      }
      ctx.strokeStyle = theme.border;
      ctx.strokeRect(MATRIX_LABEL_W + p * cell + 0.5, r * cell + 0.5, cell - 1, cell - 1); // the token itself
    }
  };

  const hoverText = (e: MouseEvent): string | null => {
    const reply = data.replies.get(key());
    const values = reply?.arrays.values;
    if (!shape || !values) return null;
    const rect = canvas.getBoundingClientRect();
    const hit = cellAt(e.clientX - rect.left, e.clientY - rect.top, cell, shape.rows.length, shape.n);
    if (!hit) return null;
    const p = shape.rows[hit.row]!;
    const v = (values.values[hit.row * shape.n + hit.col] ?? 0) * values.scale;
    return `${quoteToken(tokens[p] ?? "")} (token ${p}) ← ${quoteToken(tokens[hit.col] ?? "")} (token ${hit.col}): ${describeValue(v, 0)}`;
  };
  cleanups.push(
    listen(toggle, "click", () => {
      open = !open;
      if (open) data.replies.request(matrixRequest(data.logitsStack, store.get().method));
      draw();
      onChange();
    }),
    listen<MouseEvent>(canvas, "mousemove", (e) => {
      readout.textContent = hoverText(e) ?? "";
    }),
    listen<MouseEvent>(canvas, "click", (e) => {
      if (!shape) return;
      const rect = canvas.getBoundingClientRect();
      const hit = cellAt(Math.max(MATRIX_LABEL_W, e.clientX - rect.left), e.clientY - rect.top, cell, shape.rows.length, shape.n);
      if (hit) store.set({ token: shape.rows[hit.row]! - 1 }); // explain that prediction above
    }),
    store.subscribe((s, p) => {
      if (open && s.method !== p.method) data.replies.request(matrixRequest(data.logitsStack, s.method));
    }),
  );
  if (!offersMatrix(data)) toggle.hidden = true;
  draw();
  return {
    draw,
    destroy() {
      for (const fn of cleanups.splice(0)) fn();
    },
  };
}
