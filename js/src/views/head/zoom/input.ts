/**
 * Pointer, wheel and key handling of the zoomable heatmap. Each handler turns an event into a viewport
 * change (`apply`), a hover, or a click on a token cell; returns the cleanup.
 */
import { listen } from "../../../dom";
import { centerOn, fitAll, pan, zoomAt, type Viewport } from "./viewport";
import { miniToken } from "./minimap";

/** Wheel travel (px) per zoom step, and drag distance (px) below which a press is a click. */
const WHEEL_STEP = 60;
const CLICK_SLOP = 4;

export interface InputHost {
  canvas: HTMLCanvasElement;
  miniBox: HTMLElement;
  buttons: { zoomIn: HTMLElement; zoomOut: HTMLElement; fit: HTMLElement };
  viewport(): Viewport;
  apply(vp: Viewport): void;
  hover(px: number | null, py: number | null): void;
  click(px: number, py: number): void;
  miniSize(): { width: number; height: number };
}

/** Key → viewport change (null: not ours). Arrows pan a quarter of the map (Shift: a whole map). */
export function keyAction(key: string, shift: boolean, vp: Viewport): Viewport | null {
  const step = shift ? 1 : 0.25;
  const cx = vp.width / 2;
  const cy = vp.height / 2;
  switch (key) {
    case "+":
    case "=":
      return zoomAt(vp, 1, cx, cy);
    case "-":
    case "_":
      return zoomAt(vp, -1, cx, cy);
    case "0":
      return fitAll(vp.nq, vp.nk, vp.width, vp.height);
    case "ArrowLeft":
      return pan(vp, vp.width * step, 0);
    case "ArrowRight":
      return pan(vp, -vp.width * step, 0);
    case "ArrowUp":
      return pan(vp, 0, vp.height * step);
    case "ArrowDown":
      return pan(vp, 0, -vp.height * step);
  }
  return null;
}

function local(el: HTMLElement, e: MouseEvent): { x: number; y: number } {
  const r = el.getBoundingClientRect();
  return { x: e.clientX - r.left, y: e.clientY - r.top };
}

function mapHandlers(host: InputHost): (() => void)[] {
  const { canvas } = host;
  let wheel = 0;
  let drag: { x: number; y: number; moved: boolean; id: number } | null = null;
  return [
    listen<WheelEvent>(canvas, "wheel", (e) => {
      e.preventDefault();
      wheel += e.deltaMode === 1 ? e.deltaY * 16 : e.deltaMode === 2 ? e.deltaY * 400 : e.deltaY;
      const steps = wheel <= -WHEEL_STEP ? 1 : wheel >= WHEEL_STEP ? -1 : 0;
      if (!steps) return;
      wheel = 0;
      const p = local(canvas, e);
      host.apply(zoomAt(host.viewport(), steps, p.x, p.y));
    }, { passive: false }),
    listen<PointerEvent>(canvas, "pointerdown", (e) => {
      if (e.button !== 0) return;
      drag = { x: e.clientX, y: e.clientY, moved: false, id: e.pointerId };
      canvas.setPointerCapture?.(e.pointerId);
    }),
    listen<PointerEvent>(canvas, "pointermove", (e) => {
      const p = local(canvas, e);
      if (drag && drag.id === e.pointerId) {
        const dx = e.clientX - drag.x;
        const dy = e.clientY - drag.y;
        if (!drag.moved && Math.hypot(dx, dy) < CLICK_SLOP) return;
        drag = { ...drag, x: e.clientX, y: e.clientY, moved: true };
        canvas.style.cursor = "grabbing";
        host.apply(pan(host.viewport(), dx, dy));
      }
      host.hover(p.x, p.y);
    }),
    listen<PointerEvent>(canvas, "pointerup", (e) => {
      if (!drag || drag.id !== e.pointerId) return;
      const wasClick = !drag.moved;
      drag = null;
      canvas.style.cursor = "crosshair";
      if (wasClick) {
        const p = local(canvas, e);
        host.click(p.x, p.y);
      }
    }),
    listen<PointerEvent>(canvas, "pointercancel", () => {
      drag = null;
      canvas.style.cursor = "crosshair";
    }),
    listen<MouseEvent>(canvas, "mouseleave", () => {
      if (!drag) host.hover(null, null);
    }),
    listen<KeyboardEvent>(canvas, "keydown", (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const next = keyAction(e.key, e.shiftKey, host.viewport());
      if (!next) return;
      e.preventDefault();
      host.apply(next);
    }),
  ];
}

function miniHandlers(host: InputHost): (() => void)[] {
  const { miniBox } = host;
  let down: number | null = null;
  const go = (e: PointerEvent) => {
    const p = local(miniBox, e);
    const t = miniToken(host.viewport(), host.miniSize(), p.x, p.y);
    host.apply(centerOn(host.viewport(), t.row, t.col));
  };
  return [
    listen<PointerEvent>(miniBox, "pointerdown", (e) => {
      if (e.button !== 0) return;
      e.stopPropagation();
      down = e.pointerId;
      miniBox.setPointerCapture?.(e.pointerId);
      go(e);
    }),
    listen<PointerEvent>(miniBox, "pointermove", (e) => {
      if (down === e.pointerId) go(e);
    }),
    listen<PointerEvent>(miniBox, "pointerup", () => {
      down = null;
    }),
    listen<PointerEvent>(miniBox, "pointercancel", () => {
      down = null;
    }),
  ];
}

export function bindInput(host: InputHost): () => void {
  const { buttons } = host;
  const centre = (steps: number) => () => {
    const vp = host.viewport();
    host.apply(zoomAt(vp, steps, vp.width / 2, vp.height / 2));
  };
  const offs = [
    ...mapHandlers(host),
    ...miniHandlers(host),
    listen(buttons.zoomIn, "click", centre(1)),
    listen(buttons.zoomOut, "click", centre(-1)),
    listen(buttons.fit, "click", () => {
      const vp = host.viewport();
      host.apply(fitAll(vp.nq, vp.nk, vp.width, vp.height));
    }),
  ];
  return () => {
    for (const off of offs.splice(0)) off();
  };
}
