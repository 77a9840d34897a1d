/**
 * What a saved page holds of the level-of-detail data (written by Python's export as the reply
 * `lod_saved:<stack>`, no arrays): which layers have their rows windows and their overview tiles, and
 * whether zooming works (never without a kernel). Absent with a kernel: everything can be asked for.
 */
import { requestKey, type ReplyCache } from "./replies";

export interface SavedLod {
  /** Layers whose `attention_rows` windows (every row, k = 8) are in the page. */
  rowsLayers: number[];
  /** Layers whose overview `attention_tile_heads` (max pool) are in the page. */
  tileLayers: number[];
  pools: string[];
  budgetMb: number;
}

const ints = (x: unknown): number[] => (Array.isArray(x) ? x.filter((v): v is number => Number.isInteger(v)) : []);

export function savedLod(cache: ReplyCache, stack: string): SavedLod | null {
  const r = cache.get(requestKey("lod_saved", stack));
  if (!r) return null;
  const d = r.data;
  return {
    rowsLayers: ints(d.rows_layers),
    tileLayers: ints(d.tile_layers),
    pools: Array.isArray(d.pools) ? d.pools.map(String) : [],
    budgetMb: typeof d.budget_mb === "number" ? d.budget_mb : 0,
  };
}

/** "0–3, 5, 7–11" */
export function layerRanges(layers: readonly number[]): string {
  const s = [...new Set(layers)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    out.push(i === j ? String(s[i]) : `${s[i]}–${s[j]}`);
    i = j + 1;
  }
  return out.join(", ") || "none";
}

/** The note a saved page shows before anyone clicks: what it holds, and what needs a kernel. */
export function savedNoteText(saved: SavedLod, nLayers: number, mode: "lines" | "heatmap"): string {
  const all = (l: number[]) => l.length >= nLayers;
  const some = (l: number[]) => `${l.length === 1 ? "layer" : "layers"} ${layerRanges(l)} of 0–${nLayers - 1}`;
  const budget = saved.budgetMb > 0 ? ` (saved within ${saved.budgetMb} MB)` : "";
  if (mode === "heatmap") {
    const layers = all(saved.tileLayers) ? "every layer" : some(saved.tileLayers);
    return `Saved page${budget}: heatmap overview of ${layers}; zoom needs a running kernel: this page holds the overview only.`;
  }
  const layers = all(saved.rowsLayers) ? "every layer" : some(saved.rowsLayers);
  return `Saved page${budget}: lines of ${layers} (each row's strongest keys); a token's exact row needs a running kernel.`;
}
