/**
 * Per-widget reply cache for every kind of data the page asks Python for (protocol.py):
 *
 * page → kernel `{kind: "request", what, stack, layer?, neuron?, id}`;
 * kernel → page `{kind: "reply", what, key, id, arrays: {name: {dtype, shape, buffer: index}}, data}` +
 * buffers, or `{kind: "error", key, id, message}`.
 *
 * Replies over 8 MiB of buffers come as `{kind: "chunk", id, key, index, count, pieces, reply?, sizes?}`
 * messages (format in protocol.py's docstring), reassembled here in order; a missing or out-of-order
 * chunk, or chunks that stop arriving, put the key in an error state. Requests over `MAX_SEND_BYTES`
 * are refused in the page (Jupyter server closes the websocket on large messages from the page).
 *
 * Seeded from the `_replies` trait (`{key: reply}` with each array's `buffer` the DataView itself, or
 * `{base64}` in a static page; decoded lazily, on first use). One cache per widget instance.
 *
 * A kernel restart or shutdown leaves old outputs with a dead comm: the widget manager fires
 * `comm_live_update` (ipywidgets sets `comm_live = false`), `comm:close` comes when Python closes
 * the widget, and `send` throws on a disposed comm. Any of these marks the cache `kernelGone`: open
 * and later requests say so at once (KERNEL_GONE_MESSAGE) instead of timing out as "no kernel".
 */
import { decodeBase64 } from "./base64";
import { addChunk, type Assembly } from "./chunks";
import { decodeIntegers, decodeScaled, halfTable } from "./decode";
import type { AnyModel, DType, EncodedArray, LayerState } from "./types";

/** No answer in time: no kernel, or one that does not have this widget (a reopened notebook). */
export const NO_KERNEL_MESSAGE = "this needs a running kernel, and none answered (in a reopened notebook, run the cell again)";
export const KERNEL_GONE_MESSAGE = "the kernel that made this widget is gone (restarted or shut down); run the cell again";
/** Most bytes of one message from the page to the kernel. */
export const MAX_SEND_BYTES = 1 << 20;

export type What = "attention" | "thumbnails" | "qk" | "logit_lens" | "mlp_top" | "neuron" | "attribution" | "attribution_matrix" | "ablation" | "edit" | "compare" | "compare_attribution" | "attention_rows" | "attention_row" | "attention_tile" | "attention_tile_heads" | "attention_cell";

export interface Request {
  what: What;
  stack: string;
  layer?: number;
  neuron?: number;
  /** Further parts of the key, in order (protocol.request_key's `extra`). */
  extra?: string[];
  /** Further fields of the request message (method, position, heads…). */
  params?: Record<string, unknown>;
}

/** Free text inside a key: `%` and `:` escaped (mirrors protocol.key_part). */
export function keyPart(text: string): string {
  return text.replace(/%/g, "%25").replace(/:/g, "%3A");
}

/** Mirrors protocol.request_key: `attention:self:3`, `neuron:self:2:117`, `logit_lens:self`. */
export function requestKey(what: string, stack: string, layer?: number | null, neuron?: number | null, extra: string[] = []): string {
  const parts = [what, stack];
  if (layer !== undefined && layer !== null) parts.push(String(layer));
  if (neuron !== undefined && neuron !== null) parts.push(String(neuron));
  for (const x of extra) parts.push(keyPart(x));
  return parts.join(":");
}

export function keyOf(r: Request): string {
  return requestKey(r.what, r.stack, r.layer, r.neuron, r.extra);
}

/** One decoded array: floats (scaled by `scale`: uint8 stays bytes) or exact integers (uint16/uint32). */
export interface DecodedArray {
  dtype: DType;
  shape: number[];
  values: Float32Array | Uint8Array | Uint32Array;
  scale: number;
}

export interface Reply {
  what: string;
  key: string;
  arrays: Record<string, DecodedArray>;
  data: Record<string, unknown>;
}

