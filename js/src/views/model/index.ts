/**
 * Model view: every layer × head of the stack as a small attention thumbnail (reply "thumbnails",
 * uint8 [layers, heads, t, t], each head scaled to max 1), on one canvas. A grid of transparent
 * buttons over the canvas (`data-layer`, `data-head`) makes every cell hoverable, clickable and
 * keyboard reachable (one tab stop, arrows inside the grid). Click: layer and heads = [head].
 */
import { colorLut, headColor, sequentialColor } from "../../colors";
import { h, listen } from "../../dom";
import { requestKey } from "../../replies";
import type { Store } from "../../store";
import { watchTheme } from "../../theme";
import type { ViewHandle } from "../../types";
import { togglePart } from "../ablation/spec";
import { frameScheduler, pendingText, replySignature, sizeCanvas, themeReader, whenChanged, type ViewData, viewHandle } from "../common/index";
import { GAP, LABEL_H, LABEL_W, modelGrid, type ModelGrid } from "./layout";

export function mount(el: HTMLElement, store: Store, data: ViewData): ViewHandle {
  const doc = el.ownerDocument;
  const win = doc.defaultView;
  const { stack, replies } = data;
  const L = stack.n_layers;
  const H = stack.n_heads;
  const key = requestKey("thumbnails", stack.name);
  const cleanups: (() => void)[] = [];

  const section = h(doc, "div", { class: "al-model" });
  const hint = h(doc, "p", { class: "al-hint" }, "Each cell is one head's attention pattern (rows: queries, columns: keys). Click a cell to show that layer and head.");
  const status = h(doc, "div", { class: "al-status", role: "status", "aria-live": "polite" });
  const scroll = h(doc, "div", { class: "al-model-scroll" });
  const stage = h(doc, "div", { class: "al-model-stage" });
  const canvas = h(doc, "canvas", { class: "al-model-canvas", "aria-hidden": "true" });
  const overlay = h(doc, "div", { class: "al-model-cells", role: "grid", "aria-label": `layers 0–${L - 1} × heads 0–${H - 1}`, "data-arrow-keys": "true" });
  const readout = h(doc, "div", { class: "al-readout", "aria-live": "polite" });
  // Marking mode: clicks mark heads for the ablation view instead of selecting them.
  const markBtn = h(doc, "button", { type: "button", class: "al-btn", "data-control": "mark-heads", "aria-pressed": "false" }, "Mark for ablation");
  let marking = false;
  stage.append(canvas, overlay);
  scroll.append(stage);
  section.append(hint, markBtn, status, scroll, readout);
  el.append(section);

  // Overlay of buttons: one per cell (48 × 64 = 3,072 at most), one tab stop (roving tabindex).
  const cells: HTMLButtonElement[] = [];
  for (let l = 0; l < L; l++) {
    const row = h(doc, "div", { role: "row", class: "al-model-row" });
    for (let hd = 0; hd < H; hd++) {
      const b = h(doc, "button", {
        type: "button",
        class: "al-model-cell",
        role: "gridcell",
        "data-layer": String(l),
        "data-head": String(hd),
        "aria-label": `layer ${l}, head ${hd}`,
        tabindex: "-1",
      });
      cells.push(b);
      row.append(b);
    }
    overlay.append(row);
  }
  const cellOf = (l: number, hd: number) => cells[l * H + hd];

  let grid: ModelGrid = modelGrid(0, L, H);
  let hover: { layer: number; head: number } | null = null;
  let painted = ""; // what the canvas shows: size, theme, data
  let measured = false; // the grid fits the current width (reset on resize; reading it forces a layout)
  const themes = themeReader(section);

  const place = () => {
    if (measured) return;
    measured = Boolean(win && typeof win.ResizeObserver === "function");
    const w = scroll.clientWidth || el.clientWidth || 0;
    const g = modelGrid(w, L, H);
    const changed = g.pitch !== grid.pitch || !painted;
    grid = g;
    stage.style.width = `${g.width}px`;
    stage.style.height = `${g.height}px`;
    if (changed) {
      for (let l = 0; l < L; l++)
        for (let hd = 0; hd < H; hd++) {
          const b = cellOf(l, hd)!;
          b.style.left = `${LABEL_W + hd * g.pitch}px`;
          b.style.top = `${LABEL_H + l * g.pitch}px`;
          b.style.width = `${g.cell}px`;
          b.style.height = `${g.cell}px`;
        }
    }
  };

  const paint = () => {
    const theme = themes.get();
    const reply = replies.get(key);
    const sig = `${grid.pitch}|${theme.bg}|${reply ? "y" : "n"}`;
    if (sig === painted) return;
    painted = sig;
    const ctx = sizeCanvas(canvas, grid.width, grid.height);
    if (!ctx) return;
    // Labels, thinned out to stay legible.
    ctx.fillStyle = theme.muted;
    ctx.font = "10px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    ctx.textAlign = "right";
    for (let l = 0; l < L; l += grid.layerStep) ctx.fillText(`L${l}`, LABEL_W - 4, LABEL_H + l * grid.pitch + grid.cell / 2);
    ctx.textAlign = "center";
    for (let hd = 0; hd < H; hd += grid.headStep) ctx.fillText(`H${hd}`, LABEL_W + hd * grid.pitch + grid.cell / 2, LABEL_H / 2);
    // Separators: the grid's gaps (and a frame around it) in the border colour, cells on top.
    ctx.fillStyle = theme.border;
    ctx.fillRect(LABEL_W - GAP, LABEL_H - GAP, H * grid.pitch + GAP, L * grid.pitch + GAP);
    ctx.fillStyle = theme.bg;
    for (let l = 0; l < L; l++)
      for (let hd = 0; hd < H; hd++) ctx.fillRect(LABEL_W + hd * grid.pitch, LABEL_H + l * grid.pitch, grid.cell, grid.cell);
    const arr = reply?.arrays.thumbnails;
    if (!arr || arr.shape.length !== 4) return;
    const [al, ah, tq, tk] = arr.shape as [number, number, number, number];
    const scale = win?.devicePixelRatio ?? 1;
    const px = Math.max(1, Math.round(grid.cell * Math.min(scale, 2)));
    const img = ctx.createImageData(H * px, L * px);
    const lut = colorLut((t) => sequentialColor(t, theme.bgRgb));
    const v = arr.values;
    const k = arr.scale === 1 ? 255 : 1; // uint8 arrives as bytes (scale 1/255)
    for (let l = 0; l < Math.min(L, al); l++) {
      for (let hd = 0; hd < Math.min(H, ah); hd++) {
        const base = (l * ah + hd) * tq * tk;
        for (let y = 0; y < px; y++) {
          const sy = Math.min(tq - 1, Math.floor((y * tq) / px));
          for (let x = 0; x < px; x++) {
            const sx = Math.min(tk - 1, Math.floor((x * tk) / px));
            const t = Math.max(0, Math.min(255, Math.round(v[base + sy * tk + sx]! * k)));
            const o = (((l * px + y) * H * px) + hd * px + x) * 4;
            img.data[o] = lut[t * 3]!;
            img.data[o + 1] = lut[t * 3 + 1]!;
            img.data[o + 2] = lut[t * 3 + 2]!;
            img.data[o + 3] = 255;
          }
        }
      }
    }
    const off = doc.createElement("canvas");
    off.width = H * px;
    off.height = L * px;
    const octx = off.getContext("2d");
    if (!octx) return;
    octx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    for (let l = 0; l < L; l++)
      for (let hd = 0; hd < H; hd++)
        ctx.drawImage(off, hd * px, l * px, px, px, LABEL_W + hd * grid.pitch, LABEL_H + l * grid.pitch, grid.cell, grid.cell);
  };

  let lastMarked: HTMLButtonElement[] = [];
  const syncMarks = () => {
    for (const b of lastMarked) b.classList.remove("al-ablated");
    lastMarked = [];
    for (const name of store.get().ablate) {
      const m = /^head:(\d+):(\d+)$/.exec(name);
      const b = m ? cellOf(Number(m[1]), Number(m[2])) : undefined;
      if (!b) continue;
      b.classList.add("al-ablated");
      lastMarked.push(b);
    }
    markBtn.setAttribute("aria-pressed", marking ? "true" : "false");
    markBtn.textContent = marking ? `Marking heads (${lastMarked.length} marked): click cells; click here when done` : "Mark for ablation";
    overlay.classList.toggle("al-marking", marking);
  };

  let lastSel: HTMLButtonElement[] = [];
  const syncSelection = () => {
    syncMarks();
    const s = store.get();
    const bg = themes.get().bgRgb;
    for (const b of lastSel) {
      b.classList.remove("al-selected");
      b.style.removeProperty("--al-head-color");
      b.removeAttribute("aria-selected");
    }
    lastSel = [];
    for (const hd of s.heads) {
      const b = cellOf(s.layer, hd);
      if (!b) continue;
      b.classList.add("al-selected");
      b.style.setProperty("--al-head-color", headColor(hd, bg));
      b.setAttribute("aria-selected", "true");
      lastSel.push(b);
    }
    const first = cellOf(s.layer, s.heads[0] ?? 0);
    for (const b of cells) if (b.tabIndex === 0 && b !== first) b.tabIndex = -1;
    if (first) first.tabIndex = 0;
  };

  const draw = () => {
    const s = store.get();
    place();
    paint();
    syncSelection();
    const st = replies.state(key);
    if (st.state !== "ready") {
      status.textContent = pendingText(st, "the model view");
      status.setAttribute("data-state", st.state);
    } else {
      status.textContent = "";
      status.setAttribute("data-state", "ready");
      data.drawn("model", s.layer);
    }
    readout.textContent = hover
      ? `layer ${hover.layer}, head ${hover.head}${hover.layer === s.layer && s.heads.includes(hover.head) ? " (shown)" : ""}: click to ${marking ? "mark or unmark it for ablation" : "show it"}`
      : `selected: layer ${s.layer}, head${s.heads.length === 1 ? "" : "s"} ${s.heads.length > 8 ? `${s.heads.length} of ${H}` : s.heads.join(", ") || "none"}`;
  };
  const sched = frameScheduler(win, draw);

  const cellFrom = (t: EventTarget | null) => {
    const b = t instanceof Element ? t.closest("[data-layer][data-head]") : null;
    return b ? { layer: Number(b.getAttribute("data-layer")), head: Number(b.getAttribute("data-head")) } : null;
  };
  cleanups.push(
    listen<MouseEvent>(overlay, "click", (e) => {
      const c = cellFrom(e.target);
      if (!c) return;
      if (marking) store.set({ ablate: togglePart(store.get().ablate, { kind: "head", layer: c.layer, index: c.head }) });
      else store.set({ layer: c.layer, heads: [c.head] });
    }),
    listen(markBtn, "click", () => {
      marking = !marking;
      syncMarks();
      sched.schedule();
    }),
    listen<MouseEvent>(overlay, "mouseover", (e) => {
      hover = cellFrom(e.target);
      sched.schedule();
    }),
    listen<MouseEvent>(overlay, "mouseleave", () => {
      hover = null;
      sched.schedule();
    }),
    listen<FocusEvent>(overlay, "focusin", (e) => {
      hover = cellFrom(e.target);
      sched.schedule();
    }),
    listen<KeyboardEvent>(overlay, "keydown", (e) => {
      const c = cellFrom(e.target);
      if (!c) return;
      const d: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      const m = d[e.key];
      if (!m) return;
      e.preventDefault();
      const b = cellOf(Math.max(0, Math.min(L - 1, c.layer + m[0])), Math.max(0, Math.min(H - 1, c.head + m[1])));
      if (b) {
        for (const x of cells) if (x.tabIndex === 0) x.tabIndex = -1;
        b.tabIndex = 0;
        b.focus();
      }
    }),
    store.subscribe((s, prev) => {
      if (s.ablate !== prev.ablate) syncMarks();
      if (s.layer !== prev.layer || s.heads !== prev.heads) {
        syncSelection(); // synchronous: attributes follow at once
        sched.soon();
      }
    }),
    replies.subscribe(whenChanged(() => replySignature(replies.get(key), replies.state(key)), () => sched.schedule())),
    watchTheme(doc, () => {
      themes.reset();
      painted = "";
      sched.schedule();
    }),
  );
  if (win && typeof win.ResizeObserver === "function") {
    const ro = new win.ResizeObserver(() => {
      measured = false;
      sched.schedule();
    });
    ro.observe(scroll);
    cleanups.push(() => ro.disconnect());
  }
  replies.request({ what: "thumbnails", stack: stack.name });
  draw();
  return viewHandle(section, sched, cleanups);
}
