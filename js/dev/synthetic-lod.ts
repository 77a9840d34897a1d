/**
 * Synthetic level-of-detail answers (wire spec "attention_tile", "attention_tile_heads",
 * "attention_cell") for the dev page and tests, at any length up to 32,768 tokens and beyond, without
 * ever holding N² values.
 *
 * The attention is causal and analytic: row i of head h puts a few "spikes" of mass s on chosen keys
 * (previous token, itself, the first token, the start of its segment, an induction offset) and spreads
 * the rest evenly over keys 0..i:  A_h[i, j] = u_i + Σ_{spikes at j} s  for j ≤ i, else 0, with
 * u_i = (1 − Σ s) / (i + 1). Every row sums to 1. A cell's max is max_i (u_i + its largest spike in the
 * cell), and its mean is a sum of u_i times the number of unmasked keys plus the spikes, so both come
 * exactly from per-row prefix sums and the spikes (checked against brute force in the tests).
 */
import { keyOf, type Request } from "../src/replies";
import { cellRequest, tileHeadsRequest, tileRequest, type Pool } from "../src/views/head/zoom/keys";
import { isPowerOfTwo, tileRect, TILE, type TileRect } from "../src/views/head/zoom/levels";
import { encode } from "./synthetic";
import type { EncodedArray } from "../src/types";

const MAX_SPIKES = 3;

/** Spikes of row `i` of head `h` into (js, ss); merged by key, keys outside 0..i dropped. Returns the count. */
export function rowSpikes(layer: number, h: number, i: number, js: Int32Array, ss: Float64Array): number {
  const role = (h + layer) % 5;
  const period = 40 + ((h * 7 + layer * 3) % 60);
  const wanted: [number, number][] =
    role === 0 ? [[i - 1, 0.55], [0, 0.15]]
    : role === 1 ? [[i, 0.45], [Math.floor(i / 128) * 128, 0.2]]
    : role === 2 ? [[0, 0.7]]
    : role === 3 ? [[i - period, 0.35], [i - 1, 0.1], [i - 2, 0.1]]
    : [[Math.floor(i / 512) * 512, 0.4], [i, 0.1]];
  let n = 0;
  for (const [j, s] of wanted) {
    if (j < 0 || j > i) continue;
    let k = 0;
    while (k < n && js[k] !== j) k++;
    if (k < n) ss[k]! += s;
    else if (n < MAX_SPIKES) {
      js[n] = j;
      ss[n++] = s;
    }
  }
  return n;
}

const JS = new Int32Array(MAX_SPIKES);
const SS = new Float64Array(MAX_SPIKES);

/** The spread-out part u_i of row i (what every unmasked key gets besides its spikes). */
export function background(layer: number, h: number, i: number): number {
  const n = rowSpikes(layer, h, i, JS, SS);
  let total = 0;
  for (let k = 0; k < n; k++) total += SS[k]!;
  return (1 - total) / (i + 1);
}

/** A_h[i, j] exactly (float64). */
export function exactValue(layer: number, h: number, i: number, j: number): number {
  if (j > i || j < 0) return 0;
  const n = rowSpikes(layer, h, i, JS, SS);
  let total = 0;
  let at = 0;
  for (let k = 0; k < n; k++) {
    total += SS[k]!;
    if (JS[k] === j) at += SS[k]!;
  }
  return (1 - total) / (i + 1) + at;
}

/** Mean over `heads` of A_h[i, j] (what the readout must show). */
export function exactMean(layer: number, heads: readonly number[], i: number, j: number): number {
  let s = 0;
  for (const h of heads) s += exactValue(layer, h, i, j);
  return s / heads.length;
}

