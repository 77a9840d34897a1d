/** The logit lens's DOM: hint, status, the scrolling stage (canvas + position buttons), readout, tooltip. */
import { h } from "../../dom";
import { readoutLine, statusLine } from "../common/dom";
import { formatToken, quoteToken } from "../../tokens";
import { shortText } from "./draw";
import { CELL_H, cellChars, HEADER_H, LABEL_W, topK, type LensTable } from "./layout";

export interface LensDom {
  section: HTMLElement;
  status: HTMLElement;
  scroll: HTMLElement;
  stage: HTMLElement;
  canvas: HTMLCanvasElement;
  header: HTMLElement;
  tip: HTMLElement;
  readout: HTMLElement;
  /** The position buttons in the DOM (only those on screen, plus the focused one). */
  shown: Map<number, HTMLButtonElement>;
  /** The cell width the buttons were laid out for. */
  cellW: number;
}

export function buildLensDom(el: HTMLElement): LensDom {
  const doc = el.ownerDocument;
  const section = h(doc, "div", { class: "al-lens" });
  const hint = h(doc, "p", { class: "al-hint" }, "Top prediction after each layer (colour: its probability). Hover for the top 5; click to select that layer and token.");
  const status = statusLine(doc);
  const scroll = h(doc, "div", { class: "al-lens-scroll" });
  const stage = h(doc, "div", { class: "al-lens-stage" });
  const canvas = h(doc, "canvas", { class: "al-lens-canvas", role: "img", "aria-label": "logit lens: layers by positions, top-1 token and probability" });
  const header = h(doc, "div", { class: "al-lens-header", role: "group", "aria-label": "positions" });
  const tip = h(doc, "div", { class: "al-tip", role: "tooltip" });
  tip.hidden = true;
  stage.append(canvas, header);
  scroll.append(stage);
  const readout = readoutLine(doc);
  section.append(hint, status, scroll, readout, tip);
  el.append(section);
  return { section, status, scroll, stage, canvas, header, tip, readout, shown: new Map(), cellW: 0 };
}

/** Keep position buttons for the columns in [start, end) (and a focused one); mark the locked token. */
export function renderHeader(d: LensDom, positions: readonly string[], w: { start: number; end: number }, locked: number | null, cellW: number): void {
  const doc = d.section.ownerDocument;
  const resized = cellW !== d.cellW;
  d.cellW = cellW;
  for (const [p, b] of d.shown) {
    if (resized) {
      b.style.left = `${LABEL_W + p * cellW}px`;
      b.style.width = `${cellW - 2}px`;
    }
    // Out of view, or laid out for another width (its text is cut for that width): rebuilt below.
    if ((resized || p < w.start || p >= w.end) && doc.activeElement !== b) {
      b.remove();
      d.shown.delete(p);
    }
  }
  for (let p = w.start; p < w.end; p++) {
    if (d.shown.has(p)) continue;
    const disp = formatToken(positions[p] ?? "", cellChars(cellW) + 1);
    const b = h(doc, "button", {
      type: "button",
      class: "al-lens-pos",
      "data-position": String(p),
      "aria-label": `${disp.spoken} (position ${p}): select this token`,
      title: `${disp.title} (position ${p})`,
    });
    b.textContent = disp.segments.map((s) => s.text).join("");
    b.style.left = `${LABEL_W + p * cellW}px`;
    b.style.width = `${cellW - 2}px`;
    d.shown.set(p, b);
    d.header.append(b);
  }
  for (const [p, b] of d.shown) b.classList.toggle("al-locked", p === locked);
}

/** Fill the tooltip with a cell's top-k list and place it near the pointer (section coordinates). */
export function showTip(d: LensDom, t: LensTable, c: { layer: number; position: number }, token: string, at: { x: number; y: number }): void {
  const doc = d.section.ownerDocument;
  d.tip.replaceChildren();
  d.tip.append(h(doc, "div", { class: "al-tip-title" }, `layer ${c.layer}, after ${quoteToken(token)} (${c.position})`));
  for (const x of topK(t, c.layer, c.position)) {
    const row = h(doc, "div", { class: "al-tip-row" });
    row.append(h(doc, "span", { class: "al-tip-tok" }, shortText(x.token, 16)), h(doc, "span", { class: "al-tip-p" }, x.prob.toFixed(3)));
    d.tip.append(row);
  }
  d.tip.hidden = false;
  const sr = d.section.getBoundingClientRect();
  d.tip.style.left = `${Math.min(at.x - sr.left + 12, Math.max(0, sr.width - 200))}px`;
  d.tip.style.top = `${at.y - sr.top + 14}px`;
}

/** The stage: every position and layer (the canvas covers only its visible part). */
export function sizeStage(d: LensDom, positions: number, layers: number, cellW: number): void {
  d.stage.style.width = `${LABEL_W + positions * cellW}px`;
  d.stage.style.height = `${HEADER_H + layers * CELL_H}px`;
}
