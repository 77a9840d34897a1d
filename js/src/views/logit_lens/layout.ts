/** Pure helpers of the logit lens: reading the reply, cell geometry. */
import type { Reply } from "../../replies";

/** Widest cell (px); cells narrow down to MIN_CELL_W so that a lens beside another view shows more positions. */
export const CELL_W = 68;
export const MIN_CELL_W = 44;
/** Positions the lens tries to show at once before it settles for MIN_CELL_W and scrolls. */
export const TARGET_POSITIONS = 12;
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
export function lensCellAt(x: number, y: number, layers: number, positions: number, cellW = CELL_W): { layer: number; position: number } | null {
  const p = Math.floor((x - LABEL_W) / cellW);
  const l = Math.floor((y - HEADER_H) / CELL_H);
  return x < LABEL_W || y < HEADER_H || p >= positions || l >= layers ? null : { layer: l, position: p };
}

/** Cell width for a viewport `viewW` px wide: CELL_W when there is room, down to MIN_CELL_W to show more. */
export function lensCellWidth(viewW: number, positions: number): number {
  const fit = Math.floor((viewW - LABEL_W) / Math.max(1, Math.min(positions, TARGET_POSITIONS)));
  return Math.max(MIN_CELL_W, Math.min(CELL_W, fit));
}

/** Characters of a token that fit a cell `cellW` px wide (11 px monospace). */
export const cellChars = (cellW: number): number => Math.max(3, Math.floor((cellW - 6) / 7));
