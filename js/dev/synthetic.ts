/** Synthetic but realistic attention for the dev page and tests (deterministic). */
import { floatToHalf } from "../src/decode";
import type { DType, EncodedArray } from "../src/types";

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
  const rand = rng(1000 + layer * 97);
  for (let h = 0; h < nHeads; h++) {
    const role = (h + layer) % 4;
    for (let i = 0; i < n; i++) {
      const logits = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        let x = rand() * 1.5;
        if (role === 0) x += j === i - 1 || (i === 0 && j === 0) ? 6 : 0;
        if (role === 1) x += j === i ? 5 : 0;
        if (role === 2) x += j === 0 ? 4.5 : 0;
        if (role === 3) x += rand() < 0.15 ? 3 : 0;
        logits[j] = causal && j > i ? -Infinity : x;
      }
      let max = -Infinity;
      for (const v of logits) max = Math.max(max, v);
      let sum = 0;
      for (let j = 0; j < n; j++) sum += logits[j] === -Infinity ? 0 : Math.exp(logits[j]! - max);
      for (let j = 0; j < n; j++) {
        out[h * n * n + i * n + j] = logits[j] === -Infinity ? 0 : Math.exp(logits[j]! - max) / sum;
      }
    }
  }
  return out;
}

/** Encode values as Python does, into a DataView that starts `pad` bytes into a larger buffer. */
export function encode(values: ArrayLike<number>, shape: number[], dtype: DType = "float16", pad = 8): EncodedArray {
  const size = dtype === "float32" ? 4 : dtype === "float16" ? 2 : 1;
  const ab = new ArrayBuffer(pad + values.length * size + 8);
  const view = new DataView(ab, pad, values.length * size);
  for (let k = 0; k < values.length; k++) {
    const v = values[k]!;
    if (dtype === "float32") view.setFloat32(k * 4, v, true);
    else if (dtype === "float16") view.setUint16(k * 2, floatToHalf(v), true);
    else view.setUint8(k, Math.max(0, Math.min(255, Math.round(v * 255))));
  }
  return { dtype, shape, buffer: view };
}

export function devMeta(tokens: string[], nLayers: number, nHeads: number, modelName = "synthetic-gpt") {
  return {
    tokens,
    n_layers: nLayers,
    n_heads: nHeads,
    n_tokens: tokens.length,
    model_name: modelName,
    causal: true,
    special: tokens.map((t) => t === "<|endoftext|>"),
  };
}