/** One head's pooled tile (float64, [cellsR, cellsC]) from the analytic form. */
export function headTile(layer: number, h: number, pool: Pool, r: TileRect): Float64Array {
  const { block: b, r0, r1, c0, c1, cellsR, cellsC } = r;
  const out = new Float64Array(cellsR * cellsC);
  const u = new Float64Array(r1 - r0);
  const p0 = new Float64Array(r1 - r0 + 1); // Σ u, Σ i·u over the tile's rows (prefix)
  const p1 = new Float64Array(r1 - r0 + 1);
  for (let i = r0; i < r1; i++) {
    u[i - r0] = background(layer, h, i);
    p0[i - r0 + 1] = p0[i - r0]! + u[i - r0]!;
    p1[i - r0 + 1] = p1[i - r0]! + i * u[i - r0]!;
  }
  for (let a = 0; a < cellsR; a++) {
    const ra0 = r0 + a * b;
    const ra1 = Math.min(r1, ra0 + b);
    const suffix = new Float64Array(ra1 - ra0 + 1);
    for (let i = ra1 - 1; i >= ra0; i--) suffix[i - ra0] = Math.max(suffix[i - ra0 + 1]!, u[i - r0]!);
    for (let c = 0; c < cellsC; c++) {
      const cb0 = c0 + c * b;
      const cb1 = Math.min(c1, cb0 + b);
      if (pool === "max") {
        const first = Math.max(ra0, cb0);
        out[a * cellsC + c] = first < ra1 ? suffix[first - ra0]! : 0;
      } else {
        const sum = (lo: number, hi: number, q: Float64Array) => (hi > lo ? q[hi - r0]! - q[lo - r0]! : 0);
        const bLo = Math.max(ra0, cb0);
        const bHi = Math.min(ra1, cb1 - 1);
        const cLo = Math.max(ra0, cb1 - 1);
        out[a * cellsC + c] = sum(bLo, bHi, p1) + (1 - cb0) * sum(bLo, bHi, p0) + (cb1 - cb0) * sum(cLo, ra1, p0);
      }
    }
  }
  for (let i = r0; i < r1; i++) {
    const n = rowSpikes(layer, h, i, JS, SS);
    const a = Math.floor((i - r0) / b);
    for (let k = 0; k < n; k++) {
      const j = JS[k]!;
      if (j < c0 || j >= c1) continue;
      const o = a * cellsC + Math.floor((j - c0) / b);
      out[o] = pool === "max" ? Math.max(out[o]!, u[i - r0]! + SS[k]!) : out[o]! + SS[k]!;
    }
  }
  if (pool === "mean") {
    for (let a = 0; a < cellsR; a++)
      for (let c = 0; c < cellsC; c++) {
        const rows = Math.min(r1, r0 + (a + 1) * b) - (r0 + a * b);
        const cols = Math.min(c1, c0 + (c + 1) * b) - (c0 + c * b);
        out[a * cellsC + c]! /= rows * cols;
      }
  }
  return out;
}

/** Brute force over every entry of the tile (tests, small N). */
export function bruteTile(layer: number, heads: readonly number[], pool: Pool, r: TileRect): Float64Array {
  const out = new Float64Array(r.cellsR * r.cellsC);
  for (let a = 0; a < r.cellsR; a++)
    for (let c = 0; c < r.cellsC; c++) {
      let acc = 0;
      for (const h of heads) {
        let m = 0;
        let s = 0;
        let count = 0;
        for (let i = r.r0 + a * r.block; i < Math.min(r.r1, r.r0 + (a + 1) * r.block); i++)
          for (let j = r.c0 + c * r.block; j < Math.min(r.c1, r.c0 + (c + 1) * r.block); j++) {
            const v = exactValue(layer, h, i, j);
            m = Math.max(m, v);
            s += v;
            count++;
          }
        acc += pool === "max" ? m : s / count;
      }
      out[a * r.cellsC + c] = acc / heads.length;
    }
  return out;
}

export interface LodModel {
  nLayers: number;
  nHeads: number;
  tokens: readonly string[];
}

type Built = { arrays: Record<string, EncodedArray>; data: Record<string, unknown> };

function tileFields(c: Record<string, unknown>, n: number): { pool: Pool; rect: TileRect } {
  const pool = c.pool;
  if (pool !== "max" && pool !== "mean") throw new Error(`pool must be "max" or "mean", not ${JSON.stringify(pool)}`);
  const block = Number(c.block);
  if (!isPowerOfTwo(block)) throw new Error(`block must be a power of two ≥ 1, not ${String(c.block)}`);
  const span = TILE * block;
  const [row, col] = [Number(c.row), Number(c.col)];
  const tiles = Math.ceil(n / span);
  if (!Number.isInteger(row) || row < 0 || row >= tiles) throw new Error(`row must be 0 to ${tiles - 1} at block ${block}, not ${String(c.row)}`);
  if (!Number.isInteger(col) || col < 0 || col >= tiles) throw new Error(`col must be 0 to ${tiles - 1} at block ${block}, not ${String(c.col)}`);
  return { pool, rect: tileRect(block, row, col, n, n) };
}

