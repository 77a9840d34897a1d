/** Synthetic but realistic attention for the dev page and tests (deterministic). */
import { floatToHalf } from "../src/decode";
import { METHODS, reruns } from "../src/contract";
import { requestKey } from "../src/replies";
import type { DType, EncodedArray } from "../src/types";
import { answerLod } from "./synthetic-lod";
import { syntheticLod, syntheticRowInto } from "./synthetic-rows";

export const DEV_TOKENS = [
  "<|endoftext|>",
  "The",
  " cat",
  " sat",
  " on",
  " the",
  " mat",
  ".",
  "\n",
  "<script>alert(1)</script>",
  " because",
  " it",
  " was",
  " tired",
  "\t",
  " ",
  "supercalifragilisticexpialidocious",
  " the",
  " cat",
  " slept",
];

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/**
 * [heads, n, n] attention for one layer. Head roles cycle: previous-token, diagonal (self),
 * BOS-heavy, then content-like heads with random logits. Rows sum to 1; causal masks j > i.
 */
export function syntheticLayer(layer: number, nHeads: number, n: number, causal = true): Float32Array {
  const out = new Float32Array(nHeads * n * n);
  for (let h = 0; h < nHeads; h++) for (let i = 0; i < n; i++) syntheticRowInto(out.subarray((h * n + i) * n, (h * n + i + 1) * n), layer, h, i, n, causal);
  return out;
}

/** Encode values as Python does, into a DataView that starts `pad` bytes into a larger buffer. */
export function encode(values: ArrayLike<number>, shape: number[], dtype: DType = "float16", pad = 8): EncodedArray {
  const size = dtype === "float32" || dtype === "uint32" ? 4 : dtype === "float16" || dtype === "uint16" ? 2 : 1;
  const ab = new ArrayBuffer(pad + values.length * size + 8);
  const view = new DataView(ab, pad, values.length * size);
  for (let k = 0; k < values.length; k++) {
    const v = values[k]!;
    if (dtype === "float32") view.setFloat32(k * 4, v, true);
    else if (dtype === "float16") view.setUint16(k * 2, floatToHalf(v), true);
    else if (dtype === "uint16") view.setUint16(k * 2, v, true);
    else if (dtype === "uint32") view.setUint32(k * 4, v, true);
    else view.setUint8(k, Math.max(0, Math.min(255, Math.round(v * 255))));
  }
  return { dtype, shape, buffer: view };
}

export function devMeta(tokens: string[], nLayers: number, nHeads: number, modelName = "synthetic-gpt", kvHeads = nHeads) {
  return {
    tokens,
    target_tokens: null,
    n_layers: nLayers,
    n_heads: nHeads,
    n_tokens: tokens.length,
    model_name: modelName,
    model_type: "gpt2",
    causal: true,
    special: tokens.map((t) => t === "<|endoftext|>"),
    has_logit_lens: true,
    can_rerun: true,
    methods: [...METHODS],
    logits_stack: "self",
    stacks: [
      { name: "self", n_layers: nLayers, n_heads: nHeads, kv_heads: kvHeads, queries: "input", keys: "input", has_qk: true, has_mlp: true },
    ],
  };
}

export const DEV_D = 16;
export const DEV_NEURONS = 256;

