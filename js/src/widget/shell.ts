/** The widget's frame: header (title, view picker, image buttons, stack select), controls, message, views. */
import { mountStackSelect, mountViewPicker } from "../controls";
import { h } from "../dom";
import { mountImageButtons } from "../snapshot";
import type { Store } from "../store";
import type { Meta } from "../types";
import { VIEW_NAMES, VIEW_TITLES } from "../contract";

/** Below this width (px) the views stack in one column. */
export const NARROW_WIDTH = 700;

export interface Shell {
  controls: HTMLElement;
  message: HTMLElement;
  body: HTMLElement;
  cleanups: (() => void)[];
}

export function buildShell(root: HTMLElement, store: Store, meta: Meta): Shell {
  const doc = root.ownerDocument;
  const header = h(doc, "div", { class: "al-header" });
  header.append(h(doc, "div", { class: "al-title" }, meta.model_name ? `attnlens · ${meta.model_name}` : "attnlens"));
  const picker = h(doc, "div", { class: "al-picker-wrap" });
  header.append(picker);
  const controls = h(doc, "div", { class: "al-controls" });
  const message = h(doc, "div", { class: "al-message", role: "alert" });
  message.hidden = true;
  const body = h(doc, "div", { class: "al-views" });
  root.append(header, controls, message, body);
  const cleanups = [
    mountViewPicker(picker, store, VIEW_NAMES, VIEW_TITLES),
    mountImageButtons(header, body, () => {
      const s = store.get();
      return `attnlens-${s.view.replace(/,/g, "+")}-layer${s.layer}`;
    }),
  ];
  if (meta.stacks.length > 1) cleanups.push(mountStackSelect(header, store, meta.stacks));
  return { controls, message, body, cleanups };
}

/** Views side by side (two columns at most), or one column below NARROW_WIDTH. */
export function columns(width: number, views: number): { narrow: boolean; cols: number } {
  const narrow = width > 0 && width < NARROW_WIDTH;
  return { narrow, cols: narrow || views <= 1 ? 1 : Math.min(2, views) };
}

/** Apply `columns` to the root and the views' container. */
export function layOut(root: HTMLElement, body: HTMLElement): void {
  const c = columns(root.clientWidth, body.children.length);
  root.classList.toggle("al-narrow", c.narrow);
  body.style.setProperty("--al-cols", String(c.cols));
}
