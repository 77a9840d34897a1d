/**
 * Dev page: two widgets over in-page models. Widget A answers attention_request like a kernel
 * (after a short delay); widget B only has the layers sent with its state (like a static page).
 */
import widget from "../src/index";
import { createMemoryModel, type MemoryModel } from "../src/memory-model";
import { DEV_TOKENS, devMeta, encode, syntheticLayer } from "./synthetic";

const params = new URLSearchParams(location.search);
const nTokens = Number(params.get("n") ?? DEV_TOKENS.length);
const tokens =
  nTokens <= DEV_TOKENS.length
    ? DEV_TOKENS.slice(0, nTokens)
    : Array.from({ length: nTokens }, (_, i) => DEV_TOKENS[i % DEV_TOKENS.length]!);

function makeModel(name: string, nLayers: number, nHeads: number, seeded: number[], kernel: boolean): MemoryModel {
  const n = tokens.length;
  const layer = (l: number) => encode(syntheticLayer(l, nHeads, n), [nHeads, n, n], "float16", 24);
  const _attention: Record<string, unknown> = {};
  for (const l of seeded) _attention[String(l)] = layer(l);
  return createMemoryModel(
    {
      layer: seeded[0] ?? 0,
      heads: Array.from({ length: nHeads }, (_, i) => i),
      token: null,
      target: null,
      neuron: null,
      view: "head",
      mode: (params.get("mode") as string) ?? "lines",
      _meta: devMeta(tokens, nLayers, nHeads, name),
      _attention,
    },
    {
      onSend(content, model) {
        const c = content as { kind?: string; layer?: number };
        if (!kernel || c.kind !== "attention_request" || typeof c.layer !== "number") return;
        const l = c.layer;
        setTimeout(() => {
          if (l >= nLayers) {
            model.emitCustom({ kind: "error", message: `no layer ${l} in this trace` });
            return;
          }
          const p = layer(l);
          model.emitCustom({ kind: "attention", layer: l, dtype: p.dtype, shape: p.shape }, [p.buffer as DataView]);
        }, 300);
      },
    },
  );
}

const a = makeModel("synthetic-gpt (kernel)", 6, 12, [0], true);
const b = makeModel("synthetic-gpt (static)", 4, 4, [0, 1], false);

function show(model: MemoryModel, cell: string, log: string) {
  const el = document.getElementById(cell)!;
  const out = document.getElementById(log)!;
  const cleanup = widget.render({ model, el });
  const print = () => {
    out.textContent = `traits: layer=${String(model.get("layer"))} heads=${JSON.stringify(model.get("heads"))} token=${String(
      model.get("token"),
    )} mode=${String(model.get("mode"))} · saves=${model.saved.length} · requests=${model.sent.length}`;
  };
  for (const k of ["layer", "heads", "token", "mode"]) model.on(`change:${k}`, print);
  print();
  return cleanup;
}

const cleanups = [show(a, "cell-a", "log-a"), show(b, "cell-b", "log-b")];
Object.assign(window as unknown as Record<string, unknown>, {
  __attnlens: { models: [a, b], cleanups },
});
