/** Pure maths of the neuron view: q, k, q⊙k, q·k (× scaling) for one head and query token. */
import type { Reply } from "../../replies";

export interface QK {
  heads: number;
  kvHeads: number;
  nq: number;
  nk: number;
  d: number;
  /** queries[(h * nq + i) * d + c] */
  queries: ArrayLike<number>;
  /** keys[(g * nk + j) * d + c] */
  keys: ArrayLike<number>;
  scaling: number;
  /** Head h reads key/value head floor(h / group). */
  group: number;
}

export function readQK(reply: Reply | undefined): QK | null {
  const q = reply?.arrays.queries;
  const k = reply?.arrays.keys;
  if (!q || !k || q.shape.length !== 3 || k.shape.length !== 3) return null;
  const [heads, nq, d] = q.shape as [number, number, number];
  const [kvHeads, nk] = k.shape as [number, number, number];
  const scaling = typeof reply!.data.scaling === "number" ? reply!.data.scaling : 1 / Math.sqrt(d);
  const group = typeof reply!.data.group === "number" && reply!.data.group > 0 ? reply!.data.group : Math.max(1, Math.floor(heads / kvHeads));
  return { heads, kvHeads, nq, nk, d, queries: q.values, keys: k.values, scaling, group };
}

/** The key/value head of head h, and every head that shares it. */
export function kvGroup(qk: Pick<QK, "group" | "kvHeads" | "heads">, h: number): { kv: number; heads: number[] } {
  const kv = Math.min(qk.kvHeads - 1, Math.floor(h / qk.group));
  const heads: number[] = [];
  for (let x = kv * qk.group; x < Math.min(qk.heads, (kv + 1) * qk.group); x++) heads.push(x);
  return { kv, heads };
}

export function queryVector(qk: QK, h: number, i: number): Float32Array {
  const out = new Float32Array(qk.d);
  const base = (h * qk.nq + i) * qk.d;
  for (let c = 0; c < qk.d; c++) out[c] = qk.queries[base + c]!;
  return out;
}

export function keyVector(qk: QK, kv: number, j: number): Float32Array {
  const out = new Float32Array(qk.d);
  const base = (kv * qk.nk + j) * qk.d;
  for (let c = 0; c < qk.d; c++) out[c] = qk.keys[base + c]!;
  return out;
}

/** q·k × scaling for every key (the attention logits before the mask and softmax). */
export function scores(qk: QK, h: number, i: number): Float32Array {
  const { kv } = kvGroup(qk, h);
  const q = queryVector(qk, h, i);
  const out = new Float32Array(qk.nk);
  for (let j = 0; j < qk.nk; j++) {
    const base = (kv * qk.nk + j) * qk.d;
    let s = 0;
    for (let c = 0; c < qk.d; c++) s += q[c]! * qk.keys[base + c]!;
    out[j] = s * qk.scaling;
  }
  return out;
}

/** Softmax of `logits` (for checks: the view shows the model's own attention row). */
export function softmax(logits: ArrayLike<number>): Float32Array {
  let max = -Infinity;
  for (let j = 0; j < logits.length; j++) max = Math.max(max, logits[j]!);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let j = 0; j < logits.length; j++) sum += out[j] = Math.exp(logits[j]! - max);
  for (let j = 0; j < logits.length; j++) out[j]! /= sum;
  return out;
}

/** Largest |value| of keys of one kv head (a stable colour scale for every row). */
export function maxAbsKeys(qk: QK, kv: number): number {
  let m = 0;
  const base = kv * qk.nk * qk.d;
  for (let x = 0; x < qk.nk * qk.d; x++) m = Math.max(m, Math.abs(qk.keys[base + x]!));
  return m;
}

/**
 * The longest of `options` (longest first) whose text fits `width` px at about `charPx` px a character
 * (11px UI font, with 6px to spare): column headers shrink instead of running into the next column.
 */
export function fitLabel(options: readonly string[], width: number, charPx = 6.6): string {
  for (const o of options) if (o.length * charPx + 6 <= width) return o;
  return options[options.length - 1] ?? "";
}