interface Entry {
  raw?: { what: string; arrays: Record<string, EncodedArray | { dtype: DType; shape: number[]; buffer: unknown }>; data: Record<string, unknown> };
  decoded?: Reply;
  error?: string;
  requested?: boolean;
  noKernel?: boolean;
  /** When the kernel said it started on this request (a slow rerun): progress, not "no kernel". */
  workingSince?: number;
  timer?: ReturnType<typeof setTimeout>;
  chunks?: Assembly;
}

/** UTF-8 size of a message as JSON (what the comm sends for a message without buffers). */
export function messageBytes(msg: unknown): number {
  return new TextEncoder().encode(JSON.stringify(msg)).length;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null;
}

/** A buffer as it arrives: DataView / ArrayBuffer / typed array, or `{base64}` from a static page. */
export function toBinary(buffer: unknown): DataView | ArrayBuffer | ArrayBufferView {
  if (buffer instanceof DataView || buffer instanceof ArrayBuffer || ArrayBuffer.isView(buffer)) return buffer;
  if (isObject(buffer) && typeof buffer.base64 === "string") return decodeBase64(buffer.base64);
  throw new Error("attnlens: a reply buffer is missing or not binary");
}

export interface ReplyCacheOptions {
  timeoutMs?: number;
}

export class ReplyCache {
  private entries = new Map<string, Entry>();
  private listeners = new Set<() => void>();
  private ids = new Map<number, string>();
  private nextId = 1;
  private globalError: string | null = null;
  private table: Float32Array | null = null;
  private readonly timeoutMs: number;
  private readonly onTraitChange = () => this.seed();
  private readonly onCustom = (content: unknown, buffers?: unknown[]) => this.receive(content, buffers);
  private readonly onCommDead = () => this.loseKernel();
  private kernelGone = false;

  constructor(
    private readonly model: AnyModel,
    opts: ReplyCacheOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.seed();
    model.on("change:_replies", this.onTraitChange);
    model.on("msg:custom", this.onCustom);
    // Fired after render only when the comm dies (the manager sets comm_live before views exist).
    model.on("comm_live_update", this.onCommDead);
    model.on("comm:close", this.onCommDead);
  }

  /** The kernel behind this widget is gone: every request still waiting, and every later one, says so. */
  private loseKernel(): void {
    if (this.kernelGone || this.destroyed) return;
    this.kernelGone = true;
    for (const e of this.entries.values()) {
      if (e.raw || e.error || !(e.requested || e.workingSince !== undefined || e.chunks)) continue;
      if (e.timer !== undefined) clearTimeout(e.timer);
      e.timer = undefined;
      e.chunks = undefined;
      e.workingSince = undefined;
      e.noKernel = true;
    }
    this.notify();
  }

  private entry(key: string): Entry {
    let e = this.entries.get(key);
    if (!e) this.entries.set(key, (e = {}));
    return e;
  }

  private put(key: string, reply: Entry["raw"]): void {
    const e = this.entry(key);
    if (e.timer !== undefined) clearTimeout(e.timer);
    e.timer = undefined;
    e.raw = reply;
    e.decoded = undefined;
    e.error = undefined;
    e.noKernel = false;
    e.workingSince = undefined;
  }

  private seed(): void {
    const value = this.model.get("_replies");
    if (!isObject(value)) return;
    let changed = false;
    for (const [key, reply] of Object.entries(value)) {
      if (!isObject(reply) || !isObject(reply.arrays)) continue;
      // A key names one answer: one the page holds already (a reply, or an earlier seed) is kept, so
      // Python adding answers to the trait (for a saved notebook) does not decode everything again.
      if (this.entries.get(key)?.raw) continue;
      this.put(key, {
        what: String(reply.what ?? key.split(":")[0]),
        arrays: reply.arrays as Record<string, EncodedArray>,
        data: isObject(reply.data) ? reply.data : {},
      });
      changed = true;
    }
    if (changed) this.notify();
  }

