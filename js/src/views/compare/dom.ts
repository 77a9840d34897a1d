/** The compare view's DOM: the edit box, status, the aligned grid, caption and both runs' predictions. */
import { h } from "../../dom";
import { setStatusLine, statusLine } from "../common/dom";
import { predictionRows, type PredictionRow } from "../common/predictions";
import type { GridRow } from "./draw";

export interface CompareDom {
  section: HTMLElement;
  input: HTMLInputElement;
  go: HTMLButtonElement;
  status: HTMLElement;
  grid: HTMLElement;
  caption: HTMLElement;
  preds: HTMLElement;
}

export function buildCompareDom(el: HTMLElement, text: string): CompareDom {
  const doc = el.ownerDocument;
  const section = h(doc, "div", { class: "al-compare" });
  const form = h(doc, "div", { class: "al-compare-form" });
  const attrs = { type: "text", class: "al-input al-compare-text", "data-control": "compare-text", maxlength: "20000", spellcheck: "false" };
  const input = h(doc, "input", { ...attrs, "aria-label": "text of run B: edit it and press Compare" });
  input.value = text;
  const go = h(doc, "button", { type: "button", class: "al-btn", "data-control": "compare-run" }, "Compare");
  form.append(input, go);
  const status = statusLine(doc);
  const scroll = h(doc, "div", { class: "al-compare-scroll" });
  const grid = h(doc, "div", { class: "al-compare-grid", role: "table", "aria-label": "run A and run B aligned by token" });
  scroll.append(grid);
  const caption = h(doc, "p", { class: "al-hint", "data-role": "compare-caption" });
  const preds = h(doc, "div", { class: "al-compare-preds" });
  section.append(form, status, scroll, caption, preds);
  el.append(section);
  return { section, input, go, status, grid, caption, preds };
}

/** Replace the grid with these rows: a row header, then one cell per aligned column. */
export function renderGrid(d: CompareDom, rows: readonly GridRow[], columns: number): void {
  const doc = d.section.ownerDocument;
  d.grid.style.setProperty("--al-cmp-cols", String(columns));
  d.grid.replaceChildren();
  for (const r of rows) {
    d.grid.append(h(doc, "div", { role: "rowheader", class: "al-cmp-head" }, r.label));
    r.cells.forEach((c, i) => {
      const e = h(doc, "div", { role: "cell", class: `al-cmp-cell ${c.cls}`.trim(), "data-row": r.row, "data-col": String(i), title: c.title }, c.text);
      if (c.position !== undefined) e.setAttribute("data-position", String(c.position));
      if (c.background !== undefined) e.style.background = c.background;
      if (c.color !== undefined) e.style.color = c.color;
      if (c.value !== undefined) e.setAttribute("data-value", String(c.value));
      d.grid.append(e);
    });
  }
}

/** Both runs' top predictions side by side. */
export function renderPredictions(d: CompareDom, a: PredictionRow[], b: PredictionRow[]): void {
  const doc = d.section.ownerDocument;
  const table = (title: string, list: PredictionRow[]) => {
    const t = h(doc, "table", { class: "al-ablate-table" });
    t.append(...predictionRows(doc, title, ["A", "B"], list));
    return t;
  };
  d.preds.replaceChildren(table("A predicts", a), table("B predicts", b));
}

/** The view's state on its status line (and section, when given). */
export function setState(d: CompareDom, text: string, state: string, section?: string): void {
  setStatusLine(d.status, text, state);
  if (section !== undefined) d.section.setAttribute("data-state", section);
}
