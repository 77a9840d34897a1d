/**
 * A saved page that holds whole layers (`attention:<stack>:<layer>`, pages written before the kernel
 * answered level-of-detail requests) answers the head view's `attention_rows` and `attention_row`
 * requests from them, as the kernel would (briefs/lod-wire.md): the rows asked for, each row's k
 * strongest keys per head (largest first; ties: smaller key first), or one exact row / column.
 */
import { decodeScaled } from "./decode";
import type { DType } from "./types";

type Unpacked = { arrays: Record<string, unknown>; buffers: DataView[]; data: Record<string, unknown> };
type Message = { content: Record<string, unknown>; buffers?: DataView[] };
interface Layer {
  heads: number;
  nq: number;
  nk: number;
  data: Float32Array | Uint8Array;
  scale: number;
}

/** The k largest entries of `row` into idx / w at `at` (largest first; ties: smaller index first); their sum. */
export function topK(row: ArrayLike<number>, k: number, idx: Uint32Array, w: Float32Array, at: number, scale = 1): number {
  let filled = 0;
  for (let j = 0; j < row.length; j++) {
    const v = row[j]! * scale;
    if (filled === k && v <= w[at + k - 1]!) continue;
    let p = filled < k ? filled++ : k - 1;
    while (p > 0 && w[at + p - 1]! < v) {
      w[at + p] = w[at + p - 1]!;
      idx[at + p] = idx[at + p - 1]!;
      p--;
    }
    w[at + p] = v;
    idx[at + p] = j;
  }
  let mass = 0;
  for (let t = 0; t < filled; t++) mass += w[at + t]!;
  return mass;
}

const le = (values: Float32Array | Uint32Array): DataView => {
  const view = new DataView(new ArrayBuffer(values.length * 4));
  for (let i = 0; i < values.length; i++) {
    if (values instanceof Float32Array) view.setFloat32(i * 4, values[i]!, true);
    else view.setUint32(i * 4, values[i]!, true);
  }
  return view;
};

function rowsReply(a: Layer, c: Record<string, unknown>, key: string): Message {
  const start = Number(c.start);
  const rows = Math.max(0, Math.min(a.nq, start + Number(c.count)) - start);
  const k = Math.min(Number(c.k), a.nk);
  const idx = new Uint32Array(a.heads * rows * k);
  const w = new Float32Array(a.heads * rows * k);
  const mass = new Float32Array(a.heads * rows);
  for (let h = 0; h < a.heads; h++)
    for (let r = 0; r < rows; r++) {
      const base = (h * a.nq + start + r) * a.nk;
      mass[h * rows + r] = topK(a.data.subarray(base, base + a.nk), k, idx, w, (h * rows + r) * k, a.scale);
    }
  const arrays = { index: { dtype: "uint32", shape: [a.heads, rows, k], buffer: 0 }, weight: { dtype: "float32", shape: [a.heads, rows, k], buffer: 1 }, mass: { dtype: "float32", shape: [a.heads, rows], buffer: 2 } };
  return { content: { kind: "reply", what: "attention_rows", key, id: c.id, arrays, data: { start, rows, k } }, buffers: [le(idx), le(w), le(mass)] };
}

function rowReply(a: Layer, c: Record<string, unknown>, key: string): Message {
  const index = Number(c.index);
  const n = c.side === "key" ? a.nq : a.nk;
  const out = new Float32Array(a.heads * n);
  for (let h = 0; h < a.heads; h++)
    for (let x = 0; x < n; x++) {
      const at = c.side === "key" ? (h * a.nq + x) * a.nk + index : (h * a.nq + index) * a.nk + x;
      out[h * n + x] = a.data[at]! * a.scale;
    }
  return { content: { kind: "reply", what: "attention_row", key, id: c.id, arrays: { weights: { dtype: "float32", shape: [a.heads, n], buffer: 0 } }, data: {} }, buffers: [le(out)] };
}

/** Field checks as the kernel makes them: a clear message naming the field and its range. */
function badField(a: Layer, c: Record<string, unknown>): string | null {
  const int = (x: unknown) => typeof x === "number" && Number.isInteger(x);
  if (c.what === "attention_rows") {
    if (!int(c.start) || (c.start as number) < 0 || (c.start as number) >= a.nq) return `attention_rows start must be an integer in [0, ${a.nq})`;
    if (!int(c.count) || (c.count as number) < 1 || (c.count as number) > 256) return "attention_rows count must be an integer in [1, 256]";
    if (!int(c.k) || (c.k as number) < 1 || (c.k as number) > 64) return "attention_rows k must be an integer in [1, 64]";
    return null;
  }
  const n = c.side === "key" ? a.nk : a.nq;
  if (c.side !== "query" && c.side !== "key") return `attention_row side must be "query" or "key", not ${JSON.stringify(c.side)}`;
  if (!int(c.index) || (c.index as number) < 0 || (c.index as number) >= n) return `attention_row index must be an integer in [0, ${n})`;
  return null;
}

/** Decoded whole layers, per held reply (uint8 ones are not copied). */
const memo = new WeakMap<object, Layer>();

/** The answer from the whole layer this page holds, or null when it holds none for this request. */
export async function answerRows(c: Record<string, unknown>, key: string, find: (key: string) => Promise<Unpacked | undefined>): Promise<Message | null> {
  const source = await find(`attention:${String(c.stack)}:${String(c.layer)}`);
  const spec = source?.arrays.attention as { dtype: DType; shape: number[]; buffer: number } | undefined;
  if (!source || !spec || spec.shape.length !== 3) return null;
  let a = memo.get(source);
  if (!a) {
    const [heads, nq, nk] = spec.shape as [number, number, number];
    const { data, scale } = decodeScaled({ dtype: spec.dtype, shape: spec.shape, buffer: source.buffers[spec.buffer]! });
    memo.set(source, (a = { heads, nq, nk, data, scale }));
  }
  const bad = badField(a, c);
  if (bad) return { content: { kind: "error", key, id: c.id, message: bad } };
  return c.what === "attention_rows" ? rowsReply(a, c, key) : rowReply(a, c, key);
}