function headsField(c: Record<string, unknown>, nHeads: number): number[] {
  const heads = c.heads;
  const ok = Array.isArray(heads) && heads.length > 0 && heads.every((h, k) => Number.isInteger(h) && h >= 0 && h < nHeads && (k === 0 || h > heads[k - 1]));
  if (!ok) throw new Error(`heads must be a non-empty sorted list of distinct heads 0 to ${nHeads - 1}, not ${JSON.stringify(heads)}`);
  return heads as number[];
}

/** The request and the arrays of one LOD answer (throws with a clear message on bad fields). */
export function lodAnswer(c: Record<string, unknown>, o: LodModel): { request: Request; built: Built } {
  const n = o.tokens.length;
  const layer = Number(c.layer);
  const stack = String(c.stack ?? "self");
  if (!Number.isInteger(layer) || layer < 0 || layer >= o.nLayers) throw new Error(`layer must be 0 to ${o.nLayers - 1}, not ${String(c.layer)}`);
  if (c.what === "attention_cell") {
    const [row, col] = [Number(c.row), Number(c.col)];
    if (!Number.isInteger(row) || row < 0 || row >= n) throw new Error(`row must be 0 to ${n - 1}, not ${String(c.row)}`);
    if (!Number.isInteger(col) || col < 0 || col >= n) throw new Error(`col must be 0 to ${n - 1}, not ${String(c.col)}`);
    const w = Float32Array.from({ length: o.nHeads }, (_, h) => exactValue(layer, h, row, col));
    return { request: cellRequest(stack, layer, row, col), built: { arrays: { weights: encode(w, [o.nHeads], "float32", 4) }, data: {} } };
  }
  const { pool, rect } = tileFields(c, n);
  const at = { stack, layer, pool, block: rect.block, row: rect.row, col: rect.col };
  const data = { block: rect.block, row: rect.row, col: rect.col, rows: [rect.r0, rect.r1], cols: [rect.c0, rect.c1] };
  const size = rect.cellsR * rect.cellsC;
  if (c.what === "attention_tile_heads") {
    const all = new Float32Array(o.nHeads * size);
    for (let h = 0; h < o.nHeads; h++) all.set(headTile(layer, h, pool, rect), h * size);
    return { request: tileHeadsRequest(at), built: { arrays: { tiles: encode(all, [o.nHeads, rect.cellsR, rect.cellsC], "float16", 2) }, data } };
  }
  const heads = headsField(c, o.nHeads);
  const mean = new Float32Array(size);
  for (const h of heads) {
    const t = headTile(layer, h, pool, rect);
    for (let k = 0; k < size; k++) mean[k]! += t[k]! / heads.length;
  }
  const request = tileRequest({ ...at, heads, nHeads: o.nHeads });
  return { request, built: { arrays: { tile: encode(mean, [rect.cellsR, rect.cellsC], "float16", 2) }, data } };
}

const LOD_WHATS = new Set(["attention_tile", "attention_tile_heads", "attention_cell"]);

/**
 * Answer one page message if it is an LOD request (as the kernel would: reply or error with the key);
 * returns whether it was one. `delayMs` > 0 answers later (to see "refining…" on the dev page).
 */
export function answerLod(content: unknown, model: { emitCustom(content: unknown, buffers?: DataView[]): void }, o: LodModel, delayMs = 0): boolean {
  const c = content as Record<string, unknown>;
  if (c?.kind !== "request" || !LOD_WHATS.has(String(c.what))) return false;
  const send = () => {
    let request: Request | null = null;
    try {
      const a = lodAnswer(c, o);
      request = a.request;
      const buffers: DataView[] = [];
      const arrays: Record<string, unknown> = {};
      for (const [name, arr] of Object.entries(a.built.arrays)) {
        buffers.push(arr.buffer as DataView);
        arrays[name] = { dtype: arr.dtype, shape: arr.shape, buffer: buffers.length - 1 };
      }
      model.emitCustom({ kind: "reply", what: c.what, key: keyOf(request), id: c.id, arrays, data: a.built.data }, buffers);
    } catch (err) {
      const key = typeof c.key === "string" ? c.key : undefined;
      model.emitCustom({ kind: "error", key, id: c.id, message: err instanceof Error ? err.message : String(err) });
    }
  };
  if (delayMs > 0) setTimeout(send, delayMs);
  else send();
  return true;
}