  private receive(content: unknown, buffers: unknown[] = []): void {
    if (!isObject(content)) return;
    const id = typeof content.id === "number" ? content.id : null;
    const key = typeof content.key === "string" ? content.key : id !== null ? this.ids.get(id) : undefined;
    if (content.kind === "chunk") {
      if (key) this.receiveChunk(key, content, buffers);
      return;
    }
    if (id !== null) this.ids.delete(id);
    if (content.kind === "reply") {
      if (!key) return;
      const arrays: Record<string, { dtype: DType; shape: number[]; buffer: unknown }> = {};
      let missing = "";
      for (const [name, spec] of Object.entries(isObject(content.arrays) ? content.arrays : {})) {
        if (!isObject(spec)) continue;
        const buffer = typeof spec.buffer === "number" ? buffers[spec.buffer] : spec.buffer;
        if (!buffer) missing = name;
        arrays[name] = { dtype: spec.dtype as DType, shape: spec.shape as number[], buffer };
      }
      if (missing) this.entry(key).error = `${key} arrived without its "${missing}" data`;
      else this.put(key, { what: String(content.what ?? ""), arrays, data: isObject(content.data) ? content.data : {} });
      this.notify();
    } else if (content.kind === "working") {
      if (!key) return;
      if (id !== null) this.ids.set(id, key); // the reply itself follows with the same id
      const e = this.entry(key);
      if (e.timer !== undefined) clearTimeout(e.timer);
      e.timer = undefined;
      e.noKernel = false;
      e.workingSince = Date.now();
      this.notify();
    } else if (content.kind === "error") {
      const message = typeof content.message === "string" ? content.message : "the kernel reported an error";
      if (key) {
        const e = this.entry(key);
        if (e.timer !== undefined) clearTimeout(e.timer);
        e.timer = undefined;
        e.error = message;
      } else {
        this.globalError = message;
      }
      this.notify();
    }
  }

  /** One chunk of a large reply: copied into place; the whole reply is handled once the last arrives. */
  private receiveChunk(key: string, content: Record<string, unknown>, buffers: unknown[]): void {
    const e = this.entry(key);
    const fail = (why: string) => {
      e.chunks = undefined;
      if (e.timer !== undefined) clearTimeout(e.timer);
      e.timer = undefined;
      e.error = `${key} arrived incomplete: ${why}`;
      this.notify();
    };
    let step: ReturnType<typeof addChunk>;
    try {
      step = addChunk(e.chunks, content, buffers);
    } catch (err) {
      fail(err instanceof Error ? err.message : String(err));
      return;
    }
    if (step.complete) {
      e.chunks = undefined;
      this.receive(step.complete.reply, step.complete.buffers);
      return;
    }
    const a = (e.chunks = step.assembly);
    this.restartTimer(key, e, () => fail(`only ${a.next} of ${a.count} chunks came`));
  }

  /** (Re)start a key's wait: a reply or chunk that does not come in time calls `onTimeout`. */
  private restartTimer(key: string, e: Entry, onTimeout: () => void): void {
    if (e.timer !== undefined) clearTimeout(e.timer);
    e.noKernel = false;
    e.timer = setTimeout(() => {
      e.timer = undefined;
      if (this.entries.get(key) === e) onTimeout();
    }, this.timeoutMs);
  }

  /** Whether the kernel behind this widget is known to be gone (then syncing traits is pointless). */
  get kernelLost(): boolean {
    return this.kernelGone;
  }

  /** Last error from Python not tied to a request, if any. */
  lastError(): string | null {
    return this.globalError;
  }

  has(key: string): boolean {
    return Boolean(this.entries.get(key)?.raw);
  }

