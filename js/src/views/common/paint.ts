/**
 * What a view paints, as data: pure draw functions return a list of operations (rectangles, outlines,
 * texts) that tests can read, and `paint` replays them on a canvas context.
 */

export type PaintOp =
  | { op: "rect"; x: number; y: number; w: number; h: number; color: string; alpha?: number }
  | { op: "stroke"; x: number; y: number; w: number; h: number; color: string; width: number; alpha?: number }
  | {
      op: "text";
      x: number;
      y: number;
      text: string;
      color: string;
      font: string;
      align: CanvasTextAlign;
      maxWidth?: number;
      alpha?: number;
    };

/** An `rgb(r,g,b)` CSS colour from 0–255 components (rounded down). */
export const rgbCss = (c: readonly [number, number, number]): string => `rgb(${c[0] | 0},${c[1] | 0},${c[2] | 0})`;

/** Replay `ops` on `ctx` in order (text baseline: middle). */
export function paint(ctx: CanvasRenderingContext2D, ops: readonly PaintOp[]): void {
  ctx.textBaseline = "middle";
  for (const o of ops) {
    ctx.globalAlpha = o.alpha ?? 1;
    if (o.op === "rect") {
      ctx.fillStyle = o.color;
      ctx.fillRect(o.x, o.y, o.w, o.h);
    } else if (o.op === "stroke") {
      ctx.strokeStyle = o.color;
      ctx.lineWidth = o.width;
      ctx.strokeRect(o.x, o.y, o.w, o.h);
    } else {
      ctx.fillStyle = o.color;
      ctx.font = o.font;
      ctx.textAlign = o.align;
      if (o.maxWidth === undefined) ctx.fillText(o.text, o.x, o.y);
      else ctx.fillText(o.text, o.x, o.y, o.maxWidth);
    }
  }
  ctx.globalAlpha = 1;
}

/** A filled rectangle. */
export const rect = (x: number, y: number, w: number, h: number, color: string, alpha?: number): PaintOp =>
  alpha === undefined ? { op: "rect", x, y, w, h, color } : { op: "rect", x, y, w, h, color, alpha };

/** A rectangle's outline. */
export const stroke = (x: number, y: number, w: number, h: number, color: string, width: number, alpha?: number): PaintOp =>
  alpha === undefined ? { op: "stroke", x, y, w, h, color, width } : { op: "stroke", x, y, w, h, color, width, alpha };

/** A text, vertically centred on y. */
export function txt(x: number, y: number, s: string, color: string, font: string, align: CanvasTextAlign, maxWidth?: number, alpha?: number): PaintOp {
  const o: PaintOp = { op: "text", x, y, text: s, color, font, align };
  if (maxWidth !== undefined) o.maxWidth = maxWidth;
  if (alpha !== undefined) o.alpha = alpha;
  return o;
}
