/**
 * Theme: the CSS (widget.css) defines `--al-*` variables that fall back JupyterLab → VS Code →
 * prefers-color-scheme. Canvases read the computed values at draw time (readTheme) and redraw when the
 * host theme changes (watchTheme). Nothing here is shared between widget instances.
 */
import { parseColor, luminance, type RGB } from "./colors";

export interface Theme {
  fg: string;
  bg: string;
  muted: string;
  border: string;
  accent: string;
  bgRgb: RGB;
  dark: boolean;
}

/** Normalise any CSS colour (named colours included) to RGB by letting a canvas parse it. */
function resolveColor(text: string, fallback: RGB, doc: Document): RGB {
  const direct = parseColor(text);
  if (direct) return direct;
  if (!text.trim()) return fallback;
  try {
    const ctx = doc.createElement("canvas").getContext("2d");
    if (!ctx) return fallback;
    ctx.fillStyle = "#010203";
    ctx.fillStyle = text;
    return parseColor(String(ctx.fillStyle)) ?? fallback;
  } catch {
    return fallback;
  }
}

export function readTheme(el: Element): Theme {
  const doc = el.ownerDocument;
  const cs = doc.defaultView ? doc.defaultView.getComputedStyle(el) : null;
  const v = (name: string, fallback: string) => {
    const value = cs ? cs.getPropertyValue(name).trim() : "";
    return value || fallback;
  };
  const bg = v("--al-bg", "#ffffff");
  const bgRgb = resolveColor(bg, [255, 255, 255], doc);
  const dark = luminance(bgRgb) < 0.35;
  return {
    fg: v("--al-fg", dark ? "#e6e6e6" : "#1f2328"),
    bg,
    muted: v("--al-muted", dark ? "#a0a0a0" : "#5f6368"),
    border: v("--al-border", dark ? "#555555" : "#c8c8c8"),
    accent: v("--al-accent", dark ? "#4ea1f3" : "#1565c0"),
    bgRgb,
    dark,
  };
}

/**
 * Call `onChange` when the page theme may have changed: JupyterLab/VS Code theme attributes on <body>
 * or <html>, or the OS colour scheme. Returns the cleanup function.
 */
export function watchTheme(doc: Document, onChange: () => void): () => void {
  const cleanups: (() => void)[] = [];
  const win = doc.defaultView;
  if (win && typeof win.MutationObserver === "function") {
    const observer = new win.MutationObserver(() => onChange());
    const opts: MutationObserverInit = {
      attributes: true,
      attributeFilter: ["class", "style", "data-jp-theme-light", "data-jp-theme-name", "data-vscode-theme-kind"],
    };
    if (doc.body) observer.observe(doc.body, opts);
    observer.observe(doc.documentElement, opts);
    cleanups.push(() => observer.disconnect());
  }
  if (win && typeof win.matchMedia === "function") {
    const mq = win.matchMedia("(prefers-color-scheme: dark)");
    const handler = () => onChange();
    if (typeof mq.addEventListener === "function") {
      mq.addEventListener("change", handler);
      cleanups.push(() => mq.removeEventListener("change", handler));
    }
  }
  return () => {
    for (const fn of cleanups.splice(0)) fn();
  };
}
