/**
 * Dev page: two widgets over in-page models. Widget A answers every request like a kernel (after a
 * short delay); widget B only has the replies sent with its state (like a static page).
 * URL parameters: n (tokens), view (comma list), mode, layers, heads, kv (kv heads), width (px).
 */
import widget from "../src/index";
import { createMemoryModel, type MemoryModel } from "../src/memory-model";
import { requestKey } from "../src/replies";
import { answerRequests, DEV_TOKENS, devMeta, inlineReply, replyMessage, syntheticArrays } from "./synthetic";

const RERUNS = ["attribution", "attribution_matrix", "ablation", "edit", "compare", "compare_attribution"];

const params = new URLSearchParams(location.search);
const nTokens = Number(params.get("n") ?? DEV_TOKENS.length);
const tokens =
  nTokens <= DEV_TOKENS.length
    ? DEV_TOKENS.slice(0, nTokens)
    : Array.from({ length: nTokens }, (_, i) => DEV_TOKENS[i % DEV_TOKENS.length]!);
const view = params.get("view") ?? "head";
if (params.get("width")) for (const c of Array.from(document.querySelectorAll<HTMLElement>(".cell"))) c.style.maxWidth = `${params.get("width")}px`;

function makeModel(name: string, nLayers: number, nHeads: number, kvHeads: number, seeded: number[], kernel: boolean): MemoryModel {
  const o = { nLayers, nHeads, kvHeads, tokens };
  const _replies: Record<string, unknown> = {};
  const seed = (what: string, layer?: number) => {
    const key = requestKey(what, "self", layer);
    _replies[key] = inlineReply(what, key, syntheticArrays(what, { ...o, layer })!);
  };
  const seedRows = (layer: number, start: number) => {
    const key = requestKey("attention_rows", "self", layer, undefined, [String(start), "64", "8"]);
    _replies[key] = inlineReply("attention_rows", key, syntheticArrays("attention_rows", { ...o, layer, params: { start, count: 64, k: 8 } })!);
  };
  if (tokens.length <= 1024) for (const l of seeded) seed("attention", l); // the old heatmap path (H·N² values)
  if (!kernel) for (const l of seeded) for (let s = 0; s < Math.min(tokens.length, 256); s += 64) seedRows(l, s); // lines mode
  if (!kernel) {
    seed("thumbnails");
    seed("logit_lens");
    for (const l of seeded) seed("mlp_top", l);
    seed("qk", seeded[0] ?? 0);
  }
  return createMemoryModel(
    {
      layer: seeded[0] ?? 0,
      heads: Array.from({ length: nHeads }, (_, i) => i),
      token: null,
      target: null,
      neuron: null,
      view,
      stack: "self",
      mode: (params.get("mode") as string) ?? "lines",
      _meta: devMeta(tokens, nLayers, nHeads, name, kvHeads),
      _replies,
    },
    {
      onSend(content, model) {
        const c = content as { kind?: string; what?: string; key?: string; stack?: string; layer?: number; neuron?: number; id?: number };
        if (!kernel || c.kind !== "request" || !c.what) return;
        // Reruns carry their parameters in the key: answer them by id, as the kernel does.
        if (RERUNS.includes(c.what)) return answerRequests(o)(content, model);
        const key = c.key ?? requestKey(c.what, c.stack ?? "self", c.layer, c.neuron);
        setTimeout(() => {
          if (c.layer !== undefined && c.layer >= nLayers) {
            model.emitCustom({ kind: "error", key, id: c.id, message: `layer ${c.layer} is out of range (0 to ${nLayers - 1})` });
            return;
          }
          const built = syntheticArrays(c.what!, { ...o, layer: c.layer, neuron: c.neuron, params: c });
          if (!built) {
            model.emitCustom({ kind: "error", key, id: c.id, message: `unknown request ${c.what}` });
            return;
          }
          const m = replyMessage(c.what!, key, c.id, built);
          model.emitCustom(m.content, m.buffers);
        }, 300);
      },
    },
  );
}

const a = makeModel("synthetic-llama (kernel)", Number(params.get("layers") ?? 6), Number(params.get("heads") ?? 12), Number(params.get("kv") ?? 4), [0], true);
const b = makeModel("synthetic-gpt (static)", 4, 4, 4, [0, 1], false);

function show(model: MemoryModel, cell: string, log: string) {
  const el = document.getElementById(cell)!;
  const out = document.getElementById(log)!;
  const cleanup = widget.render({ model, el });
  const print = () => {
    out.textContent = `traits: layer=${String(model.get("layer"))} heads=${JSON.stringify(model.get("heads"))} token=${String(
      model.get("token"),
    )} neuron=${String(model.get("neuron"))} view=${String(model.get("view"))} mode=${String(model.get("mode"))} · saves=${model.saved.length} · requests=${model.sent.length}`;
  };
  for (const k of ["layer", "heads", "token", "mode", "view", "neuron"]) model.on(`change:${k}`, print);
  print();
  return cleanup;
}

const cleanups = [show(a, "cell-a", "log-a"), show(b, "cell-b", "log-b")];
Object.assign(window as unknown as Record<string, unknown>, {
  __attnlens: { models: [a, b], cleanups },
});
