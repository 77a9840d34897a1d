/** Pure helpers of ablation marking: the `ablate` list ("head:L:H", "neuron:L:N") and its request. */
import { ablationItem as partName, parseAblationItem as parsePart, type AblationPart as Part } from "../../contract";
import type { Request } from "../../replies";

// The `ablate` item format is parsed in one place: the wire contract.
export { partName, parsePart, type Part };

/** `list` with `part` added, or removed when it was there; sorted like the trait. */
export function togglePart(list: readonly string[], part: Part): string[] {
  const name = partName(part);
  const out = list.includes(name) ? list.filter((x) => x !== name) : [...list, name];
  return out.sort();
}

function byLayerThenIndex(a: Part, b: Part): number {
  return a.layer - b.layer || a.index - b.index;
}

/** Mirrors views/ablation.py ablation_spec: `zero;h1.2,h1.3;n0.117` (sorted, unique). */
export function ablationSpec(list: readonly string[], mode: string): string {
  const parts = [...new Set(list)].map(parsePart).filter((p): p is Part => p !== null);
  const heads = parts.filter((p) => p.kind === "head").sort(byLayerThenIndex).map((p) => `h${p.layer}.${p.index}`);
  const neurons = parts.filter((p) => p.kind === "neuron").sort(byLayerThenIndex).map((p) => `n${p.layer}.${p.index}`);
  return `${mode};${heads.join(",")};${neurons.join(",")}`;
}

/** The request for an ablated rerun's prediction and its attention at `layer`. */
export function ablationRequest(stack: string, layer: number, position: number, list: readonly string[], mode: string): Request {
  const parts = list.map(parsePart).filter((p): p is Part => p !== null);
  return {
    what: "ablation",
    stack,
    layer,
    extra: [String(position), ablationSpec(list, mode)],
    params: {
      position,
      mode,
      heads: parts.filter((p) => p.kind === "head").map((p) => [p.layer, p.index]),
      neurons: parts.filter((p) => p.kind === "neuron").map((p) => [p.layer, p.index]),
    },
  };
}

/** Largest change between two attention matrices of one head ([nq, nk] slices): where and how much. */
export function largestChange(
  before: ArrayLike<number>,
  bScale: number,
  after: ArrayLike<number>,
  aScale: number,
  offset: number,
  nq: number,
  nk: number,
): { query: number; key: number; delta: number; maxAbs: number } {
  let best = { query: 0, key: 0, delta: 0, maxAbs: 0 };
  for (let i = 0; i < nq; i++)
    for (let j = 0; j < nk; j++) {
      const d = after[offset + i * nk + j]! * aScale - before[offset + i * nk + j]! * bScale;
      if (Math.abs(d) > best.maxAbs) best = { query: i, key: j, delta: d, maxAbs: Math.abs(d) };
    }
  return best;
}
