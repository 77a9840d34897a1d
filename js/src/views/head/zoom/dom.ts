/**
 * The zoomable heatmap's DOM skeleton. Styles are inline (the component ships no CSS of its own) and
 * use the widget's theme variables (--al-*), so it follows JupyterLab / VS Code / OS themes.
 */
import { h } from "../../../dom";

/** Width of the row-label gutter and height of the column-label band (CSS px). */
export const GUTTER = 96;
export const BAND = 60;
/** Most CSS px of the minimap's longer side. */
export const MINI = 120;

export interface ZoomDom {
  root: HTMLElement;
  zoomIn: HTMLButtonElement;
  zoomOut: HTMLButtonElement;
  fit: HTMLButtonElement;
  pool: HTMLSelectElement;
  scale: HTMLSelectElement;
  poolLabel: HTMLElement;
  status: HTMLElement;
  info: HTMLElement;
  band: HTMLElement;
  gutter: HTMLElement;
  mapBox: HTMLElement;
  canvas: HTMLCanvasElement;
  mini: HTMLCanvasElement;
  miniRect: HTMLElement;
  miniBox: HTMLElement;
  readout: HTMLElement;
}

function style(el: HTMLElement, css: string): void {
  el.style.cssText = css;
}

function select(doc: Document, control: string, label: string, options: [string, string][]): HTMLSelectElement {
  const el = h(doc, "select", { class: "al-btn", "data-control": control, "aria-label": label, title: label });
  for (const [value, text] of options) el.append(h(doc, "option", { value }, text));
  return el;
}

function toolbar(doc: Document): Pick<ZoomDom, "zoomIn" | "zoomOut" | "fit" | "pool" | "scale" | "poolLabel"> & { bar: HTMLElement } {
  const bar = h(doc, "div", { class: "al-zoom-bar" });
  style(bar, "display:flex;align-items:center;gap:6px;flex-wrap:wrap;margin:2px 0 4px;font-size:12px");
  const btn = (control: string, text: string, label: string) =>
    h(doc, "button", { type: "button", class: "al-btn", "data-control": control, title: label, "aria-label": label }, text);
  const zoomIn = btn("zoom-in", "+", "Zoom in (+ key, or the mouse wheel)");
  const zoomOut = btn("zoom-out", "−", "Zoom out (− key, or the mouse wheel)");
  const fit = btn("zoom-fit", "Fit", "Show the whole matrix (0 key)");
  const poolText = h(doc, "span", {}, "pool");
  const pool = select(doc, "heat-pool", "how a cell pools its block of tokens", [["max", "max"], ["mean", "mean"]]);
  const scale = select(doc, "heat-scale", "what the strongest colour stands for", [["matrix", "colours: whole matrix"], ["view", "colours: fit to view"]]);
  const poolLabel = h(doc, "span", { class: "al-hint", "data-heat-pool-label": "" });
  style(poolLabel, "color:var(--al-muted);font-size:11px");
  bar.append(zoomOut, zoomIn, fit, poolText, pool, poolLabel, scale);
  return { bar, zoomIn, zoomOut, fit, pool, scale, poolLabel };
}

function minimap(doc: Document): Pick<ZoomDom, "mini" | "miniRect" | "miniBox"> {
  const miniBox = h(doc, "div", { class: "al-zoom-mini", title: "Overview: click or drag to move the view" });
  style(miniBox, "position:absolute;top:6px;right:6px;border:1px solid var(--al-border);background:var(--al-bg);line-height:0;cursor:pointer;touch-action:none");
  const mini = h(doc, "canvas", { "aria-hidden": "true" });
  const miniRect = h(doc, "div", { class: "al-zoom-mini-rect" });
  style(miniRect, "position:absolute;border:2px solid var(--al-accent);box-sizing:border-box;pointer-events:none;min-width:4px;min-height:4px");
  miniBox.append(mini, miniRect);
  return { mini, miniRect, miniBox };
}

export function buildDom(doc: Document, height: number): ZoomDom {
  const root = h(doc, "div", { class: "al-zoom", "data-heat-block": "", "data-heat-view": "", "data-heat-drawn": "" });
  style(root, "position:relative;font-size:12px;color:var(--al-fg)");
  const { bar, ...tools } = toolbar(doc);
  const status = h(doc, "div", { class: "al-status", role: "status", "aria-live": "polite" });
  const info = h(doc, "div", { class: "al-zoom-info" });
  style(info, "color:var(--al-muted);font-size:11px;margin:0 0 2px;font-variant-numeric:tabular-nums");
  const stage = h(doc, "div", { class: "al-zoom-stage" });
  style(stage, `display:grid;grid-template-columns:${GUTTER}px minmax(0,1fr);grid-template-rows:${BAND}px ${height}px`);
  const corner = h(doc, "div");
  const band = h(doc, "div", { class: "al-zoom-cols", "aria-hidden": "true" });
  style(band, "position:relative;overflow:hidden");
  const gutter = h(doc, "div", { class: "al-zoom-rows", "aria-hidden": "true" });
  style(gutter, "position:relative;overflow:hidden");
  const mapBox = h(doc, "div", { class: "al-zoom-map" });
  style(mapBox, "position:relative;overflow:hidden;border:1px solid var(--al-border);box-sizing:border-box");
  const canvas = h(doc, "canvas", {
    class: "al-heat",
    tabindex: "0",
    role: "img",
    "aria-label": "attention heatmap, rows are queries and columns keys: wheel or +/− to zoom, drag or arrow keys to pan, 0 to fit, click a row to lock its token",
  });
  style(canvas, "display:block;cursor:crosshair;touch-action:none;outline-offset:-2px");
  const mini = minimap(doc);
  mapBox.append(canvas, mini.miniBox);
  stage.append(corner, band, gutter, mapBox);
  const readout = h(doc, "div", { class: "al-readout", "data-readout": "heat-cell", "aria-live": "polite" });
  style(readout, "margin-top:4px;min-height:2.8em;color:var(--al-fg);font-variant-numeric:tabular-nums");
  root.append(bar, status, info, stage, readout);
  return { root, ...tools, status, info, band, gutter, mapBox, canvas, ...mini, readout };
}
