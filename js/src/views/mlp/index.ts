/**
 * MLP neurons: for the selected token (hovered, else locked, else the last) and layer, the neurons that
 * fire most (reply "mlp_top"). Clicking one sets the `neuron` trait and colours every token by that
 * neuron's activation (reply "neuron").
 */
import { divergingColor, textOn } from "../../colors";
import { h, listen } from "../../dom";
import { requestKey } from "../../replies";
import type { Store } from "../../store";
import { watchTheme } from "../../theme";
import { formatToken, quoteToken } from "../../tokens";
import type { ViewHandle } from "../../types";
import { togglePart } from "../ablation/spec";
import { activeToken, frameScheduler, pendingText, themeReader, type ViewData, viewHandle } from "../common/index";
import { activationRange, CHIP_H, CHIP_W, chipGrid, chipWindow, topNeurons } from "./layout";

export function mount(el: HTMLElement, store: Store, data: ViewData): ViewHandle {
  const doc = el.ownerDocument;
  const win = doc.defaultView;
  const { stack, replies } = data;
  const tokens = data.queryTokens;
  const cleanups: (() => void)[] = [];

  const section = h(doc, "div", { class: "al-mlp" });
  const hint = h(doc, "p", { class: "al-hint" });
  const status = h(doc, "div", { class: "al-status", role: "status", "aria-live": "polite" });
  const list = h(doc, "div", { class: "al-mlp-list", role: "group", "aria-label": "top neurons" });
  const nStatus = h(doc, "div", { class: "al-status", role: "status", "aria-live": "polite" });
  const strip = h(doc, "div", { class: "al-mlp-tokens", role: "group", "aria-label": "tokens coloured by the selected neuron" });
  section.append(hint, status, list, nStatus, strip);
  el.append(section);

  // Token strip, virtualised: fixed chip cells, only the rows in view exist (4,096 tokens → ~100 chips).
  const stripStage = h(doc, "div", { class: "al-mlp-stage" });
  strip.append(stripStage);
  const chips = new Map<number, HTMLButtonElement>();
  let colour: ((c: HTMLButtonElement, i: number) => void) | null = null;
  const renderStrip = () => {
    const s = store.get();
    if (s.neuron === null) {
      for (const c of chips.values()) c.remove();
      chips.clear();
      stripStage.style.height = "0px";
      return;
    }
    const g = chipGrid(strip.clientWidth, tokens.length);
    stripStage.style.height = `${g.rows * CHIP_H}px`;
    const w = chipWindow(strip.scrollTop, strip.clientHeight, g, tokens.length);
    for (const [i, c] of chips)
      if ((i < w.start || i >= w.end) && doc.activeElement !== c) {
        c.remove();
        chips.delete(i);
      }
    for (let i = w.start; i < w.end; i++) {
      let c = chips.get(i);
      if (!c) {
        const disp = formatToken(tokens[i] ?? "", 9);
        c = h(doc, "button", { type: "button", class: "al-chip", "data-position": String(i), title: `${disp.title} (token ${i})` });
        c.textContent = disp.segments.map((x) => x.text).join("");
        chips.set(i, c);
        stripStage.append(c);
      }
      c.style.left = `${(i % g.perRow) * CHIP_W}px`;
      c.style.top = `${Math.floor(i / g.perRow) * CHIP_H}px`;
      c.classList.toggle("al-locked", s.token === i);
      if (colour) colour(c, i);
      else {
        c.style.removeProperty("background");
        c.style.removeProperty("color");
      }
    }
  };

  const draw = () => {
    const s = store.get();
    const theme = themes.get();
    const t = activeToken(s, tokens.length) ?? 0;
    hint.textContent = `Neurons of layer ${s.layer} that fire most on ${quoteToken(tokens[t] ?? "")} (token ${t}${
      s.hover !== null ? ", hovered" : s.token !== null ? ", locked" : ", the last"
    }). Click one to colour every token by it.`;
    if (!stack.has_mlp) {
      status.textContent = "MLP activations were not captured for this model or stack.";
      status.setAttribute("data-state", "empty");
      list.replaceChildren();
      return;
    }
    const topKey = requestKey("mlp_top", stack.name, s.layer);
    const reply = replies.get(topKey);
    list.replaceChildren();
    if (!reply) {
      status.textContent = pendingText(replies.state(topKey), `top neurons of layer ${s.layer}`);
      status.setAttribute("data-state", replies.state(topKey).state);
    } else {
      status.textContent = "";
      status.setAttribute("data-state", "ready");
      const top = topNeurons(reply, t);
      const max = activationRange(top.map((x) => x.value));
      for (const x of top) {
        const on = s.neuron === x.neuron;
        const b = h(doc, "button", {
          type: "button",
          class: "al-neuron-btn",
          "data-control": "neuron",
          "data-neuron": String(x.neuron),
          "aria-pressed": on ? "true" : "false",
          "aria-label": `neuron ${x.neuron}, activation ${x.value.toFixed(2)}${on ? ", selected" : ""}`,
        });
        const barEl = h(doc, "span", { class: "al-bar", "aria-hidden": "true" });
        barEl.style.width = `${Math.max(2, (Math.abs(x.value) / max) * 100)}%`;
        b.append(h(doc, "span", { class: "al-neuron-id" }, `#${x.neuron}`), barEl, h(doc, "span", { class: "al-neuron-val" }, x.value.toFixed(2)));
        const marked = s.ablate.includes(`neuron:${s.layer}:${x.neuron}`);
        const cut = h(doc, "button", {
          type: "button",
          class: "al-cut-btn",
          "data-ablate-neuron": String(x.neuron),
          "aria-pressed": marked ? "true" : "false",
          "aria-label": `${marked ? "unmark" : "mark"} neuron ${x.neuron} of layer ${s.layer} for ablation`,
          title: `${marked ? "unmark" : "mark"} neuron ${x.neuron} for ablation`,
        }, "✂");
        const row = h(doc, "div", { class: "al-neuron-row" });
        row.append(b, cut);
        list.append(row);
      }
    }
    // The selected neuron over all tokens.
    colour = null;
    if (s.neuron === null) {
      nStatus.textContent = "No neuron selected.";
      nStatus.setAttribute("data-state", "empty");
      renderStrip();
      if (reply) data.drawn("mlp", s.layer); // the top neurons are the whole view until one is chosen
      return;
    }
    const nKey = requestKey("neuron", stack.name, s.layer, s.neuron);
    const nr = replies.get(nKey)?.arrays.activations;
    if (!nr) {
      nStatus.textContent = pendingText(replies.state(nKey), `neuron ${s.neuron} of layer ${s.layer}`);
      nStatus.setAttribute("data-state", replies.state(nKey).state);
      renderStrip();
      return;
    }
    const range = activationRange(nr.values);
    nStatus.textContent = `Neuron ${s.neuron} of layer ${s.layer}: orange = positive, blue = negative (max |activation| ${range.toFixed(2)}).`;
    nStatus.setAttribute("data-state", "ready");
    colour = (c, i) => {
      const v = (nr.values[i] ?? 0) * nr.scale;
      const rgb = divergingColor(v / range, theme.bgRgb);
      c.style.background = `rgb(${rgb[0] | 0},${rgb[1] | 0},${rgb[2] | 0})`;
      c.style.color = textOn(rgb);
      c.setAttribute("aria-label", `${formatToken(tokens[i] ?? "").spoken} (token ${i}): activation ${v.toFixed(2)}`);
    };
    renderStrip();
    data.drawn("mlp", s.layer);
  };
  const themes = themeReader(section);
  const sched = frameScheduler(win, draw);

  const request = () => {
    const s = store.get();
    if (!stack.has_mlp) return;
    replies.request({ what: "mlp_top", stack: stack.name, layer: s.layer });
    if (s.neuron !== null) replies.request({ what: "neuron", stack: stack.name, layer: s.layer, neuron: s.neuron });
  };
  cleanups.push(
    listen<MouseEvent>(list, "click", (e) => {
      const cut = e.target instanceof Element ? e.target.closest("[data-ablate-neuron]") : null;
      if (cut) {
        const s = store.get();
        const index = Number(cut.getAttribute("data-ablate-neuron"));
        store.set({ ablate: togglePart(s.ablate, { kind: "neuron", layer: s.layer, index }) });
        return;
      }
      const b = e.target instanceof Element ? e.target.closest("[data-neuron]") : null;
      if (!b) return;
      const n = Number(b.getAttribute("data-neuron"));
      store.set({ neuron: store.get().neuron === n ? null : n });
    }),
    listen<MouseEvent>(strip, "click", (e) => {
      const b = e.target instanceof Element ? e.target.closest("[data-position]") : null;
      if (!b) return;
      const i = Number(b.getAttribute("data-position"));
      store.set({ token: store.get().token === i ? null : i });
    }),
    store.subscribe((s, p) => {
      if (s.layer !== p.layer || s.neuron !== p.neuron) request();
      if (s.layer !== p.layer || s.neuron !== p.neuron || s.token !== p.token || s.ablate !== p.ablate) sched.soon();
      else if (s.hover !== p.hover) sched.schedule();
    }),
    listen(strip, "scroll", () => renderStrip(), { passive: true }),
    replies.subscribe(() => sched.schedule()),
    watchTheme(doc, () => {
      themes.reset();
      sched.schedule();
    }),
  );
  if (win && typeof win.ResizeObserver === "function") {
    const ro = new win.ResizeObserver(() => renderStrip());
    ro.observe(strip);
    cleanups.push(() => ro.disconnect());
  }
  request();
  draw();
  return viewHandle(section, sched, cleanups);
}
