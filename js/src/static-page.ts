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
import { requestKey, toBinary } from "./replies";
import type { AnyModel } from "./types";
import { render } from "./widget";

export const STATE_SELECTOR = 'script[type="application/vnd.attnlens+json"]';
const BOOTED = "data-attnlens-booted";

export { decodeBase64 };

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

/** What a request for an unsaved key says: `… needs a running kernel`. */
export function notSavedMessage(key: string): string {
  const [what = "", , layer, neuron] = key.split(":");
  const names: Record<string, string> = {
    attention: "attention",
    thumbnails: "the model view's thumbnails",
    qk: "q/k vectors",
    logit_lens: "the logit lens",
    mlp_top: "top MLP neurons",
    neuron: "the activations of this neuron",
    attribution: "this attribution (method and target)",
    ablation: "this ablation",
    edit: "a run of the edited text",
    compare: "this comparison",
    compare_attribution: "the attributions of this comparison",
  };
  let what2 = names[what] ?? what;
  if (what === "neuron" && neuron !== undefined) what2 = `neuron ${neuron}`;
  const rerun = ["attribution", "edit", "compare_attribution"].includes(what);
  const where = layer !== undefined && !rerun && /^\d+$/.test(layer) ? ` of layer ${layer}` : "";
  return `${what2.charAt(0).toUpperCase()}${what2.slice(1)}${where} was not saved in this page; it needs a running kernel.`;
}

function isReply(x: unknown): x is { what?: unknown; arrays: Record<string, { dtype: string; shape: number[]; buffer: unknown }>; data?: unknown } {
  return isObject(x) && isObject(x.arrays);
}

/**
 * An in-page model for one embedded state. Its `_replies` (buffers as `{base64}`, decoded lazily by
 * the widget's reply cache) seed the page; requests for other keys are answered with an error that
 * says they need a running kernel.
 */
export function modelFromState(state: Record<string, unknown>): MemoryModel {
  const replies = isObject(state._replies) ? (state._replies as Record<string, unknown>) : {};
  const { _attention: _legacy, ...rest } = state; // the legacy seed is not read any more
  void _legacy;
  return createMemoryModel(
    { ...rest, _replies: replies },
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
        // Answer asynchronously, as a kernel would.
        setTimeout(() => {
          const r = replies[key];
          if (!isReply(r)) {
            model.emitCustom({ kind: "error", key, id, message: notSavedMessage(key) });
            return;
          }
          const buffers: DataView[] = [];
          const arrays: Record<string, unknown> = {};
          try {
            for (const [name, spec] of Object.entries(r.arrays)) {
              const b = toBinary(spec.buffer);
              buffers.push(b instanceof DataView ? b : ArrayBuffer.isView(b) ? new DataView(b.buffer, b.byteOffset, b.byteLength) : new DataView(b));
              arrays[name] = { dtype: spec.dtype, shape: spec.shape, buffer: buffers.length - 1 };
            }
          } catch (err) {
            model.emitCustom({ kind: "error", key, id, message: err instanceof Error ? err.message : String(err) });
            return;
          }
          model.emitCustom({ kind: "reply", what: r.what, key, id, arrays, data: r.data ?? {} }, buffers);
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
