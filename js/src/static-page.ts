/**
 * Self-contained offline page (Python's `Lens.save_html`): every
 * `<script type="application/vnd.attnlens+json">` element holds one widget's state as JSON,
 * `{layer, heads, token, target, neuron, view, mode, stack, _meta, _replies}`, where `_replies` maps a
 * request key ("attention:self:3") to a reply whose arrays carry `buffer: {base64}`. Each becomes an
 * independent widget over an in-page model, inserted right after its script element. Requests for keys
 * that were not saved are answered with an error saying they need a running kernel.
 * Nothing is fetched; the JSON is only ever parsed as JSON.
 */
import { createMemoryModel, type MemoryModel } from "./memory-model";
import { decodeBase64 } from "./base64";
import { inflate, isDeflated } from "./inflate";
import { notSavedMessage } from "./contract";
import { requestKey, toBinary } from "./replies";
import type { AnyModel } from "./types";
import { answerLod, isLodRequest } from "./static-lod";
import { render } from "./widget";

export const STATE_SELECTOR = 'script[type="application/vnd.attnlens+json"]';
const BOOTED = "data-attnlens-booted";

export { decodeBase64, notSavedMessage };

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/**
 * Parse the text of a state script. The Python writer escapes `</` as `<\/` (valid JSON) and `<!--` as
 * `<\!--` (not valid JSON: `\!` is no JSON escape), so the latter is undone first. In valid JSON `<` is
 * never directly followed by a backslash escape of `!`, so no other text is touched.
 */
// Spelled so that the bundle itself never contains the sequence (it is inlined in a <script>).
const COMMENT_OPEN = ["<", "!--"].join("");
const ESCAPED_COMMENT_OPEN = ["<", "\\!--"].join("");

export function parseState(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text.split(ESCAPED_COMMENT_OPEN).join(COMMENT_OPEN));
  if (!isObject(value)) throw new Error("attnlens: the embedded state is not a JSON object");
  return value;
}

function isReply(x: unknown): x is SavedReply {
  return isObject(x) && isObject(x.arrays);
}

type SavedReply = { what?: unknown; arrays: Record<string, { dtype: string; shape: number[]; buffer: unknown }>; data?: unknown };

/** Decoded bytes of all buffers inflated in the background, at most (beyond it: on request only). */
export const BACKGROUND_BYTES = 512 * 1024 * 1024;

/** A saved reply's arrays with every buffer binary (compressed ones inflated), plus their buffers. */
async function unpack(r: SavedReply): Promise<{ arrays: Record<string, unknown>; buffers: DataView[] }> {
  const buffers: DataView[] = [];
  const arrays: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(r.arrays)) {
    let b: DataView | ArrayBuffer | ArrayBufferView;
    if (isDeflated(spec.buffer)) b = await inflate(decodeBytes(spec.buffer.base64), spec.buffer.bytes);
    else b = toBinary(spec.buffer);
    buffers.push(b instanceof DataView ? b : ArrayBuffer.isView(b) ? new DataView(b.buffer, b.byteOffset, b.byteLength) : new DataView(b));
    arrays[name] = { dtype: spec.dtype, shape: spec.shape, buffer: buffers.length - 1 };
  }
  return { arrays, buffers };
}

