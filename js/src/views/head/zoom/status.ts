/** The status line of the zoomable heatmap (pure): loading, refining, errors, not in this page. */
import type { Gathered } from "./tiles";

export interface Status {
  text: string;
  /** data-state of the status line: "loading" | "error" | "" (nothing to say). */
  state: "" | "loading" | "error";
}

/** A saved page (or a lost kernel) cannot answer: the message says so. */
export function needsKernel(message: string): boolean {
  return /not saved in this page|needs a running kernel|kernel that made this widget is gone/.test(message);
}

export function statusOf(g: Pick<Gathered, "overview" | "complete" | "error">, noHeads: boolean, block: number): Status {
  if (noHeads) return { text: "No heads selected: pick at least one head to see the heatmap.", state: "error" };
  if (g.error?.overview) {
    return needsKernel(g.error.message)
      ? { text: "the heatmap overview is not in this page; it needs a running kernel", state: "error" }
      : { text: `heatmap: ${g.error.message}`, state: "error" };
  }
  if (g.error) {
    return needsKernel(g.error.message)
      ? { text: `zoom level not in this page (${block}×${block} tokens a cell); it needs a running kernel. Showing a coarser level.`, state: "error" }
      : { text: `zoom level ${block}: ${g.error.message}`, state: "error" };
  }
  if (!g.overview) return { text: "loading the heatmap overview…", state: "loading" };
  if (!g.complete) return { text: "refining…", state: "loading" };
  return { text: "", state: "" };
}

/** What the colours mean: 0 is the background; `top` and above the strongest colour. */
export function scaleText(top: number, max: number, fixed: boolean, mode: "view" | "matrix" = "matrix"): string {
  if (fixed) return `colour 0 to ${top.toPrecision(3)} (fixed)`;
  const where = mode === "matrix" ? "the whole matrix" : "the cells shown";
  if (top >= max * (1 - 1e-6)) return `colour 0 to ${top.toPrecision(3)} (strongest of ${where})`;
  return `colour 0 to ${top.toPrecision(3)} (above 99.9% of ${where}; stronger ones, up to ${max.toPrecision(3)}, at full colour)`;
}