/** Arrays and data of one synthetic reply, as Python's protocol.answer builds them. */
export function syntheticArrays(
  what: string,
  o: { layer?: number; neuron?: number; position?: number; method?: string; nLayers: number; nHeads: number; kvHeads?: number; tokens: string[]; params?: Record<string, unknown> },
): { arrays: Record<string, EncodedArray>; data: Record<string, unknown> } | null {
  if (what.startsWith("attention_row")) return syntheticLod(what, o); // level-of-detail rows (synthetic-rows.ts)
  const n = o.tokens.length;
  const H = o.nHeads;
  const kv = o.kvHeads ?? H;
  const layer = o.layer ?? 0;
  const rand = rng(7 + layer * 31 + (o.neuron ?? 0) * 13);
  switch (what) {
    case "attention":
      return { arrays: { attention: encode(syntheticLayer(layer, H, n), [H, n, n], H * n * n * 2 <= 1 << 20 ? "float16" : "uint8", 8) }, data: {} };
    case "thumbnails": {
      const t = Math.min(32, n);
      const out = new Float32Array(o.nLayers * H * t * t);
      for (let l = 0; l < o.nLayers; l++) {
        const a = syntheticLayer(l, H, t);
        for (let hd = 0; hd < H; hd++) {
          let max = 0;
          for (let k = 0; k < t * t; k++) max = Math.max(max, a[hd * t * t + k]!);
          for (let k = 0; k < t * t; k++) out[(l * H + hd) * t * t + k] = a[hd * t * t + k]! / (max || 1);
        }
      }
      return { arrays: { thumbnails: encode(out, [o.nLayers, H, t, t], "uint8", 4) }, data: {} };
    }
    case "qk": {
      const q = Float32Array.from({ length: H * n * DEV_D }, () => rand() * 2 - 1);
      const k = Float32Array.from({ length: kv * n * DEV_D }, () => rand() * 2 - 1);
      return {
        arrays: { queries: encode(q, [H, n, DEV_D], "float16", 6), keys: encode(k, [kv, n, DEV_D], "float16", 2) },
        data: { scaling: 1 / Math.sqrt(DEV_D), kv_heads: kv, group: H / kv },
      };
    }
    case "logit_lens": {
      const K = 5;
      const vocab = [...new Set(o.tokens)];
      const idx = new Float32Array(o.nLayers * n * K);
      const pr = new Float32Array(o.nLayers * n * K);
      for (let l = 0; l < o.nLayers; l++)
        for (let p = 0; p < n; p++) {
          let rest = 0.2 + 0.75 * ((l + 1) / o.nLayers) * rand();
          for (let r = 0; r < K; r++) {
            const b = (l * n + p) * K + r;
            idx[b] = r === 0 && l === o.nLayers - 1 ? vocab.indexOf(o.tokens[(p + 1) % n]!) : Math.floor(rand() * vocab.length);
            pr[b] = rest;
            rest *= 0.5;
          }
        }
      return { arrays: { indices: encode(idx, [o.nLayers, n, K], "uint32", 4), probs: encode(pr, [o.nLayers, n, K], "float16", 2) }, data: { vocab, k: K } };
    }
    case "mlp_top": {
      const K = 10;
      const idx = new Float32Array(n * K);
      const val = new Float32Array(n * K);
      for (let i = 0; i < n; i++) {
        let v = 2 + rand() * 3;
        for (let r = 0; r < K; r++) {
          idx[i * K + r] = (i * 37 + r * 11 + layer * 5) % DEV_NEURONS;
          val[i * K + r] = v;
          v *= 0.8;
        }
      }
      return { arrays: { indices: encode(idx, [n, K], "uint16", 2), values: encode(val, [n, K], "float16", 2) }, data: { n_neurons: DEV_NEURONS } };
    }
    case "neuron": {
      const act = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7 + (o.neuron ?? 0)) * 2 + (rand() - 0.5));
      return { arrays: { activations: encode(act, [n], "float16", 2) }, data: {} };
    }
    case "attribution": {
      const pos = o.position ?? n - 1;
      const vals = Float32Array.from({ length: n }, (_, i) => (i > pos ? 0 : Math.sin(i * 1.3 + pos) * (1 + i / n)));
      const total = vals.reduce((a, b) => a + b, 0);
      return {
        arrays: { values: encode(vals, [n], "float32", 4) },
        data: { method: o.method ?? "integrated_gradients", position: pos, target_id: 1, target_token: o.tokens[(pos + 1) % n], target_prob: 0.42, contrast_id: null, contrast_token: null, total },
      };
    }
    case "ablation": {
      const att = syntheticLayer(layer + 1, H, n); // "changed" attention: another layer's pattern
      const row = (i: number, before: number, after: number) => ({ id: i, token: o.tokens[i % n]!, before, after });
      return {
        arrays: { attention: encode(att, [H, n, n], "float16", 8) },
        data: { spec: "", position: o.position ?? n - 1, before: [row(1, 0.5, 0.1), row(2, 0.2, 0.3)], after: [row(2, 0.2, 0.3), row(1, 0.5, 0.1)] },
      };
    }
    case "attribution_matrix": {
      const rows = Array.from({ length: n - 1 }, (_, i) => i + 1);
      const vals = new Float32Array(rows.length * n);
      rows.forEach((p, r) => {
        for (let c = 0; c < p; c++) vals[r * n + c] = Math.sin(r + c * 0.7);
      });
      return { arrays: { values: encode(vals, [rows.length, n], "float32", 4) }, data: { rows, method: o.method ?? "integrated_gradients" } };
    }
    case "edit":
      return { arrays: {}, data: { version: 1, text: "edited" } };
    case "compare": {
      // Run B: the same tokens with token 2 replaced and one inserted before the last.
      const tokensB = [...o.tokens.slice(0, n - 1), " new", o.tokens[n - 1]!];
      tokensB[2] = " dog";
      const pairs: [number | null, number | null][] = o.tokens.map((_, i) => [i, i < n - 1 ? i : n]);
      pairs.splice(n - 1, 0, [null, n - 1]);
      const P = pairs.length;
      const a = syntheticLayer(layer, H, n);
      const b = syntheticLayer(layer + 1, H, n + 1);
      const outA = new Float32Array(H * P * P);
      const outB = new Float32Array(H * P * P);
      for (let hd = 0; hd < H; hd++)
        pairs.forEach(([qi, qj], qc) =>
          pairs.forEach(([ki, kj], kc) => {
            if (qi !== null && ki !== null) outA[(hd * P + qc) * P + kc] = a[(hd * n + qi) * n + ki]!;
            if (qj !== null && kj !== null) outB[(hd * P + qc) * P + kc] = b[(hd * (n + 1) + qj) * (n + 1) + kj]!;
          }),
        );
      const row = (i: number, before: number, after: number) => ({ id: i, token: o.tokens[i % n]!, before, after });
      return {
        arrays: { a: encode(outA, [H, P, P], "float16", 2), b: encode(outB, [H, P, P], "float16", 2) },
        data: { pairs, changed: pairs.map(([i, j]) => i === null || j === null || o.tokens[i] !== tokensB[j]), tokens_b: tokensB, predictions: { a: [row(1, 0.5, 0.2)], b: [row(2, 0.1, 0.4)] } },
      };
    }
    case "compare_attribution": {
      const P = n + 1;
      return {
        arrays: { a: encode(Float32Array.from({ length: P }, (_, i) => Math.sin(i)), [P], "float32", 4), b: encode(Float32Array.from({ length: P }, (_, i) => Math.cos(i)), [P], "float32", 4) },
        data: { method: o.method ?? "integrated_gradients", target_token: o.tokens[1] },
      };
    }
  }
  return null;
}

