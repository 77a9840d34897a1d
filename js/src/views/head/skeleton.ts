/** The head view's DOM: bar (mode button, hint), status, the scroll box with both token columns, the
 * lines canvas and the heatmap cell, and the readout. Built once per mount; no listeners here. */
import { h } from "../../dom";
import type { ViewData } from "../common/index";
import { KEYS_HEIGHT, keyLabels } from "./heatmap";
import { columnChars } from "./labels";

export interface Skeleton {
  section: HTMLElement;
  modeBtn: HTMLButtonElement;
  hint: HTMLElement;
  /** What a saved page holds (layers, zoom), shown before anyone clicks; empty with a kernel. */
  note: HTMLElement;
  status: HTMLElement;
  scroll: HTMLElement;
  grid: HTMLElement;
  left: HTMLElement;
  right: HTMLElement;
  linesCell: HTMLElement;
  linesCanvas: HTMLCanvasElement;
  heatCell: HTMLElement;
  heatCanvas: HTMLCanvasElement;
  heatKeys: HTMLElement;
  keys: HTMLElement[];
  readout: HTMLElement;
}

export function buildSkeleton(el: HTMLElement, data: ViewData, rowHeight: number): Skeleton {
  const doc = el.ownerDocument;
  const section = h(doc, "div", { class: "al-head", "aria-label": "attention head view" });
  const bar = h(doc, "div", { class: "al-head-bar" });
  const modeBtn = h(doc, "button", { type: "button", class: "al-btn", "data-control": "mode" });
  const hint = h(doc, "p", { class: "al-hint" });
  bar.append(modeBtn, hint);
  const note = h(doc, "p", { class: "al-hint al-saved-note", "data-role": "saved-note" });
  note.hidden = true;
  const status = h(doc, "div", { class: "al-status", role: "status", "aria-live": "polite" });
  const scroll = h(doc, "div", { class: "al-scroll" });
  const grid = h(doc, "div", { class: "al-grid" });
  grid.style.setProperty("--al-row", `${rowHeight}px`);
  const left = h(doc, "div", { class: "al-col al-col-left", role: "group", "aria-label": "tokens attending (from)" });
  const right = h(doc, "div", { class: "al-col al-col-right", role: "group", "aria-label": "tokens attended to (to)" });
  left.style.width = `calc(${columnChars(data.queryTokens)}ch + 14px)`;
  right.style.width = `calc(${columnChars(data.keyTokens)}ch + 14px)`;
  const linesCell = h(doc, "div", { class: "al-lines-cell" });
  const linesCanvas = h(doc, "canvas", { class: "al-lines", "aria-hidden": "true" });
  linesCell.append(linesCanvas);
  const heatCell = h(doc, "div", { class: "al-heat-cell" });
  const heatCanvas = h(doc, "canvas", {
    class: "al-heat-legacy",
    role: "img",
    "aria-label": "attention heatmap: rows are queries, columns are keys",
  });
  const heatKeys = h(doc, "div", { class: "al-heat-keys", "aria-hidden": "true" });
  heatKeys.style.height = `${KEYS_HEIGHT}px`;
  const keys = keyLabels(doc, heatKeys, data.keyTokens, data.keySpecial);
  heatCell.append(heatKeys, heatCanvas);
  const readout = h(doc, "div", { class: "al-readout", "aria-live": "polite" });
  grid.append(left, linesCell, right, heatCell);
  scroll.append(grid);
  section.append(bar, note, status, scroll, readout);
  el.append(section);
  return { section, modeBtn, hint, note, status, scroll, grid, left, right, linesCell, linesCanvas, heatCell, heatCanvas, heatKeys, keys, readout };
}
