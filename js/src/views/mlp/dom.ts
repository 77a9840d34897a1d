/** The MLP view's DOM: hint, status, the top-neuron list, the neuron's status and the token strip. */
import { h } from "../../dom";
import { statusLine } from "../common/dom";
import { formatToken } from "../../tokens";
import type { NeuronRow } from "./draw";
import { CHIP_H, CHIP_W, chipGrid, chipWindow } from "./layout";

export interface MlpDom {
  section: HTMLElement;
  hint: HTMLElement;
  status: HTMLElement;
  list: HTMLElement;
  nStatus: HTMLElement;
  strip: HTMLElement;
  stripStage: HTMLElement;
  /** Token chips in the DOM (only the rows in view: 4,096 tokens → ~100 chips). */
  chips: Map<number, HTMLButtonElement>;
}

export function buildMlpDom(el: HTMLElement): MlpDom {
  const doc = el.ownerDocument;
  const section = h(doc, "div", { class: "al-mlp" });
  const hint = h(doc, "p", { class: "al-hint" });
  const status = statusLine(doc);
  const list = h(doc, "div", { class: "al-mlp-list", role: "group", "aria-label": "top neurons" });
  const nStatus = statusLine(doc);
  const strip = h(doc, "div", { class: "al-mlp-tokens", role: "group", "aria-label": "tokens coloured by the selected neuron" });
  section.append(hint, status, list, nStatus, strip);
  el.append(section);
  const stripStage = h(doc, "div", { class: "al-mlp-stage" });
  strip.append(stripStage);
  return { section, hint, status, list, nStatus, strip, stripStage, chips: new Map() };
}

/** Replace the list with one row (neuron button with bar, ✂ button) per top neuron. */
export function renderNeuronList(d: MlpDom, rows: readonly NeuronRow[]): void {
  const doc = d.section.ownerDocument;
  d.list.replaceChildren();
  for (const x of rows) {
    const attrs = { type: "button", class: "al-neuron-btn", "data-control": "neuron", "data-neuron": String(x.neuron) };
    const b = h(doc, "button", { ...attrs, "aria-pressed": x.on ? "true" : "false", "aria-label": x.label });
    const barEl = h(doc, "span", { class: "al-bar", "aria-hidden": "true" });
    barEl.style.width = `${x.bar}%`;
    b.append(h(doc, "span", { class: "al-neuron-id" }, `#${x.neuron}`), barEl, h(doc, "span", { class: "al-neuron-val" }, x.value));
    const cutAttrs = { type: "button", class: "al-cut-btn", "data-ablate-neuron": String(x.neuron), "aria-pressed": x.marked ? "true" : "false" };
    const cut = h(doc, "button", { ...cutAttrs, "aria-label": x.cutLabel, title: x.cutTitle }, "✂");
    const row = h(doc, "div", { class: "al-neuron-row" });
    row.append(b, cut);
    d.list.append(row);
  }
}

/** A chip's colours and label, or null to clear them. */
export type ChipPaint = (i: number) => { background: string; color: string; label: string } | null;

/** Lay out the chips in view (none without a neuron), mark the locked token, colour each by `paint`. */
export function renderStrip(d: MlpDom, tokens: readonly string[], show: boolean, locked: number | null, paint: ChipPaint): void {
  const doc = d.section.ownerDocument;
  if (!show) {
    for (const c of d.chips.values()) c.remove();
    d.chips.clear();
    d.stripStage.style.height = "0px";
    return;
  }
  const g = chipGrid(d.strip.clientWidth, tokens.length);
  d.stripStage.style.height = `${g.rows * CHIP_H}px`;
  const w = chipWindow(d.strip.scrollTop, d.strip.clientHeight, g, tokens.length);
  for (const [i, c] of d.chips)
    if ((i < w.start || i >= w.end) && doc.activeElement !== c) {
      c.remove();
      d.chips.delete(i);
    }
  for (let i = w.start; i < w.end; i++) {
    let c = d.chips.get(i);
    if (!c) {
      const disp = formatToken(tokens[i] ?? "", 9);
      c = h(doc, "button", { type: "button", class: "al-chip", "data-position": String(i), title: `${disp.title} (token ${i})` });
      c.textContent = disp.segments.map((x) => x.text).join("");
      d.chips.set(i, c);
      d.stripStage.append(c);
    }
    c.style.left = `${(i % g.perRow) * CHIP_W}px`;
    c.style.top = `${Math.floor(i / g.perRow) * CHIP_H}px`;
    c.classList.toggle("al-locked", locked === i);
    const p = paint(i);
    if (p) {
      c.style.background = p.background;
      c.style.color = p.color;
      c.setAttribute("aria-label", p.label);
    } else {
      c.style.removeProperty("background");
      c.style.removeProperty("color");
    }
  }
}