function decodeBytes(text: string): Uint8Array {
  const v = decodeBase64(text);
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function packedSize(r: SavedReply): number {
  let n = 0;
  for (const spec of Object.values(r.arrays)) if (isDeflated(spec.buffer)) n += spec.buffer.bytes ?? 0;
  return n;
}

/**
 * An in-page model for one embedded state. Replies without compressed buffers seed the page's
 * `_replies` at once (decoded lazily by the widget's reply cache). Replies with compressed buffers are
 * inflated when the page asks for them and, once those answers are out, in the background (first come,
 * first kept, up to BACKGROUND_BYTES), and handed over as reply messages, as a kernel would.
 * Requests for other keys are answered with an error that says they need a running kernel.
 */
export function modelFromState(state: Record<string, unknown>): MemoryModel {
  const saved = isObject(state._replies) ? (state._replies as Record<string, unknown>) : {};
  const plain: Record<string, unknown> = {};
  const packed = new Map<string, SavedReply>();
  for (const [key, r] of Object.entries(saved)) {
    if (isReply(r) && Object.values(r.arrays).some((a) => isDeflated(a.buffer))) packed.set(key, r);
    else plain[key] = r;
  }
  const unpacking = new Map<string, Promise<{ arrays: Record<string, unknown>; buffers: DataView[] }>>();
  const delivered = new Set<string>();
  const unpackKey = (key: string, r: SavedReply) => {
    let p = unpacking.get(key);
    if (!p) unpacking.set(key, (p = unpack(r)));
    return p;
  };
  /** Hand a reply over once (a request and the background may both finish it). */
  const deliver = async (model: MemoryModel, key: string, r: SavedReply, id: unknown) => {
    try {
      const { arrays, buffers } = await unpackKey(key, r);
      if (delivered.has(key)) return;
      delivered.add(key);
      model.emitCustom({ kind: "reply", what: r.what, key, id, arrays, data: r.data ?? {} }, buffers);
    } catch (err) {
      model.emitCustom({ kind: "error", key, id, message: err instanceof Error ? err.message : String(err) });
    }
  };
  let background = false;
  let inFlight = 0;
  /** Inflate the replies not asked for yet, then hand them over in one task (one redraw, not one each). */
  const inflateRest = (model: MemoryModel) => {
    if (background || packed.size === 0) return;
    background = true;
    let budget = BACKGROUND_BYTES;
    const keys = [...packed.keys()].filter((k) => !delivered.has(k) && !unpacking.has(k) && (budget -= packedSize(packed.get(k)!)) >= 0);
    void (async () => {
      for (const key of keys) {
        try {
          await unpackKey(key, packed.get(key)!);
        } catch {
          // reported when the page asks for it
        }
        await new Promise((r) => setTimeout(r, 0)); // let frames and input in between
      }
      for (const key of keys) if (!delivered.has(key)) await deliver(model, key, packed.get(key)!, undefined);
    })();
  };
  return createMemoryModel(
    { ...state, _replies: plain },
    {
      onSend(content, model) {
        if (!isObject(content) || content.kind !== "request") return;
        // The page names its request (reruns carry more than what:stack:layer:neuron in their key).
        const key =
          typeof content.key === "string"
            ? content.key
            : requestKey(
                String(content.what),
                String(content.stack),
                typeof content.layer === "number" ? content.layer : undefined,
                typeof content.neuron === "number" ? content.neuron : undefined,
              );
        const id = content.id;
        // Answer asynchronously, as a kernel would; inflate the rest once the first answers are out.
        setTimeout(() => {
          const r = plain[key] ?? packed.get(key);
          const find = (k: string) => { const x = plain[k] ?? packed.get(k); return isReply(x) ? unpackKey(k, x).then((u) => ({ ...u, data: isObject(x.data) ? x.data : {} })) : Promise.resolve(undefined); };
          if (!r && isLodRequest(content.what)) return void answerLod(content, key, find).then((m) => model.emitCustom(m?.content ?? { kind: "error", key, id, message: notSavedMessage(key) }, m?.buffers)); // static-lod.ts
          if (!isReply(r)) {
            model.emitCustom({ kind: "error", key, id, message: notSavedMessage(key) });
            return;
          }
          inFlight++;
          void deliver(model, key, r, id).then(() => {
            // The background starts once every answer asked for so far is out (it shares the main thread).
            if (--inFlight === 0) setTimeout(() => inFlight === 0 && inflateRest(model), 200);
          });
        }, 0);
      },
    },
  );
}

export interface Booted {
  host: HTMLElement;
  model: AnyModel;
  cleanup: () => void;
}

/** Render a widget for every state script in `doc` not rendered yet. Errors are shown, not thrown. */
export function boot(doc: Document): Booted[] {
  const out: Booted[] = [];
  for (const script of Array.from(doc.querySelectorAll<HTMLScriptElement>(STATE_SELECTOR))) {
    if (script.hasAttribute(BOOTED)) continue;
    script.setAttribute(BOOTED, "true");
    const host = doc.createElement("div");
    host.className = "attnlens-host";
    script.after(host);
    try {
      const model = modelFromState(parseState(script.textContent ?? ""));
      out.push({ host, model, cleanup: render({ model, el: host }) });
    } catch (err) {
      const p = doc.createElement("p");
      p.className = "attnlens-error";
      p.textContent = `attnlens: could not show this widget (${err instanceof Error ? err.message : String(err)}).`;
      host.append(p);
    }
  }
  return out;
}

/** Boot now if the document is parsed this far, and again once it is complete (later scripts). */
export function autoBoot(doc: Document): void {
  boot(doc);
  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", () => boot(doc), { once: true });
}
