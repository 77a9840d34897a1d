/** The model view's DOM: hint, mark button, status, the canvas under a grid of one button per cell. */
import { headColor, type RGB } from "../../colors";
import { h } from "../../dom";
import { readoutLine, statusLine } from "../common/dom";
import { LABEL_H, LABEL_W, type ModelGrid } from "./layout";

export interface ModelDom {
  section: HTMLElement;
  markBtn: HTMLButtonElement;
  status: HTMLElement;
  scroll: HTMLElement;
  stage: HTMLElement;
  canvas: HTMLCanvasElement;
  overlay: HTMLElement;
  readout: HTMLElement;
  /** One button per cell, layer-major. */
  cells: HTMLButtonElement[];
}

/** Build the view into `el`: an overlay of L × H buttons (48 × 64 = 3,072 at most), one tab stop. */
export function buildModelDom(el: HTMLElement, layers: number, heads: number): ModelDom {
  const doc = el.ownerDocument;
  const section = h(doc, "div", { class: "al-model" });
  const hint = h(doc, "p", { class: "al-hint" }, "Each cell is one head's attention pattern (rows: queries, columns: keys). Click a cell to show that layer and head.");
  const status = statusLine(doc);
  const scroll = h(doc, "div", { class: "al-model-scroll" });
  const stage = h(doc, "div", { class: "al-model-stage" });
  const canvas = h(doc, "canvas", { class: "al-model-canvas", "aria-hidden": "true" });
  const label = `layers 0–${layers - 1} × heads 0–${heads - 1}`;
  const overlay = h(doc, "div", { class: "al-model-cells", role: "grid", "aria-label": label, "data-arrow-keys": "true" });
  const readout = readoutLine(doc);
  // Marking mode: clicks mark heads for the ablation view instead of selecting them.
  const markBtn = h(doc, "button", { type: "button", class: "al-btn", "data-control": "mark-heads", "aria-pressed": "false" }, "Mark for ablation");
  stage.append(canvas, overlay);
  scroll.append(stage);
  section.append(hint, markBtn, status, scroll, readout);
  el.append(section);
  const cells: HTMLButtonElement[] = [];
  for (let l = 0; l < layers; l++) {
    const row = h(doc, "div", { role: "row", class: "al-model-row" });
    for (let hd = 0; hd < heads; hd++) {
      const attrs = { type: "button", class: "al-model-cell", role: "gridcell", "data-layer": String(l), "data-head": String(hd) };
      const b = h(doc, "button", { ...attrs, "aria-label": `layer ${l}, head ${hd}`, tabindex: "-1" });
      cells.push(b);
      row.append(b);
    }
    overlay.append(row);
  }
  return { section, markBtn, status, scroll, stage, canvas, overlay, readout, cells };
}

/** Size the stage and place every cell button on the grid. */
export function placeCells(d: ModelDom, g: ModelGrid, layers: number, heads: number): void {
  d.stage.style.width = `${g.width}px`;
  d.stage.style.height = `${g.height}px`;
  for (let l = 0; l < layers; l++)
    for (let hd = 0; hd < heads; hd++) {
      const b = d.cells[l * heads + hd]!;
      b.style.left = `${LABEL_W + hd * g.pitch}px`;
      b.style.top = `${LABEL_H + l * g.pitch}px`;
      b.style.width = `${g.cell}px`;
      b.style.height = `${g.cell}px`;
    }
}

/** The (layer, head) of the cell button an event came from. */
export function cellFrom(t: EventTarget | null): { layer: number; head: number } | null {
  const b = t instanceof Element ? t.closest("[data-layer][data-head]") : null;
  return b ? { layer: Number(b.getAttribute("data-layer")), head: Number(b.getAttribute("data-head")) } : null;
}

/** Swap a class (and what goes with it) from the last set of cells to the next. */
function swap(last: HTMLButtonElement[], next: HTMLButtonElement[], on: (b: HTMLButtonElement) => void, off: (b: HTMLButtonElement) => void): HTMLButtonElement[] {
  for (const b of last) off(b);
  for (const b of next) on(b);
  return next;
}

/** Keeps the cells' marks (ablation) and selection (outline, aria-selected, tab stop) in step. */
export function cellMarker(d: ModelDom, layers: number, heads: number) {
  const cellOf = (l: number, hd: number) => (l >= 0 && l < layers && hd >= 0 && hd < heads ? d.cells[l * heads + hd] : undefined);
  let marked: HTMLButtonElement[] = [];
  let selected: HTMLButtonElement[] = [];
  return {
    /** Mark these cells; returns how many exist. */
    marks(cells: readonly { layer: number; head: number }[]): number {
      const next = cells.flatMap((c) => cellOf(c.layer, c.head) ?? []);
      marked = swap(marked, next, (b) => b.classList.add("al-ablated"), (b) => b.classList.remove("al-ablated"));
      return marked.length;
    },
    select(layer: number, hs: readonly number[], bg: RGB): void {
      const next = hs.flatMap((hd) => cellOf(layer, hd) ?? []);
      const on = (b: HTMLButtonElement) => {
        b.classList.add("al-selected");
        b.style.setProperty("--al-head-color", headColor(Number(b.getAttribute("data-head")), bg));
        b.setAttribute("aria-selected", "true");
      };
      const off = (b: HTMLButtonElement) => {
        b.classList.remove("al-selected");
        b.style.removeProperty("--al-head-color");
        b.removeAttribute("aria-selected");
      };
      selected = swap(selected, next, on, off);
      const first = cellOf(layer, hs[0] ?? 0);
      for (const b of d.cells) if (b.tabIndex === 0 && b !== first) b.tabIndex = -1;
      if (first) first.tabIndex = 0;
    },
  };
}
