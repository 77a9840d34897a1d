/** Shapes shared by the widget glue and the views. */

/** The subset of anywidget's model interface that attnlens uses. */
export interface AnyModel {
  get(name: string): unknown;
  set(name: string, value: unknown): void;
  save_changes(): void;
  on(event: string, callback: (...args: any[]) => void): void;
  off(event?: string | null, callback?: ((...args: any[]) => void) | null): void;
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[] | ArrayBufferView[]): void;
}

/** Which token list a stack's queries or keys come from. */
export type Side = "input" | "source" | "target";

/** One attention stack of `_meta.stacks` ("self"; or "encoder", "decoder", "cross" for seq2seq). */
export interface StackMeta {
  name: string;
  n_layers: number;
  n_heads: number;
  kv_heads: number;
  queries: Side;
  keys: Side;
  has_qk: boolean;
  has_mlp: boolean;
}

/** `_meta` trait (read-only, from Python), normalised by readMeta. */
export interface Meta {
  tokens: string[];
  /** Decoder tokens of a seq2seq model, else null. */
  target_tokens: string[] | null;
  n_layers: number;
  n_heads: number;
  n_tokens: number;
  model_name: string;
  model_type: string;
  causal: boolean;
  special: boolean[];
  has_logit_lens: boolean;
  stacks: StackMeta[];
  /** The stack the logits (logit lens, attributions) come from: Python's `logits_stack`. */
  logits_stack: string;
  /** The kernel keeps the model: attributions and ablations can be computed on request. */
  can_rerun: boolean;
  /** Attribution methods the kernel offers. */
  methods: string[];
  /** The comparison this widget opened with (al.compare): its version and both texts; else null. */
  compare: { version: number; text_a: string; text_b: string } | null;
}

export type DType = "float16" | "uint8" | "float32" | "uint16" | "uint32";

/** An array as Python serialises it: little-endian values of `dtype`, row-major `shape`. */
export interface EncodedArray {
  dtype: DType;
  shape: number[];
  buffer: DataView | ArrayBuffer | ArrayBufferView;
}

/**
 * A decoded attention layer, [heads, nq, nk] row-major: row = query, column = key.
 * The weight of query i to key j in head h is `data[(h * nq + i) * nk + j] * scale`
 * (uint8 payloads stay bytes with scale 1/255: no copy, even at 8,192 tokens).
 */
export interface LayerAttention {
  heads: number;
  nq: number;
  nk: number;
  data: Float32Array | Uint8Array;
  scale: number;
}

export type LayerState =
  | { state: "ready" }
  | { state: "loading"; since?: number }
  | { state: "error"; message: string }
  | { state: "no-kernel"; message: string };

/** What a view needs to read attention of one stack; backed by the widget's ReplyCache. */
export interface AttentionSource {
  /** The decoded layer, or undefined when it is not in the page (yet). */
  get(layer: number): LayerAttention | undefined;
  state(layer: number): LayerState;
  /** Ask for the layer if the page lacks it (no-op when present or already asked). */
  ensure(layer: number): void;
  subscribe(fn: () => void): () => void;
}

export interface ViewHandle {
  destroy(): void;
}
