/** Pure geometry shared by the views: virtualisation windows, cell sizes, label thinning. */
export { canvasScale } from "../head/layout";

export interface Window {
  /** First item drawn (inclusive). */
  start: number;
  /** One past the last item drawn. */
  end: number;
}

/**
 * Items of size `item` px along an axis, scrolled by `offset` px, seen through `viewport` px:
 * which ones to draw, with `overscan` extra on each side. A viewport of 0 (not laid out yet, or a DOM
 * without layout) counts as `fallbackViewport`.
 */
export function visibleWindow(
  offset: number,
  viewport: number,
  item: number,
  count: number,
  overscan = 4,
  fallbackViewport = 480,
): Window {
  if (count <= 0 || item <= 0) return { start: 0, end: 0 };
  const vp = viewport > 0 ? viewport : fallbackViewport;
  const first = Math.floor(Math.max(0, offset) / item);
  const last = Math.ceil((Math.max(0, offset) + vp) / item);
  return { start: Math.max(0, Math.min(count, first - overscan)), end: Math.max(0, Math.min(count, last + overscan)) };
}

/** Scroll offset that brings item `i` into view (unchanged when it is already fully visible). */
export function scrollToShow(offset: number, viewport: number, item: number, i: number): number {
  const top = i * item;
  const bottom = top + item;
  if (viewport <= 0) return offset;
  if (top < offset) return top;
  if (bottom > offset + viewport) return bottom - viewport;
  return offset;
}

/** Cell size that fits `count` cells into `avail` px, within [min, max] (the grid scrolls below min). */
export function fitCell(avail: number, count: number, min: number, max: number): number {
  if (count <= 0) return max;
  return Math.max(min, Math.min(max, Math.floor(avail / count)));
}

/** Label every `step`-th cell so that labels are at least `minSpacing` px apart (1, 2, 4, 5, 10, …). */
export function labelStep(cell: number, minSpacing: number): number {
  if (cell >= minSpacing) return 1;
  const need = minSpacing / Math.max(cell, 1e-6);
  for (const base of [1, 2, 4, 5, 8]) if (base >= need) return base;
  let step = 10;
  while (step < need) step *= step % 4 === 0 ? 1.25 : 2; // 10, 20, 40, 50, 100, 200, 400, 500, …
  return Math.round(step);
}
