/** Pure helpers of the MLP view: a token's top neurons, colour scale of one neuron's activations. */
import type { Reply } from "../../replies";

export interface TopNeuron {
  neuron: number;
  value: number;
}

/** The top neurons (best first) of `token` from an "mlp_top" reply ([tokens, k] indices and values). */
export function topNeurons(reply: Reply | undefined, token: number): TopNeuron[] {
  const idx = reply?.arrays.indices;
  const val = reply?.arrays.values;
  if (!idx || !val || idx.shape.length !== 2) return [];
  const [n, k] = idx.shape as [number, number];
  if (token < 0 || token >= n) return [];
  const out: TopNeuron[] = [];
  for (let r = 0; r < k; r++) out.push({ neuron: idx.values[token * k + r]!, value: val.values[token * k + r]! * val.scale });
  return out;
}

/** Symmetric range for a diverging scale: the largest |activation| (1 when all are 0). */
export function activationRange(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]!));
  return m > 0 ? m : 1;
}
