/**
 * Geometry of the head view's scroll box: sizes and the scroll offset are read when they change
 * (ResizeObserver, scroll events), not on every draw (reading them after other views wrote to the DOM
 * forces a layout); without a ResizeObserver every read is live. Rows are `rowHeight` px; the canvases
 * cover what is on screen, nothing more.
 */
import { visibleWindow, type Window } from "../common/geometry";
import { linesWidthFor } from "./lines";
import type { Skeleton } from "./skeleton";

export interface Box {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  valid: boolean;
}

export class Viewport {
  readonly box: Box = { width: 0, height: 0, left: 0, right: 0, top: 0, valid: false };
  /** KEYS_HEIGHT when the heatmap shows key labels above the rows, else 0. */
  rowsTop = 0;

  constructor(
    private readonly sk: Skeleton,
    readonly nRows: number,
    readonly rowHeight: number,
    readonly maxHeight: number,
    private readonly observed: boolean,
  ) {}

  measure(): void {
    const { scroll, left, right } = this.sk;
    Object.assign(this.box, { width: scroll.clientWidth, height: scroll.clientHeight, left: left.offsetWidth, right: right.offsetWidth });
    this.box.top = scroll.scrollTop;
    this.box.valid = this.observed;
  }

  sized(): Box {
    if (!this.box.valid) this.measure();
    return this.box;
  }

  contentHeight(): number {
    return this.rowsTop + this.nRows * this.rowHeight;
  }

  viewportHeight(): number {
    return this.sized().height || Math.min(this.maxHeight, this.contentHeight() + 4);
  }

  canvasHeight(): number {
    return Math.max(1, Math.min(this.nRows * this.rowHeight, this.viewportHeight() - this.rowsTop));
  }

  /** Top of the canvases in content coordinates. */
  canvasTop(): number {
    const maxTop = Math.max(0, this.nRows * this.rowHeight - this.canvasHeight());
    return Math.max(0, Math.min(maxTop, this.sized().top));
  }

  /** Items of a list of `n` rows to render (the rows on screen plus a few). */
  windowOf(n: number): Window {
    return visibleWindow(this.sized().top, this.viewportHeight() - this.rowsTop, this.rowHeight, n, 6, this.maxHeight);
  }

  /** Rows actually on screen (no overscan): what the lines are asked for. */
  onScreen(n: number): Window {
    return visibleWindow(this.canvasTop(), this.canvasHeight(), this.rowHeight, n, 0, this.maxHeight);
  }

  placeCanvas(canvas: HTMLCanvasElement): { top: number; height: number } {
    const [height, top] = [this.canvasHeight(), this.canvasTop()];
    canvas.style.top = `${this.rowsTop + top}px`;
    return { top, height };
  }

  /** Set the rows' offset below the key labels; true when it changed (the grid's height follows). */
  setRowsTop(top: number): boolean {
    if (top === this.rowsTop) return false;
    this.rowsTop = top;
    this.sk.grid.style.height = `${this.contentHeight()}px`;
    return true;
  }

  /** Lines column width from the available width (scroll box minus both label columns and the gaps). */
  linesWidth(): number {
    const b = this.sized();
    const w = b.width > 0 ? linesWidthFor(b.width, b.left || 0, b.right || 0) : 320;
    this.sk.grid.style.setProperty("--al-lines-w", `${w}px`);
    return w;
  }
}
