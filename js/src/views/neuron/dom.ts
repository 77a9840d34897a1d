/** The neuron view's DOM: head and token controls, info, status, legend, query row, the key rows' stage. */
import { h } from "../../dom";
import { statusLine } from "../common/dom";
import { formatToken } from "../../tokens";
import { ROW_H } from "./draw";

export interface NeuronDom {
  section: HTMLElement;
  headSel: HTMLSelectElement;
  tokInput: HTMLInputElement;
  prev: HTMLButtonElement;
  next: HTMLButtonElement;
  tokText: HTMLElement;
  info: HTMLElement;
  status: HTMLElement;
  legend: HTMLElement;
  qRow: HTMLCanvasElement;
  scroll: HTMLElement;
  stage: HTMLElement;
  labels: HTMLElement;
  canvas: HTMLCanvasElement;
  /** Key labels in the DOM (only the visible rows). */
  shown: Map<number, HTMLElement>;
}

function buildBar(doc: Document, heads: number, queries: number) {
  const bar = h(doc, "div", { class: "al-neuron-bar" });
  const headLabel = h(doc, "label", { class: "al-field" });
  headLabel.append(h(doc, "span", {}, "Head"));
  const headSel = h(doc, "select", { "data-control": "neuron-head", "aria-label": "head shown in the neuron view" });
  for (let i = 0; i < heads; i++) headSel.append(h(doc, "option", { value: String(i) }, String(i)));
  headLabel.append(headSel);
  const tokLabel = h(doc, "label", { class: "al-field" });
  tokLabel.append(h(doc, "span", {}, "Query token"));
  const prev = h(doc, "button", { type: "button", class: "al-btn al-btn-small", "aria-label": "previous query token" }, "◀");
  const max = String(Math.max(0, queries - 1));
  const tokInput = h(doc, "input", { type: "number", min: "0", max, step: "1", "data-control": "neuron-token", "aria-label": "query token index" });
  const next = h(doc, "button", { type: "button", class: "al-btn al-btn-small", "aria-label": "next query token" }, "▶");
  const tokText = h(doc, "span", { class: "al-neuron-tok" });
  tokLabel.append(tokInput);
  bar.append(headLabel, tokLabel, prev, next, tokText);
  return { bar, headSel, tokInput, prev, next, tokText };
}

export function buildNeuronDom(el: HTMLElement, heads: number, queries: number, keys: number): NeuronDom {
  const doc = el.ownerDocument;
  const section = h(doc, "div", { class: "al-neuron" });
  const { bar, ...controls } = buildBar(doc, heads, queries);
  const info = h(doc, "p", { class: "al-hint" });
  const status = statusLine(doc);
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
  stage.style.height = `${keys * ROW_H}px`;
  return { section, ...controls, info, status, legend, qRow, scroll, stage, labels, canvas, shown: new Map() };
}

/** Keep key labels for the rows in [start, end) only. */
export function renderKeyLabels(d: NeuronDom, keys: readonly string[], w: { start: number; end: number }): void {
  const doc = d.section.ownerDocument;
  for (const [j, e] of d.shown)
    if (j < w.start || j >= w.end) {
      e.remove();
      d.shown.delete(j);
    }
  for (let j = w.start; j < w.end; j++) {
    if (d.shown.has(j)) continue;
    const disp = formatToken(keys[j] ?? "", 14);
    const e = h(doc, "div", { class: "al-neuron-key", role: "listitem", "data-key-index": String(j), title: `${disp.title} (key ${j})` });
    e.textContent = disp.segments.map((s) => s.text).join("");
    e.style.top = `${j * ROW_H}px`;
    d.shown.set(j, e);
    d.labels.append(e);
  }
}

export function renderLegend(d: NeuronDom, columns: readonly { width: number; title: string; text: string }[]): void {
  d.legend.replaceChildren();
  for (const c of columns) {
    const e = h(d.section.ownerDocument, "span", { title: c.title }, c.text);
    e.style.width = `${c.width}px`;
    d.legend.append(e);
  }
}

