/**
 * Pure drawing of the MLP view: the hint, the top-neuron rows (bar width, labels, pressed and marked
 * states) and the token chips' colours by the selected neuron's activation.
 */
import { divergingColor, textOn, type RGB } from "../../colors";
import { quoteToken } from "../../tokens";
import { rgbCss } from "../common/paint";
import { activationRange, type TopNeuron } from "./layout";

/** The hint above the list: the layer and the token it explains, and why that token. */
export function mlpHint(layer: number, token: string, t: number, s: { hover: number | null; token: number | null }): string {
  const why = s.hover !== null ? ", hovered" : s.token !== null ? ", locked" : ", the last";
  return `Neurons of layer ${layer} that fire most on ${quoteToken(token)} (token ${t}${why}). Click one to colour every token by it.`;
}

export interface NeuronRow {
  neuron: number;
  value: string;
  /** Bar width, % of the row's bar area (at least 2). */
  bar: number;
  /** The selected neuron (aria-pressed). */
  on: boolean;
  label: string;
  /** Marked for ablation (the ✂ button). */
  marked: boolean;
  cutLabel: string;
  cutTitle: string;
}

/** One row per top neuron: bars scaled to the largest |activation| of the list. */
export function neuronRows(top: readonly TopNeuron[], selected: number | null, ablate: readonly string[], layer: number): NeuronRow[] {
  const max = activationRange(top.map((x) => x.value));
  return top.map((x) => {
    const on = selected === x.neuron;
    const marked = ablate.includes(`neuron:${layer}:${x.neuron}`);
    const verb = marked ? "unmark" : "mark";
    return {
      neuron: x.neuron,
      value: x.value.toFixed(2),
      bar: Math.max(2, (Math.abs(x.value) / max) * 100),
      on,
      label: `neuron ${x.neuron}, activation ${x.value.toFixed(2)}${on ? ", selected" : ""}`,
      marked,
      cutLabel: `${verb} neuron ${x.neuron} of layer ${layer} for ablation`,
      cutTitle: `${verb} neuron ${x.neuron} for ablation`,
    };
  });
}

/** A token chip's colours for activation `v` (diverging scale over ±range). */
export function chipColors(v: number, range: number, bg: RGB): { background: string; color: string } {
  const rgb = divergingColor(v / range, bg);
  return { background: rgbCss(rgb), color: textOn(rgb) };
}

/** The selected neuron's status line. */
export const neuronLegend = (neuron: number, layer: number, range: number): string =>
  `Neuron ${neuron} of layer ${layer}: orange = positive, blue = negative (max |activation| ${range.toFixed(2)}).`;
