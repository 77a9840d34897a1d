/** The head view's attention, layer by layer, read through a widget's reply cache. */
import { requestKey, type Reply, type ReplyCache } from "./replies";
import type { AttentionSource, LayerAttention } from "./types";

/** Attention of one stack through the reply cache (`attention:<stack>:<layer>`), for the head view. */
export function attentionSource(cache: ReplyCache, stack: string, nLayers: number): AttentionSource {
  const memo = new Map<number, { reply: Reply; att: LayerAttention }>();
  return {
    get(layer) {
      const reply = cache.get(requestKey("attention", stack, layer));
      const a = reply?.arrays.attention;
      if (!reply || !a) return undefined;
      const m = memo.get(layer);
      if (m && m.reply === reply) return m.att;
      if (a.shape.length !== 3 || a.values instanceof Uint32Array) return undefined;
      const att: LayerAttention = { heads: a.shape[0]!, nq: a.shape[1]!, nk: a.shape[2]!, data: a.values, scale: a.scale };
      memo.set(layer, { reply, att });
      return att;
    },
    state: (layer) => cache.state(requestKey("attention", stack, layer)),
    ensure(layer) {
      if (Number.isInteger(layer) && layer >= 0 && layer < nLayers) cache.request({ what: "attention", stack, layer });
    },
    subscribe: (fn) => cache.subscribe(fn),
  };
}
