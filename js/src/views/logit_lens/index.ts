/**
 * Logit lens: a layers × positions grid; each cell shows the top-1 token after that layer at that
 * position as text, its probability as colour. Hover: the top-k list. Click: layer and token.
 * The positions axis is virtualised (only the columns on screen are drawn and have header labels).
 */
import { colorLut, sequentialColor, textOn } from "../../colors";
import { h, listen } from "../../dom";
import { requestKey } from "../../replies";
import type { Store } from "../../store";
import { watchTheme } from "../../theme";
import { formatToken, quoteToken } from "../../tokens";
import type { ViewHandle } from "../../types";
import { activeToken, frameScheduler, pendingText, replySignature, sizeCanvas, themeReader, whenChanged, type ViewData, viewHandle } from "../common/index";
import { scrollToShow, visibleWindow } from "../common/geometry";
import { CELL_H, CELL_W, HEADER_H, LABEL_W, lensCellAt, readLens, topK, type LensTable } from "./layout";

const shortText = (raw: string, n: number) =>
  formatToken(raw, n)
    .segments.map((s) => s.text)
    .join("");

export function mount(el: HTMLElement, store: Store, data: ViewData): ViewHandle {
  const doc = el.ownerDocument;
  const win = doc.defaultView;
  const { replies, meta } = data;
  const stack = data.logitsStack;
  const positions = data.logitsTokens;
  const key = requestKey("logit_lens", stack);
  const cleanups: (() => void)[] = [];

  const section = h(doc, "div", { class: "al-lens" });
  const hint = h(doc, "p", { class: "al-hint" }, "Top prediction after each layer (colour: its probability). Hover for the top 5; click to select that layer and token.");
  const status = h(doc, "div", { class: "al-status", role: "status", "aria-live": "polite" });
  const scroll = h(doc, "div", { class: "al-lens-scroll" });
  const stage = h(doc, "div", { class: "al-lens-stage" });
  const canvas = h(doc, "canvas", { class: "al-lens-canvas", role: "img", "aria-label": "logit lens: layers by positions, top-1 token and probability" });
  const header = h(doc, "div", { class: "al-lens-header", role: "group", "aria-label": "positions" });
  const tip = h(doc, "div", { class: "al-tip", role: "tooltip" });
  tip.hidden = true;
  stage.append(canvas, header);
  scroll.append(stage);
  const readout = h(doc, "div", { class: "al-readout", "aria-live": "polite" });
  section.append(hint, status, scroll, readout, tip);
  el.append(section);

  let table: LensTable | null = null;
  let hover: { layer: number; position: number } | null = null;
  const shown = new Map<number, HTMLButtonElement>();
  let lut: { bg: string; lut: Uint8ClampedArray } | null = null;

  const layersOf = () => table?.layers ?? meta.stacks.find((s) => s.name === stack)?.n_layers ?? meta.n_layers;
  const nPos = () => table?.positions ?? positions.length;
  // Width and scroll offset are read on resize / scroll, not on every draw (a read after other views
  // wrote to the DOM forces a layout); live without a ResizeObserver.
  const observed = Boolean(win && typeof win.ResizeObserver === "function");
  const box = { width: 0, left: 0, valid: false };
  const sized = () => {
    if (!box.valid) {
      box.width = scroll.clientWidth;
      box.left = scroll.scrollLeft;
      box.valid = observed;
    }
    return box;
  };
  const viewportW = () => sized().width || 640;
  const colWindow = () => visibleWindow(Math.max(0, sized().left - LABEL_W), viewportW(), CELL_W, nPos(), 2, 640);

  const layoutStage = () => {
    stage.style.width = `${LABEL_W + nPos() * CELL_W}px`;
    stage.style.height = `${HEADER_H + layersOf() * CELL_H}px`;
  };

  const renderHeader = () => {
    const w = colWindow();
    for (const [p, b] of shown) {
      if ((p < w.start || p >= w.end) && doc.activeElement !== b) {
        b.remove();
        shown.delete(p);
      }
    }
    for (let p = w.start; p < w.end; p++) {
      if (shown.has(p)) continue;
      const raw = positions[p] ?? "";
      const disp = formatToken(raw, 9);
      const b = h(doc, "button", {
        type: "button",
        class: "al-lens-pos",
        "data-position": String(p),
        "aria-label": `${disp.spoken} (position ${p}): select this token`,
        title: `${disp.title} (position ${p})`,
      });
      b.textContent = disp.segments.map((s) => s.text).join("");
      b.style.left = `${LABEL_W + p * CELL_W}px`;
      shown.set(p, b);
      header.append(b);
    }
    const tok = store.get().token;
    for (const [p, b] of shown) b.classList.toggle("al-locked", p === tok);
  };

  const draw = () => {
    const s = store.get();
    table = readLens(replies.get(key));
    layoutStage();
    renderHeader();
    const st = replies.state(key);
    if (!meta.has_logit_lens && !table) {
      status.textContent = "This model has no unembedding (no language-model head), so there is no logit lens.";
      status.setAttribute("data-state", "empty");
    } else if (!table) {
      status.textContent = pendingText(st, "the logit lens");
      status.setAttribute("data-state", st.state);
    } else {
      status.textContent = "";
      status.setAttribute("data-state", "ready");
    }
    const theme = themes.get();
    const vw = Math.min(viewportW(), LABEL_W + nPos() * CELL_W);
    const H = HEADER_H + layersOf() * CELL_H;
    const left = Math.max(0, Math.min(sized().left, LABEL_W + nPos() * CELL_W - vw));
    canvas.style.left = `${left}px`;
    const ctx = sizeCanvas(canvas, vw, H);
    if (!ctx) return;
    if (!lut || lut.bg !== theme.bg) lut = { bg: theme.bg, lut: colorLut((t) => sequentialColor(t, theme.bgRgb)) };
    const L = layersOf();
    const w = colWindow();
    ctx.font = "11px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";
    ctx.textBaseline = "middle";
    ctx.textAlign = "center";
    if (table) {
      for (let l = 0; l < L; l++) {
        for (let p = w.start; p < w.end; p++) {
          const x = LABEL_W + p * CELL_W - left;
          const y = HEADER_H + l * CELL_H;
          const base = (l * table.positions + p) * table.k;
          const prob = table.probs[base]! * table.probScale;
          const t = Math.max(0, Math.min(255, Math.round(prob * 255)));
          const rgb: [number, number, number] = [lut.lut[t * 3]!, lut.lut[t * 3 + 1]!, lut.lut[t * 3 + 2]!];
          ctx.fillStyle = `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
          ctx.fillRect(x, y, CELL_W - 1, CELL_H - 1);
          ctx.fillStyle = textOn(rgb);
          ctx.fillText(shortText(table.vocab[table.indices[base]!] ?? "?", 8), x + CELL_W / 2, y + CELL_H / 2, CELL_W - 4);
        }
      }
    }
    // Selection: the layer's row and the token's column; the hovered cell.
    ctx.lineWidth = 2;
    ctx.strokeStyle = theme.accent;
    if (s.layer < L) ctx.strokeRect(1, HEADER_H + s.layer * CELL_H + 1, vw - 2, CELL_H - 2);
    const tok = activeToken(s, nPos(), null);
    if (tok !== null) ctx.strokeRect(LABEL_W + tok * CELL_W - left + 1, HEADER_H + 1, CELL_W - 2, L * CELL_H - 2);
    if (hover) {
      ctx.strokeStyle = theme.fg;
      ctx.lineWidth = 1.5;
      ctx.strokeRect(LABEL_W + hover.position * CELL_W - left, HEADER_H + hover.layer * CELL_H, CELL_W - 1, CELL_H - 1);
    }
    // Layer labels stay at the left edge.
    ctx.fillStyle = theme.bg;
    ctx.fillRect(0, 0, LABEL_W, H);
    ctx.fillStyle = theme.muted;
    ctx.textAlign = "right";
    ctx.font = "10px system-ui, sans-serif";
    for (let l = 0; l < L; l++) {
      ctx.fillStyle = l === s.layer ? theme.fg : theme.muted;
      ctx.fillText(`L${l}`, LABEL_W - 6, HEADER_H + l * CELL_H + CELL_H / 2);
    }
    readout.textContent = table
      ? `layer ${s.layer}${tok !== null ? `, position ${tok}: ${topK(table, s.layer, tok)
          .slice(0, 3)
          .map((x) => `${quoteToken(x.token)} ${x.prob.toFixed(2)}`)
          .join(", ")}` : ""}`
      : "";
    if (table) data.drawn("logit_lens", s.layer);
  };
  const themes = themeReader(section);
  const sched = frameScheduler(win, draw);

  const showTip = (e: MouseEvent) => {
    const r = stage.getBoundingClientRect();
    const c = lensCellAt(e.clientX - r.left, e.clientY - r.top, layersOf(), nPos());
    if (c?.layer !== hover?.layer || c?.position !== hover?.position) {
      hover = c;
      sched.schedule();
    }
    if (!c || !table) {
      tip.hidden = true;
      return;
    }
    tip.replaceChildren();
    tip.append(h(doc, "div", { class: "al-tip-title" }, `layer ${c.layer}, after ${quoteToken(positions[c.position] ?? "")} (${c.position})`));
    for (const x of topK(table, c.layer, c.position)) {
      const row = h(doc, "div", { class: "al-tip-row" });
      row.append(h(doc, "span", { class: "al-tip-tok" }, shortText(x.token, 16)), h(doc, "span", { class: "al-tip-p" }, x.prob.toFixed(3)));
      tip.append(row);
    }
    tip.hidden = false;
    const sr = section.getBoundingClientRect();
    tip.style.left = `${Math.min(e.clientX - sr.left + 12, Math.max(0, sr.width - 200))}px`;
    tip.style.top = `${e.clientY - sr.top + 14}px`;
  };

  cleanups.push(
    listen<MouseEvent>(canvas, "mousemove", showTip),
    listen<MouseEvent>(canvas, "mouseleave", () => {
      hover = null;
      tip.hidden = true;
      sched.schedule();
    }),
    listen<MouseEvent>(canvas, "click", (e) => {
      const r = stage.getBoundingClientRect();
      const c = lensCellAt(e.clientX - r.left, e.clientY - r.top, layersOf(), nPos());
      if (c) store.set({ layer: Math.min(c.layer, data.stack.n_layers - 1), token: c.position });
    }),
    listen<MouseEvent>(header, "click", (e) => {
      const b = e.target instanceof Element ? e.target.closest("[data-position]") : null;
      if (!b) return;
      const p = Number(b.getAttribute("data-position"));
      store.set({ token: store.get().token === p ? null : p });
    }),
    listen(scroll, "scroll", () => {
      box.left = scroll.scrollLeft;
      renderHeader();
      sched.schedule();
    }, { passive: true }),
    store.subscribe((s, prev) => {
      if (s.token !== prev.token && s.token !== null) {
        const b = sized();
        const next = scrollToShow(Math.max(0, b.left - LABEL_W), viewportW() - LABEL_W, CELL_W, s.token);
        if (next + LABEL_W !== b.left && b.width > 0 && next !== Math.max(0, b.left - LABEL_W)) {
          scroll.scrollLeft = next;
          box.left = scroll.scrollLeft;
        }
        renderHeader();
      }
      if (s.layer !== prev.layer || s.token !== prev.token) sched.soon();
      else if (s.hover !== prev.hover) sched.schedule();
    }),
    replies.subscribe(whenChanged(() => replySignature(replies.get(key), replies.state(key)), () => sched.schedule())),
    watchTheme(doc, () => {
      themes.reset();
      sched.schedule();
    }),
  );
  if (win && typeof win.ResizeObserver === "function") {
    const ro = new win.ResizeObserver(() => {
      box.valid = false;
      renderHeader();
      sched.schedule();
    });
    ro.observe(scroll);
    cleanups.push(() => ro.disconnect());
  }
  if (meta.has_logit_lens || replies.has(key)) replies.request({ what: "logit_lens", stack });
  draw();
  return viewHandle(section, sched, cleanups);
}
