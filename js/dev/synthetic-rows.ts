/**
 * Synthetic attention one row at a time (the dev page's attention, addressable by row so that 8,192
 * tokens need no H·N² array) and the level-of-detail answers computed from it, as the kernel gives
 * them (briefs/lod-wire.md): `attention_rows` (top-k keys per head and row) and `attention_row`.
 */
import { topK } from "../src/static-rows";
import type { EncodedArray } from "../src/types";

/** A deterministic number in [0, 1) for (a, b, c, d). */
function hash01(a: number, b: number, c: number, d: number): number {
  let x = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) ^ Math.imul(c + 0x7f4a7c15, 0x27d4eb2f);
  x = Math.imul(x ^ (x >>> 13), 0x165667b1) ^ Math.imul(d + 0x1b873593, 0x9e3779b1);
  x ^= x >>> 16;
  return (x >>> 0) / 4294967296;
}

/**
 * Row i of head h of `layer` into `out` (length n). Head roles cycle: previous-token, diagonal (self),
 * BOS-heavy, then content-like heads with random logits. The row sums to 1; causal masks j > i.
 */
export function syntheticRowInto(out: Float32Array, layer: number, h: number, i: number, n: number, causal = true): Float32Array {
  const role = (h + layer) % 4;
  const end = causal ? Math.min(n, i + 1) : n;
  let max = -Infinity;
  for (let j = 0; j < end; j++) {
    const r = hash01(layer, h, i, j);
    let x = r * 1.5;
    if (role === 0) x += j === i - 1 || (i === 0 && j === 0) ? 6 : 0;
    if (role === 1) x += j === i ? 5 : 0;
    if (role === 2) x += j === 0 ? 4.5 : 0;
    if (role === 3) x += hash01(layer + 7, h, i, j) < 0.15 ? 3 : 0;
    out[j] = x;
    if (x > max) max = x;
  }
  let sum = 0;
  for (let j = 0; j < end; j++) sum += out[j] = Math.exp(out[j]! - max);
  for (let j = 0; j < end; j++) out[j]! /= sum;
  out.fill(0, end, n);
  return out;
}

function encodeF32(values: Float32Array, shape: number[]): EncodedArray {
  return { dtype: "float32", shape, buffer: new DataView(values.buffer, values.byteOffset, values.byteLength) };
}

function encodeU32(values: Uint32Array, shape: number[]): EncodedArray {
  const copy = new Uint32Array(values.length);
  const view = new DataView(copy.buffer);
  for (let k = 0; k < values.length; k++) view.setUint32(k * 4, values[k]!, true);
  return { dtype: "uint32", shape, buffer: view };
}

type Built = { arrays: Record<string, EncodedArray>; data: Record<string, unknown> };

function rowsAnswer(layer: number, H: number, n: number, p: Record<string, unknown>): Built {
  const start = Number(p.start ?? 0);
  const count = Number(p.count ?? 64);
  const k = Math.min(Number(p.k ?? 8), n);
  const rows = Math.max(0, Math.min(n, start + count) - start);
  const idx = new Uint32Array(H * rows * k);
  const w = new Float32Array(H * rows * k);
  const mass = new Float32Array(H * rows);
  const row = new Float32Array(n);
  for (let h = 0; h < H; h++)
    for (let r = 0; r < rows; r++) {
      syntheticRowInto(row, layer, h, start + r, n);
      mass[h * rows + r] = topK(row, k, idx, w, (h * rows + r) * k);
    }
  return {
    arrays: { index: encodeU32(idx, [H, rows, k]), weight: encodeF32(w, [H, rows, k]), mass: encodeF32(mass, [H, rows]) },
    data: { start, rows, k },
  };
}

function rowAnswer(layer: number, H: number, n: number, p: Record<string, unknown>): Built {
  const index = Number(p.index ?? 0);
  const out = new Float32Array(H * n);
  const row = new Float32Array(n);
  for (let h = 0; h < H; h++) {
    if (p.side === "key") {
      for (let i = index; i < n; i++) out[h * n + i] = syntheticRowInto(row, layer, h, i, n)[index]!;
    } else out.set(syntheticRowInto(row, layer, h, index, n), h * n);
  }
  return { arrays: { weights: encodeF32(out, [H, n]) }, data: {} };
}

/** The answer to an `attention_rows` / `attention_row` request (`params`: its fields), else null. */
export function syntheticLod(what: string, o: { layer?: number; nHeads: number; tokens: string[]; params?: Record<string, unknown> }): Built | null {
  const p = o.params ?? {};
  if (what === "attention_rows") return rowsAnswer(o.layer ?? 0, o.nHeads, o.tokens.length, p);
  if (what === "attention_row") return rowAnswer(o.layer ?? 0, o.nHeads, o.tokens.length, p);
  return null;
}
