/**
 * Dev page for the zoomable heatmap alone (dev/zoom.html, built by `node dev/build-zoom.mjs` after
 * `npm run build:dev`). An in-page model answers attention_tile / _heads / _cell from the analytic
 * synthetic attention (dev/synthetic-lod.ts) after `delay` ms.
 * URL parameters: n (tokens, default 512), heads (default 12), layers (default 4), delay (ms, default 150),
 * static=1 (answer only the overview, like a saved page without finer levels).
 */
import { createMemoryModel } from "../src/memory-model";
import { ReplyCache } from "../src/replies";
import { createStore } from "../src/store";
import { mountZoomHeatmap } from "../src/views/head/zoom/index";
import { overviewBlock } from "../src/views/head/zoom/levels";
import { DEV_TOKENS } from "./synthetic";
import { answerLod, exactMean } from "./synthetic-lod";

const params = new URLSearchParams(location.search);
const n = Number(params.get("n") ?? 512);
const nHeads = Number(params.get("heads") ?? 12);
const nLayers = Number(params.get("layers") ?? 4);
const delay = Number(params.get("delay") ?? 150);
const onlyOverview = params.get("static") === "1";
const tokens = Array.from({ length: n }, (_, i) => DEV_TOKENS[i % DEV_TOKENS.length]!);
const o = { nLayers, nHeads, tokens };
const ov = overviewBlock(n, n);

const model = createMemoryModel(
  { _replies: {} },
  {
    onSend(content, m) {
      const c = content as { kind?: string; what?: string; block?: number; key?: string; id?: number };
      if (onlyOverview && c.kind === "request" && c.what === "attention_tile" && c.block !== ov) {
        m.emitCustom({ kind: "error", key: c.key, id: c.id, message: `${c.key} was not saved in this page; it needs a running kernel.` });
        return;
      }
      answerLod(content, m, o, delay);
    },
  },
);
const cache = new ReplyCache(model, { timeoutMs: 20000 });
const store = createStore({ layer: 0, heads: Array.from({ length: nHeads }, (_, i) => i) });
const el = document.getElementById("cell")!;
const log = document.getElementById("log")!;
const drawn: string[] = [];
const heat = mountZoomHeatmap(el, {
  cache,
  stack: "self",
  nq: n,
  nk: n,
  nHeads,
  queryTokens: tokens,
  keyTokens: tokens,
  store,
  onDrawn: (block, layer) => drawn.push(`${layer}:${block}`),
});
store.subscribe((s) => {
  heat.setSelection(s.layer, s.heads, s.token);
  log.textContent = `layer=${s.layer} heads=${s.heads.join(",")} token=${String(s.token)} · requests=${model.sent.length}`;
});
Object.assign(window as unknown as Record<string, unknown>, {
  __zoom: { heat, store, model, drawn, exact: (layer: number, heads: number[], i: number, j: number) => exactMean(layer, heads, i, j) },
});
