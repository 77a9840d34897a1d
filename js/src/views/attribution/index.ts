/**
 * Attribution view: how much each input token pushed the prediction after the explained position
 * towards its target (orange) or away from it (blue). Choosing a method or a target asks the kernel
 * (reply "attribution", float32 [tokens]); replies are cached per (method, position, target,
 * contrast), so going back is instant. Clicking a token explains the prediction there.
 */
import { divergingColor, textOn } from "../../colors";
import { h, listen } from "../../dom";
import { keyOf } from "../../replies";
import type { Store } from "../../store";
import { readTheme, watchTheme } from "../../theme";
import { formatToken, quoteToken } from "../../tokens";
import type { ViewHandle } from "../../types";
import { frameScheduler, pendingText, type ViewData, viewHandle } from "../common/index";
import { mountMatrix } from "./matrix";
import { ATTENTION_METHODS, METHOD_TITLES, attributionRequest, describeValue, elapsed, explainedPosition, symmetricRange } from "./layout";

export function mount(el: HTMLElement, store: Store, data: ViewData): ViewHandle {
  const doc = el.ownerDocument;
  const win = doc.defaultView;
  const { meta, replies } = data;
  const tokens = meta.tokens;
  const positions = data.logitsTokens.length;
  const methods = meta.methods.length ? meta.methods : Object.keys(METHOD_TITLES);
  const cleanups: (() => void)[] = [];
  let target = "";
  let contrast = "";

  const section = h(doc, "div", { class: "al-attribution" });
  const form = h(doc, "div", { class: "al-attr-form" });
  const methodSel = h(doc, "select", { class: "al-select", "aria-label": "attribution method", "data-control": "method" });
  for (const m of methods) methodSel.append(h(doc, "option", { value: m }, METHOD_TITLES[m] ?? m));
  const targetIn = h(doc, "input", { type: "text", class: "al-input", "aria-label": "target token (empty: the model's own prediction)", placeholder: "model's prediction", "data-control": "target-token", maxlength: "200", spellcheck: "false" });
  const contrastIn = h(doc, "input", { type: "text", class: "al-input", "aria-label": "contrast token: why the target rather than this one (optional)", placeholder: "(none)", "data-control": "contrast-token", maxlength: "200", spellcheck: "false" });
  const label = (text: string, control: HTMLElement) => {
    const l = h(doc, "label", { class: "al-field" }, text);
    l.append(control);
    return l;
  };
  form.append(label("Method ", methodSel), label("Target ", targetIn), label("rather than ", contrastIn));
  const explain = h(doc, "p", { class: "al-hint", "data-role": "explained" });
  const status = h(doc, "div", { class: "al-status", role: "status", "aria-live": "polite" });
  const strip = h(doc, "div", { class: "al-attr-tokens", role: "group", "aria-label": "input tokens coloured by attribution" });
  const readout = h(doc, "div", { class: "al-readout", "aria-live": "polite" });
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

  let hoverChip: number | null = null;
  let ticker: ReturnType<typeof setInterval> | null = null;
  const stopTicker = () => {
    if (ticker !== null) clearInterval(ticker);
    ticker = null;
  };
  cleanups.push(stopTicker);

  const currentRequest = () => {
    const s = store.get();
    const pos = explainedPosition(s, positions);
    return attributionRequest(data.logitsStack, s.method, pos, target, contrast);
  };

  const draw = () => {
    const s = store.get();
    const theme = readTheme(section);
    if (methodSel.value !== s.method) methodSel.value = s.method;
    const req = currentRequest();
    const pos = Number(req.params?.position);
    const key = keyOf(req);
    const after = data.logitsTokens[pos] ?? "";
    const whose = s.token !== null ? "the locked token" : s.target !== null ? "the target position" : "the last token";
    const reply = replies.get(key);
    const d = reply?.data ?? {};
    const tgt = typeof d.target_token === "string" ? ` → ${quoteToken(d.target_token)}${typeof d.target_prob === "number" ? ` (p = ${d.target_prob.toFixed(3)})` : ""}` : target ? ` → ${quoteToken(target)}` : "";
    const rather = typeof d.contrast_token === "string" ? ` rather than ${quoteToken(d.contrast_token)}` : contrast ? ` rather than ${quoteToken(contrast)}` : "";
    explain.textContent = `Explaining the prediction after ${quoteToken(after)} (position ${pos}, ${whose})${tgt}${rather}.`;
    section.setAttribute("data-position", String(pos));
    section.setAttribute("data-method", s.method);
    const values = reply?.arrays.values;
    chips.forEach((c, i) => c.classList.toggle("al-locked", i === pos));
    if (!values) {
      const st = replies.state(key);
      const title = METHOD_TITLES[s.method] ?? s.method;
      if (st.state === "loading" && "since" in st && st.since !== undefined) {
        status.textContent = `computing ${title.toLowerCase()}… ${elapsed(st.since, Date.now())}`;
        if (ticker === null && win) ticker = setInterval(() => sched.schedule(), 1000);
      } else {
        stopTicker();
        status.textContent = !meta.can_rerun && !ATTENTION_METHODS.includes(s.method) && st.state !== "loading"
          ? `${title} needs the model, which this page does not have; attention rollout and flow work from the attention alone.`
          : pendingText(st, `${title} attribution`);
      }
      status.setAttribute("data-state", st.state);
      section.setAttribute("data-state", st.state);
      readout.textContent = "";
      for (const c of chips) {
        c.style.removeProperty("background");
        c.style.removeProperty("color");
      }
      return;
    }
    stopTicker();
    status.textContent = "";
    status.setAttribute("data-state", "ready");
    section.setAttribute("data-state", "ready");
    const range = symmetricRange(values.values, values.scale);
    const total = typeof d.total === "number" ? d.total : 0;
    chips.forEach((c, i) => {
      const v = (values.values[i] ?? 0) * values.scale;
      const rgb = divergingColor(v / range, theme.bgRgb);
      c.style.background = `rgb(${rgb[0] | 0},${rgb[1] | 0},${rgb[2] | 0})`;
      c.style.color = textOn(rgb);
      const disp = formatToken(tokens[i] ?? "");
      c.title = `${disp.title} (token ${i}): ${describeValue(v, total)}`;
      c.setAttribute("aria-label", `${disp.spoken} (token ${i}): ${describeValue(v, total)}`);
      c.setAttribute("data-value", String(v));
    });
    if (hoverChip !== null && hoverChip < tokens.length) {
      const v = (values.values[hoverChip] ?? 0) * values.scale;
      readout.textContent = `${quoteToken(tokens[hoverChip])} (token ${hoverChip}): ${describeValue(v, total)}`;
    } else {
      readout.textContent = `sum of attributions ${describeValue(total, 0)}; largest |value| ${range.toFixed(3)}`;
    }
    data.drawn("attribution", s.layer);
  };
  const sched = frameScheduler(win, () => {
    draw();
    matrix.draw();
  });
  const matrix = mountMatrix(matrixBox, store, data, () => sched.schedule());
  cleanups.push(() => matrix.destroy());

  const request = () => replies.request(currentRequest());
  const readText = () => {
    target = targetIn.value;
    contrast = contrastIn.value;
    request();
    sched.schedule();
  };
  cleanups.push(
    listen(methodSel, "change", () => store.set({ method: methodSel.value })),
    listen<KeyboardEvent>(targetIn, "keydown", (e) => {
      if (e.key === "Enter") readText();
    }),
    listen<KeyboardEvent>(contrastIn, "keydown", (e) => {
      if (e.key === "Enter") readText();
    }),
    listen(targetIn, "change", readText),
    listen(contrastIn, "change", readText),
    listen<MouseEvent>(strip, "click", (e) => {
      const b = e.target instanceof Element ? e.target.closest("[data-position]") : null;
      if (!b) return;
      const i = Number(b.getAttribute("data-position"));
      store.set({ token: store.get().token === i ? null : i });
    }),
    listen<MouseEvent>(strip, "mouseover", (e) => {
      const b = e.target instanceof Element ? e.target.closest("[data-position]") : null;
      hoverChip = b ? Number(b.getAttribute("data-position")) : null;
      sched.schedule();
    }),
    listen<MouseEvent>(strip, "mouseleave", () => {
      hoverChip = null;
      sched.schedule();
    }),
    store.subscribe((s, p) => {
      if (s.method !== p.method || s.token !== p.token || s.target !== p.target) {
        request();
        sched.schedule();
      } else if (s.layer !== p.layer) sched.schedule(); // nothing to redraw, but report it drawn
    }),
    replies.subscribe(() => sched.schedule()),
    watchTheme(doc, () => sched.schedule()),
  );
  request();
  draw();
  sched.schedule(); // again once the panel is in the page: colours need its computed theme
  return viewHandle(section, sched, cleanups);
}
