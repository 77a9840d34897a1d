/** Pure helpers of the compare view: aligned pairs, which query row to show, and request keys. */
import type { Request } from "../../replies";

/** One column of the alignment: an index into run A's tokens and one into B's (null: no partner). */
export type Pair = [number | null, number | null];

export function readPairs(x: unknown): Pair[] {
  if (!Array.isArray(x)) return [];
  const idx = (v: unknown) => (typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : null);
  return x.filter((p): p is unknown[] => Array.isArray(p) && p.length === 2).map((p) => [idx(p[0]), idx(p[1])] as Pair);
}

/** The column whose attention row is shown: the pair of the locked token of A, else the last pair
 * present in both runs (the prediction's position), else the last column. */
export function queryColumn(pairs: readonly Pair[], token: number | null): number {
  if (token !== null) {
    const i = pairs.findIndex((p) => p[0] === token);
    if (i >= 0) return i;
  }
  for (let c = pairs.length - 1; c >= 0; c--) if (pairs[c]![0] !== null && pairs[c]![1] !== null) return c;
  return Math.max(0, pairs.length - 1);
}

/** The edit request: trace `text` with the same model as run B (key mirrors protocol._edit). */
export function editRequest(stack: string, text: string): Request {
  return { what: "edit", stack, extra: [text], params: { text } };
}

/** Attention of both runs at `layer`, aligned by pairs (key mirrors protocol._compare). */
export function compareRequest(stack: string, layer: number, version: number): Request {
  return { what: "compare", stack, layer, extra: [String(version)], params: { version } };
}

/** Attributions of both runs towards A's prediction (key mirrors protocol._compare_attribution). */
export function compareAttributionRequest(stack: string, version: number, method: string): Request {
  return { what: "compare_attribution", stack, extra: [String(version), method], params: { version, method } };
}

/** Signed difference b − a, and whether it is large enough to highlight (|Δ| ≥ `min`). */
export function difference(a: number, b: number, min = 0.05): { delta: number; notable: boolean } {
  const delta = b - a;
  return { delta, notable: Math.abs(delta) >= min };
}
