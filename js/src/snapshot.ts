/**
 * "Save PNG" / "Save SVG": the views as they are on screen, made in the page (no kernel, works in a
 * static export). Canvases are copied at their on-screen places; token labels and titles become text
 * (in the SVG, real <text> elements set through textContent). Downloads go through a local blob URL.
 */
import { h, listen } from "./dom";

interface Ink {
  canvases: { x: number; y: number; w: number; h: number; canvas: HTMLCanvasElement }[];
  labels: { x: number; y: number; text: string; font: string; color: string }[];
  width: number;
  height: number;
  background: string;
}

const LABELS = ".al-view-title, [data-token-index], [data-key-index], [data-position], .al-status";

/** What is visible inside ``area``, in coordinates relative to it. */
export function collect(area: HTMLElement): Ink {
  const win = area.ownerDocument.defaultView;
  const box = area.getBoundingClientRect();
  const style = win?.getComputedStyle(area);
  const ink: Ink = {
    canvases: [],
    labels: [],
    width: Math.max(1, Math.round(box.width)),
    height: Math.max(1, Math.round(box.height)),
    background: style?.backgroundColor && style.backgroundColor !== "rgba(0, 0, 0, 0)" ? style.backgroundColor : "#ffffff",
  };
  const inside = (r: DOMRect) => r.width > 0 && r.height > 0 && r.bottom > box.top && r.top < box.bottom;
  for (const canvas of Array.from(area.querySelectorAll("canvas"))) {
    const r = canvas.getBoundingClientRect();
    if (inside(r)) ink.canvases.push({ x: r.left - box.left, y: r.top - box.top, w: r.width, h: r.height, canvas });
  }
  for (const el of Array.from(area.querySelectorAll<HTMLElement>(LABELS))) {
    const r = el.getBoundingClientRect();
    const text = (el.textContent ?? "").trim();
    if (!text || !inside(r)) continue;
    const s = win?.getComputedStyle(el);
    ink.labels.push({
      x: r.left - box.left + 2,
      y: r.top - box.top + r.height / 2,
      text,
      font: s ? `${s.fontStyle} ${s.fontWeight} ${s.fontSize} ${s.fontFamily}` : "12px sans-serif",
      color: s?.color ?? "#000",
    });
  }
  return ink;
}

export function toPngCanvas(doc: Document, ink: Ink, scale = 2): HTMLCanvasElement {
  const out = doc.createElement("canvas");
  out.width = ink.width * scale;
  out.height = ink.height * scale;
  const ctx = out.getContext("2d");
  if (!ctx) return out;
  ctx.scale(scale, scale);
  ctx.fillStyle = ink.background;
  ctx.fillRect(0, 0, ink.width, ink.height);
  for (const c of ink.canvases) ctx.drawImage(c.canvas, c.x, c.y, c.w, c.h);
  ctx.textBaseline = "middle";
  for (const l of ink.labels) {
    ctx.font = l.font;
    ctx.fillStyle = l.color;
    ctx.fillText(l.text, l.x, l.y);
  }
  return out;
}

const SVG = "http://www.w3.org/2000/svg";

export function toSvg(doc: Document, ink: Ink): SVGSVGElement {
  const svg = doc.createElementNS(SVG, "svg");
  svg.setAttribute("xmlns", SVG);
  svg.setAttribute("width", String(ink.width));
  svg.setAttribute("height", String(ink.height));
  svg.setAttribute("viewBox", `0 0 ${ink.width} ${ink.height}`);
  const bg = doc.createElementNS(SVG, "rect");
  bg.setAttribute("width", "100%");
  bg.setAttribute("height", "100%");
  bg.setAttribute("fill", ink.background);
  svg.append(bg);
  for (const c of ink.canvases) {
    const img = doc.createElementNS(SVG, "image");
    for (const [k, v] of Object.entries({ x: c.x, y: c.y, width: c.w, height: c.h })) img.setAttribute(k, String(v));
    img.setAttribute("href", c.canvas.toDataURL("image/png"));
    svg.append(img);
  }
  for (const l of ink.labels) {
    const t = doc.createElementNS(SVG, "text");
    t.setAttribute("x", String(l.x));
    t.setAttribute("y", String(l.y));
    t.setAttribute("dominant-baseline", "middle");
    t.setAttribute("style", `font: ${l.font}; fill: ${l.color}`);
    t.textContent = l.text;
    svg.append(t);
  }
  return svg;
}

function download(doc: Document, blob: Blob, name: string): void {
  const win = doc.defaultView;
  if (!win) return;
  const url = win.URL.createObjectURL(blob);
  const a = h(doc, "a", { href: url, download: name });
  a.hidden = true;
  doc.body.append(a);
  a.click();
  a.remove();
  win.setTimeout(() => win.URL.revokeObjectURL(url), 1000);
}

/** The two buttons; ``area`` is what gets saved (the views), ``name`` the file name stem. */
export function mountImageButtons(el: HTMLElement, area: HTMLElement, name: () => string): () => void {
  const doc = el.ownerDocument;
  const wrap = h(doc, "span", { class: "al-save", role: "group", "aria-label": "save the views as an image" });
  const png = h(doc, "button", { type: "button", class: "al-btn al-btn-small", "data-control": "save-png" }, "Save PNG");
  const svg = h(doc, "button", { type: "button", class: "al-btn al-btn-small", "data-control": "save-svg" }, "Save SVG");
  png.title = "download the views as they are now, as a PNG image";
  svg.title = "download the views as an SVG image (labels stay text)";
  wrap.append(png, svg);
  el.append(wrap);
  const offs = [
    listen(png, "click", () => {
      toPngCanvas(doc, collect(area)).toBlob((blob) => blob && download(doc, blob, `${name()}.png`), "image/png");
    }),
    listen(svg, "click", () => {
      const text = new XMLSerializer().serializeToString(toSvg(doc, collect(area)));
      download(doc, new Blob([text], { type: "image/svg+xml" }), `${name()}.svg`);
    }),
  ];
  return () => {
    for (const off of offs) off();
    wrap.remove();
  };
}
