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

/** `_meta` trait (read-only, from Python). */
export interface Meta {
  tokens: string[];
  n_layers: number;
  n_heads: number;
  n_tokens: number;
  model_name: string;
  causal: boolean;
  special: boolean[];
}

export type DType = "float16" | "uint8" | "float32";

/** One layer as Python serialises it: shape [heads, n_tokens, n_tokens], row = query, column = key. */
export interface EncodedArray {
  dtype: DType;
  shape: number[];
  buffer: DataView | ArrayBuffer | ArrayBufferView;
}

/** A decoded layer: data[h * n * n + i * n + j] = attention of query i to key j in head h. */
export interface LayerAttention {
  heads: number;
  n: number;
  data: Float32Array;
}

export type LayerState =
  | { state: "ready" }
  | { state: "loading" }
  | { state: "error"; message: string }
  | { state: "no-kernel"; message: string };

/** What a view needs to read attention; implemented per widget instance by AttentionCache. */
export interface AttentionSource {
  /** The decoded layer, or undefined when it is not in the page (yet). */
  get(layer: number): LayerAttention | undefined;
  state(layer: number): LayerState;
  /** Ask for the layer if the page lacks it (no-op when present or already asked). */
  ensure(layer: number): void;
  subscribe(fn: () => void): () => void;
}

export interface ViewData {
  meta: Meta;
  attention: AttentionSource;
}

export interface ViewHandle {
  destroy(): void;
}
