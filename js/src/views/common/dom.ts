/** DOM pieces every view uses: a live status line, a readout line. */
import { h } from "../../dom";

/** A status line (role status, announced politely); `data-state` says loading / ready / error / empty. */
export const statusLine = (doc: Document): HTMLElement => h(doc, "div", { class: "al-status", role: "status", "aria-live": "polite" });

/** A readout line under a view (announced politely). */
export const readoutLine = (doc: Document): HTMLElement => h(doc, "div", { class: "al-readout", "aria-live": "polite" });

/** Show `text` on a status line with its state. */
export function setStatusLine(status: HTMLElement, text: string, state: string): void {
  status.textContent = text;
  status.setAttribute("data-state", state);
}
