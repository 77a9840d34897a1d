/** Pure helpers of the MLP view: a token's top neurons, colour scale of one neuron's activations. */
import type { Reply } from "../../replies";
import { visibleWindow, type Window } from "../common/geometry";

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

/** Token chips of the strip: fixed cells so the strip can be virtualised like the other views. */
export const CHIP_W = 84;
export const CHIP_H = 22;

export interface ChipGrid {
  perRow: number;
  rows: number;
}

/** How `count` chips of CHIP_W px wrap into `width` px (at least one a row). */
export function chipGrid(width: number, count: number, chipW = CHIP_W): ChipGrid {
  const perRow = Math.max(1, Math.floor((width > 0 ? width : 640) / chipW));
  return { perRow, rows: Math.ceil(Math.max(0, count) / perRow) };
}

/** The chips (index range) in the rows seen through `viewport` px scrolled by `offset` px. */
export function chipWindow(offset: number, viewport: number, g: ChipGrid, count: number, chipH = CHIP_H): Window {
  const rows = visibleWindow(offset, viewport, chipH, g.rows, 2, 240);
  return { start: Math.min(count, rows.start * g.perRow), end: Math.min(count, rows.end * g.perRow) };
}