/** A reply as it sits in the `_replies` trait: each array's buffer is the DataView itself. */
export function inlineReply(what: string, key: string, built: { arrays: Record<string, EncodedArray>; data: Record<string, unknown> }) {
  return { kind: "reply", what, key, arrays: built.arrays, data: built.data };
}

/** A reply message (buffer indices) and its buffers, as the kernel sends it. */
export function replyMessage(what: string, key: string, id: unknown, built: { arrays: Record<string, EncodedArray>; data: Record<string, unknown> }) {
  const buffers: DataView[] = [];
  const arrays: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(built.arrays)) {
    buffers.push(a.buffer as DataView);
    arrays[name] = { dtype: a.dtype, shape: a.shape, buffer: buffers.length - 1 };
  }
  return { content: { kind: "reply", what, key, id, arrays, data: built.data }, buffers };
}

/** An in-page model's `onSend` that answers every request with synthetic data, as Python would. */
export function answerRequests(o: { nLayers: number; nHeads: number; kvHeads?: number; tokens: string[] }) {
  return (content: unknown, model: { emitCustom(content: unknown, buffers?: DataView[]): void }): void => {
    const c = content as { kind: string; what: string; key?: string; stack: string; layer?: number; neuron?: number; id: number; position?: number; method?: string };
    if (c.kind !== "request" || answerLod(content, model, o)) return; // attention_tile / _heads / _cell: synthetic-lod.ts
    const rerun = reruns(c.what);
    // Reruns: the kernel says it is working, answers a moment later, and names the reply by id alone.
    const key = rerun ? (undefined as unknown as string) : (c.key ?? requestKey(c.what, c.stack, c.layer, c.neuron));
    const built = syntheticArrays(c.what, { ...o, layer: c.layer, neuron: c.neuron, position: c.position, method: c.method, params: c });
    if (!built) return;
    const m = replyMessage(c.what, key, c.id, built);
    if (!rerun) return model.emitCustom(m.content, m.buffers);
    model.emitCustom({ kind: "working", id: c.id });
    setTimeout(() => model.emitCustom(m.content, m.buffers), 5);
  };
}

/** Split a reply into `{kind: "chunk"}` messages of at most `limit` buffer bytes, as protocol.chunked does. */
export function chunkMessages(content: { key: string; id: unknown }, buffers: DataView[], limit: number) {
  const chunks: { buffer: number; offset: number; view: DataView }[][] = [[]];
  let room = limit;
  buffers.forEach((b, i) => {
    for (let offset = 0; offset < b.byteLength; ) {
      if (room === 0) {
        chunks.push([]);
        room = limit;
      }
      const n = Math.min(room, b.byteLength - offset);
      chunks[chunks.length - 1]!.push({ buffer: i, offset, view: new DataView(b.buffer, b.byteOffset + offset, n) });
      offset += n;
      room -= n;
    }
  });
  return chunks.map((pieces, index) => ({
    content: {
      kind: "chunk",
      id: content.id,
      key: content.key,
      index,
      count: chunks.length,
      pieces: pieces.map(({ buffer, offset }) => ({ buffer, offset })),
      ...(index === 0 ? { reply: content, sizes: buffers.map((b) => b.byteLength) } : {}),
    },
    buffers: pieces.map((p) => p.view),
  }));
}
