/** The attribution view's DOM: method / target / contrast form, explanation, status, token strip, matrix box. */
import { h } from "../../dom";
import { readoutLine, setStatusLine, statusLine } from "../common/dom";
import { formatToken } from "../../tokens";
import type { ChipLook } from "./draw";
import { METHOD_TITLES } from "./layout";

export interface AttributionDom {
  section: HTMLElement;
  methodSel: HTMLSelectElement;
  targetIn: HTMLInputElement;
  contrastIn: HTMLInputElement;
  explain: HTMLElement;
  status: HTMLElement;
  strip: HTMLElement;
  readout: HTMLElement;
  matrixBox: HTMLElement;
  chips: HTMLButtonElement[];
}

function buildForm(doc: Document, methods: readonly string[]) {
  const form = h(doc, "div", { class: "al-attr-form" });
  const methodSel = h(doc, "select", { class: "al-select", "aria-label": "attribution method", "data-control": "method" });
  for (const m of methods) methodSel.append(h(doc, "option", { value: m }, METHOD_TITLES[m] ?? m));
  const text = { type: "text", class: "al-input", maxlength: "200", spellcheck: "false" };
  const targetIn = h(doc, "input", { ...text, "aria-label": "target token (empty: the model's own prediction)", placeholder: "model's prediction", "data-control": "target-token" });
  const contrastIn = h(doc, "input", { ...text, "aria-label": "contrast token: why the target rather than this one (optional)", placeholder: "(none)", "data-control": "contrast-token" });
  const label = (t: string, control: HTMLElement) => {
    const l = h(doc, "label", { class: "al-field" }, t);
    l.append(control);
    return l;
  };
  form.append(label("Method ", methodSel), label("Target ", targetIn), label("rather than ", contrastIn));
  return { form, methodSel, targetIn, contrastIn };
}

export function buildAttributionDom(el: HTMLElement, methods: readonly string[], tokens: readonly string[]): AttributionDom {
  const doc = el.ownerDocument;
  const section = h(doc, "div", { class: "al-attribution" });
  const { form, ...controls } = buildForm(doc, methods);
  const explain = h(doc, "p", { class: "al-hint", "data-role": "explained" });
  const status = statusLine(doc);
  const strip = h(doc, "div", { class: "al-attr-tokens", role: "group", "aria-label": "input tokens coloured by attribution" });
  const readout = readoutLine(doc);
  const legend = h(doc, "p", { class: "al-hint" }, "Orange: pushes towards the target; blue: pushes away. Hover a token for its value; click one to explain the prediction there.");
  const matrixBox = h(doc, "div", { class: "al-matrix" });
  section.append(form, explain, status, strip, readout, legend, matrixBox);
  el.append(section);
  const chips: HTMLButtonElement[] = [];
  const frag = doc.createDocumentFragment();
  tokens.forEach((raw, i) => {
    const disp = formatToken(raw, 16);
    const b = h(doc, "button", { type: "button", class: "al-tok", "data-position": String(i), title: `${disp.title} (token ${i})` });
    b.textContent = disp.segments.map((x) => x.text).join("");
    chips.push(b);
    frag.append(b);
  });
  strip.append(frag);
  return { section, ...controls, explain, status, strip, readout, matrixBox, chips };
}

/** Colour and label every chip, or (null) clear their colours. */
export function paintChips(d: AttributionDom, looks: readonly ChipLook[] | null): void {
  d.chips.forEach((c, i) => {
    const l = looks?.[i];
    if (!l) {
      c.style.removeProperty("background");
      c.style.removeProperty("color");
      return;
    }
    c.style.background = l.background;
    c.style.color = l.color;
    c.title = l.title;
    c.setAttribute("aria-label", l.label);
    c.setAttribute("data-value", String(l.value));
  });
}

/** The state of the view on its status line and section. */
export function setState(d: AttributionDom, text: string, state: string): void {
  setStatusLine(d.status, text, state);
  d.section.setAttribute("data-state", state);
}

export interface MatrixDom {
  toggle: HTMLButtonElement;
  status: HTMLElement;
  scroll: HTMLElement;
  canvas: HTMLCanvasElement;
  readout: HTMLElement;
}

export function buildMatrixDom(parent: HTMLElement): MatrixDom {
  const doc = parent.ownerDocument;
  const toggle = h(doc, "button", { type: "button", class: "al-btn", "data-control": "attribution-matrix", "aria-pressed": "false" }, "Output × input matrix");
  const status = statusLine(doc);
  const scroll = h(doc, "div", { class: "al-matrix-scroll" });
  const canvas = h(doc, "canvas", { class: "al-matrix-canvas", role: "img", "aria-label": "output × input attributions" });
  const readout = readoutLine(doc);
  scroll.append(canvas);
  parent.append(toggle, status, scroll, readout);
  return { toggle, status, scroll, canvas, readout };
}