  /** The decoded reply, or undefined when it is not in the page (yet) or did not decode. */
  get(key: string): Reply | undefined {
    const e = this.entries.get(key);
    if (!e?.raw) return undefined;
    if (!e.decoded) {
      try {
        const arrays: Record<string, DecodedArray> = {};
        for (const [name, spec] of Object.entries(e.raw.arrays)) {
          const payload: EncodedArray = { dtype: spec.dtype, shape: spec.shape, buffer: toBinary(spec.buffer) };
          if (spec.dtype === "uint16" || spec.dtype === "uint32") {
            arrays[name] = { dtype: spec.dtype, shape: spec.shape, values: decodeIntegers(payload), scale: 1 };
          } else {
            if (spec.dtype === "float16" && !this.table) this.table = halfTable();
            const { data, scale } = decodeScaled(payload, this.table ?? undefined);
            arrays[name] = { dtype: spec.dtype, shape: spec.shape, values: data, scale };
          }
        }
        e.decoded = { what: e.raw.what, key, arrays, data: e.raw.data };
      } catch (err) {
        e.error = err instanceof Error ? err.message : String(err);
        e.raw = undefined;
        return undefined;
      }
    }
    return e.decoded;
  }

  state(key: string): LayerState {
    const e = this.entries.get(key);
    if (e?.raw) return { state: "ready" };
    if (e?.error) return { state: "error", message: e.error };
    if (e?.noKernel) return { state: "no-kernel", message: this.kernelGone ? KERNEL_GONE_MESSAGE : NO_KERNEL_MESSAGE };
    if (e?.workingSince !== undefined) return { state: "loading", since: e.workingSince };
    return { state: "loading" };
  }

  /** Ask Python for `r` unless the page has it or asked already; returns its key. */
  request(r: Request): string {
    const key = keyOf(r);
    const e = this.entry(key);
    if (e.raw || e.requested) return key;
    e.requested = true;
    e.error = undefined;
    const id = this.nextId++;
    this.ids.set(id, key);
    const msg: Record<string, unknown> = { kind: "request", what: r.what, stack: r.stack, id, key };
    if (r.layer !== undefined) msg.layer = r.layer;
    if (r.neuron !== undefined) msg.neuron = r.neuron;
    for (const [name, value] of Object.entries(r.params ?? {})) if (!(name in msg)) msg[name] = value;
    const size = messageBytes(msg);
    if (size > MAX_SEND_BYTES) {
      e.requested = false;
      e.error = `the request for ${key} is ${size} bytes, over the ${MAX_SEND_BYTES} bytes a message to the kernel may have`;
      this.notify();
      return key;
    }
    if (this.kernelGone) {
      e.noKernel = true; // read by the caller's state(); no notify inside a view's draw
      return key;
    }
    try {
      this.model.send(msg);
    } catch {
      // A disposed comm (the kernel was shut down or restarted). Without any comm, send does
      // nothing and the timeout below reports it.
      this.loseKernel();
      return key;
    }
    e.timer = setTimeout(() => {
      e.timer = undefined;
      if (!e.raw && !e.error) {
        e.noKernel = true; // a late reply still fills it in
        this.notify();
      }
    }, this.timeoutMs);
    return key;
  }

  /** Decode the seeded replies in the background (a few per tick), so later use costs nothing. */
  warm(keys: string[], schedule: (fn: () => void) => void): void {
    const todo = keys.filter((k) => this.entries.get(k)?.raw && !this.entries.get(k)?.decoded);
    const step = () => {
      const k = todo.shift();
      if (k === undefined || this.destroyed) return;
      this.get(k);
      schedule(step);
    };
    schedule(step);
  }

  keys(): string[] {
    return [...this.entries.keys()].filter((k) => this.entries.get(k)?.raw);
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

  private destroyed = false;

  destroy(): void {
    this.destroyed = true;
    this.model.off("change:_replies", this.onTraitChange);
    this.model.off("msg:custom", this.onCustom);
    this.model.off("comm_live_update", this.onCommDead);
    this.model.off("comm:close", this.onCommDead);
    for (const e of this.entries.values()) if (e.timer !== undefined) clearTimeout(e.timer);
    this.entries.clear();
    this.listeners.clear();
  }
}
