/** The ablation view's DOM: hint, marked parts, mode / run / clear, status, prediction tables, change map. */
import { h } from "../../dom";
import { setStatusLine, statusLine } from "../common/dom";

export interface AblationDom {
  section: HTMLElement;
  marked: HTMLElement;
  modeSel: HTMLSelectElement;
  run: HTMLButtonElement;
  clear: HTMLButtonElement;
  status: HTMLElement;
  table: HTMLTableElement;
  caption: HTMLElement;
  canvas: HTMLCanvasElement;
}

export function buildAblationDom(el: HTMLElement): AblationDom {
  const doc = el.ownerDocument;
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
  const status = statusLine(doc);
  const table = h(doc, "table", { class: "al-ablate-table" });
  const caption = h(doc, "p", { class: "al-hint", "data-role": "attention-change" });
  const canvas = h(doc, "canvas", { class: "al-ablate-canvas", role: "img", "aria-label": "change in attention" });
  section.append(hint, marked, bar, status, table, caption, canvas);
  el.append(section);
  return { section, marked, modeSel, run, clear, status, table, caption, canvas };
}

/** One unmark button per marked part ("Nothing marked." when none). */
export function renderMarked(d: AblationDom, parts: readonly { name: string; text: string }[], any: boolean): void {
  const doc = d.section.ownerDocument;
  d.marked.replaceChildren();
  if (!any) d.marked.append(h(doc, "span", { class: "al-hint" }, "Nothing marked."));
  for (const { name, text } of parts)
    d.marked.append(h(doc, "button", { type: "button", class: "al-tok", "data-part": name, "aria-label": `unmark ${text}`, title: `unmark ${text}` }, `${text} ×`));
}

/** The view's state on its status line and section. */
export function setState(d: AblationDom, text: string, status: string, section: string): void {
  setStatusLine(d.status, text, status);
  d.section.setAttribute("data-state", section);
}
