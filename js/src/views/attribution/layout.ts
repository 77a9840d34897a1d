/** Pure helpers of the attribution view: which position it explains, its request, value scaling. */
import type { Request } from "../../replies";
import type { Selection } from "../../store";

/** Methods that need no model rerun: they read the attention already captured. */
export const ATTENTION_METHODS = ["attention_rollout", "attention_flow"];

export const METHOD_TITLES: Readonly<Record<string, string>> = Object.freeze({
  integrated_gradients: "Integrated gradients",
  saliency: "Saliency (|gradient|)",
  input_x_gradient: "Input × gradient",
  deeplift: "DeepLIFT",
  gradient_shap: "GradientSHAP",
  occlusion: "Occlusion",
  feature_ablation: "Feature ablation",
  lime: "LIME",
  kernel_shap: "KernelSHAP",
  attention_rollout: "Attention rollout",
  attention_flow: "Attention flow",
});

/**
 * The position whose prediction is explained: the locked token, else the `target` trait, else the
 * last position (mirrors export.explained_position). Hover is ignored: each answer reruns the model.
 */
export function explainedPosition(s: Pick<Selection, "token" | "target">, n: number): number {
  for (const v of [s.token, s.target]) if (v !== null && v >= 0 && v < n) return v;
  return Math.max(0, n - 1);
}

/** The request for one attribution; the key mirrors protocol._attribution's. */
export function attributionRequest(stack: string, method: string, position: number, target: string, contrast: string): Request {
  return {
    what: "attribution",
    stack,
    extra: [method, String(position), target, contrast],
    params: { method, position, target, contrast },
  };
}

/** Largest |value| (1 when all are 0): the symmetric range of the diverging colour scale. */
export function symmetricRange(values: ArrayLike<number>, scale = 1): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Math.abs(values[i]! * scale);
    if (Number.isFinite(v)) m = Math.max(m, v);
  }
  return m > 0 ? m : 1;
}

/** "+0.123 (41% of the total)" for a value and the sum of all values. */
export function describeValue(value: number, total: number): string {
  const sign = value > 0 ? "+" : value < 0 ? "−" : "";
  const abs = Math.abs(value);
  const text = `${sign}${abs >= 100 || (abs > 0 && abs < 0.001) ? abs.toExponential(2) : abs.toFixed(3)}`;
  if (!Number.isFinite(total) || Math.abs(total) < 1e-12) return text;
  return `${text} (${Math.round((value / total) * 100)}% of the total)`;
}

/** Seconds since `since`, for the progress line. */
export function elapsed(since: number, now: number): string {
  return `${Math.max(0, Math.floor((now - since) / 1000))} s`;
}
