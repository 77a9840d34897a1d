/**
 * Per-widget attention cache. Seeded from the `_attention` trait (layers sent with the widget state),
 * extended by `{kind: "attention_request", layer}` messages that Python answers with
 * `{kind: "attention", layer, dtype, shape}` + buffers[0], or `{kind: "error", message}`.
 */
import { decodeArray } from "./decode";
import type { AnyModel, AttentionSource, EncodedArray, LayerAttention, LayerState } from "./types";

export const NO_KERNEL_MESSAGE = "this needs a running kernel";

export interface AttentionCacheOptions {
  timeoutMs?: number;
  nLayers?: number;
}

interface Entry {
  raw?: EncodedArray;
  decoded?: LayerAttention;
  error?: string;
  requested?: boolean;
  noKernel?: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null;
}

export class AttentionCache implements AttentionSource {
  private entries = new Map<number, Entry>();
  private listeners = new Set<() => void>();
  private globalError: string | null = null;
  private readonly timeoutMs: number;
  private readonly nLayers: number | undefined;
  private readonly onTraitChange = () => this.seed();
  private readonly onCustom = (content: unknown, buffers?: unknown[]) => this.receive(content, buffers);

  constructor(
    private readonly model: AnyModel,
    opts: AttentionCacheOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.nLayers = opts.nLayers;
    this.seed();
    model.on("change:_attention", this.onTraitChange);
    model.on("msg:custom", this.onCustom);
  }

  private entry(layer: number): Entry {
    let e = this.entries.get(layer);
    if (!e) {
      e = {};
      this.entries.set(layer, e);
    }
    return e;
  }

  private store(layer: number, raw: EncodedArray): void {
    const e = this.entry(layer);
    if (e.timer !== undefined) clearTimeout(e.timer);
    e.timer = undefined;
    e.raw = raw;
    e.decoded = undefined;
    e.error = undefined;
    e.noKernel = false;
  }

  private seed(): void {
    const value = this.model.get("_attention");
    if (!isObject(value)) return;
    for (const [key, payload] of Object.entries(value)) {
      const layer = Number(key);
      if (!Number.isInteger(layer) || !isObject(payload)) continue;
      const e = this.entries.get(layer);
      if (e?.raw && e.raw.buffer === payload.buffer) continue;
      this.store(layer, payload as unknown as EncodedArray);
    }
    this.notify();
  }

  private receive(content: unknown, buffers?: unknown[]): void {
    if (!isObject(content)) return;
    if (content.kind === "attention") {
      const layer = Number(content.layer);
      if (!Number.isInteger(layer)) return;
      const buffer = buffers?.[0];
      if (!buffer) {
        this.entry(layer).error = `layer ${layer} arrived without data`;
      } else {
        this.store(layer, {
          dtype: content.dtype as EncodedArray["dtype"],
          shape: content.shape as number[],
          buffer: buffer as DataView,
        });
      }
      this.notify();
    } else if (content.kind === "error") {
      const message = typeof content.message === "string" ? content.message : "the kernel reported an error";
      const layer = Number(content.layer);
      if (content.layer !== undefined && content.layer !== null && Number.isInteger(layer)) {
        const e = this.entry(layer);
        if (e.timer !== undefined) clearTimeout(e.timer);
        e.timer = undefined;
        e.error = message;
      } else {
        this.globalError = message;
        for (const e of this.entries.values()) {
          if (e.timer !== undefined) clearTimeout(e.timer);
          e.timer = undefined;
          if (!e.raw && e.requested) e.error = message;
        }
      }
      this.notify();
    }
  }

  /** Last error message from Python that was not tied to a layer, if any. */
  lastError(): string | null {
    return this.globalError;
  }

  get(layer: number): LayerAttention | undefined {
    const e = this.entries.get(layer);
    if (!e?.raw) return undefined;
    if (!e.decoded) {
      try {
        const shape = e.raw.shape;
        if (!Array.isArray(shape) || shape.length !== 3 || shape[1] !== shape[2]) {
          throw new Error(`attnlens: layer ${layer} has shape [${String(shape)}], expected [heads, n, n]`);
        }
        const data = decodeArray(e.raw);
        e.decoded = { heads: shape[0]!, n: shape[1]!, data };
      } catch (err) {
        e.error = err instanceof Error ? err.message : String(err);
        e.raw = undefined;
        return undefined;
      }
    }
    return e.decoded;
  }

  state(layer: number): LayerState {
    const e = this.entries.get(layer);
    if (e?.raw) return { state: "ready" };
    if (e?.error) return { state: "error", message: e.error };
    if (e?.noKernel) return { state: "no-kernel", message: NO_KERNEL_MESSAGE };
    return { state: "loading" };
  }

  ensure(layer: number): void {
    if (!Number.isInteger(layer) || layer < 0) return;
    if (this.nLayers !== undefined && layer >= this.nLayers) return;
    const e = this.entry(layer);
    if (e.raw || e.requested) return;
    e.requested = true;
    e.error = undefined;
    try {
      this.model.send({ kind: "attention_request", layer });
    } catch {
      // No comm (e.g. a static page without a kernel): the timeout below reports it.
    }
    e.timer = setTimeout(() => {
      e.timer = undefined;
      if (!e.raw && !e.error) {
        e.noKernel = true; // a late reply still fills the layer in
        this.notify();
      }
    }, this.timeoutMs);
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  private notify(): void {
    for (const fn of [...this.listeners]) fn();
  }

  destroy(): void {
    this.model.off("change:_attention", this.onTraitChange);
    this.model.off("msg:custom", this.onCustom);
    for (const e of this.entries.values()) if (e.timer !== undefined) clearTimeout(e.timer);
    this.entries.clear();
    this.listeners.clear();
  }
}
