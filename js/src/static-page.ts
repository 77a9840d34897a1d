/**
 * Self-contained offline page (Python's `Lens.save_html`): every
 * `<script type="application/vnd.attnlens+json">` element holds one widget's state as JSON,
 * `{layer, heads, token, target, neuron, view, mode, _meta, _attention}`, where `_attention` maps a
 * layer ("3") to `{dtype, shape, buffer: {base64}}`. Each becomes an independent widget over an in-page
 * model, inserted right after its script element. Layers that were not saved are answered with an error.
 * Nothing is fetched; the JSON is only ever parsed as JSON.
 */
import { createMemoryModel, type MemoryModel } from "./memory-model";
import type { AnyModel } from "./types";
import { render } from "./widget";

export const STATE_SELECTOR = 'script[type="application/vnd.attnlens+json"]';
const BOOTED = "data-attnlens-booted";

/** Base64 (standard alphabet, padding optional, whitespace ignored) to a DataView over fresh bytes. */
export function decodeBase64(text: string): DataView {
  const clean = text.replace(/[\s]/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw new Error("attnlens: attention buffer is not valid base64");
  const binary = atob(clean);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new DataView(bytes.buffer);
}

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

export interface EmbeddedLayer {
  dtype: string;
  shape: number[];
  buffer: DataView;
}

/** `_attention` with every base64 buffer decoded to a DataView; malformed entries are left out. */
export function decodeAttention(value: unknown): Record<string, EmbeddedLayer> {
  const out: Record<string, EmbeddedLayer> = {};
  if (!isObject(value)) return out;
  for (const [layer, entry] of Object.entries(value)) {
    if (!isObject(entry) || !/^\d+$/.test(layer)) continue;
    const { dtype, shape, buffer } = entry;
    if (typeof dtype !== "string" || !Array.isArray(shape)) continue;
    let view: DataView | null = null;
    if (isObject(buffer) && typeof buffer.base64 === "string") view = decodeBase64(buffer.base64);
    else if (buffer instanceof DataView) view = buffer;
    if (view) out[String(Number(layer))] = { dtype, shape: shape.map(Number), buffer: view };
  }
  return out;
}

export function notSavedMessage(layer: number): string {
  return `Layer ${layer} was not saved in this page; open the notebook with a running kernel to compute it.`;
}

/** An in-page model for one embedded state; answers attention_request from the embedded layers. */
export function modelFromState(state: Record<string, unknown>): MemoryModel {
  const attention = decodeAttention(state._attention);
  return createMemoryModel(
    { ...state, _attention: attention },
    {
      onSend(content, model) {
        if (!isObject(content) || content.kind !== "attention_request") return;
        const layer = Number(content.layer);
        if (!Number.isInteger(layer)) return;
        // Answer asynchronously, as a kernel would.
        setTimeout(() => {
          const p = attention[String(layer)];
          if (p) model.emitCustom({ kind: "attention", layer, dtype: p.dtype, shape: p.shape }, [p.buffer]);
          else model.emitCustom({ kind: "error", layer, message: notSavedMessage(layer) });
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
