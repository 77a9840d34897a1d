/** Pure helpers of the logit lens: reading the reply, cell geometry. */
import type { Reply } from "../../replies";

export const CELL_W = 68;
export const CELL_H = 22;
export const LABEL_W = 40;
export const HEADER_H = 26;

export interface LensTable {
  layers: number;
  positions: number;
  k: number;
  vocab: string[];
  /** indices[(layer * positions + position) * k + r] into vocab, best first. */
  indices: Uint32Array;
  /** probabilities, same layout. */
  probs: ArrayLike<number>;
  probScale: number;
}

export function readLens(reply: Reply | undefined): LensTable | null {
  const idx = reply?.arrays.indices;
  const pr = reply?.arrays.probs;
  if (!idx || !pr || idx.shape.length !== 3 || !(idx.values instanceof Uint32Array)) return null;
  const [layers, positions, k] = idx.shape as [number, number, number];
  const vocab = Array.isArray(reply!.data.vocab) ? (reply!.data.vocab as unknown[]).map((v) => String(v)) : [];
  return { layers, positions, k, vocab, indices: idx.values, probs: pr.values, probScale: pr.scale };
}

/** The top-k (token, probability) list of one cell, best first. */
export function topK(t: LensTable, layer: number, position: number): { token: string; prob: number }[] {
  const out: { token: string; prob: number }[] = [];
  if (layer < 0 || layer >= t.layers || position < 0 || position >= t.positions) return out;
  const base = (layer * t.positions + position) * t.k;
  for (let r = 0; r < t.k; r++) out.push({ token: t.vocab[t.indices[base + r]!] ?? "?", prob: t.probs[base + r]! * t.probScale });
  return out;
}

/** (layer, position) under a point in content coordinates (x includes the scroll offset). */
export function lensCellAt(x: number, y: number, layers: number, positions: number): { layer: number; position: number } | null {
  const p = Math.floor((x - LABEL_W) / CELL_W);
  const l = Math.floor((y - HEADER_H) / CELL_H);
  return x < LABEL_W || y < HEADER_H || p >= positions || l >= layers ? null : { layer: l, position: p };
}
