/** The reply cache when the kernel behind a widget goes away (restart, shutdown) or was never there. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { inlineReply, replyMessage, syntheticArrays } from "../dev/synthetic";
import { createMemoryModel, type MemoryModel } from "./memory-model";
import { KERNEL_GONE_MESSAGE, NO_KERNEL_MESSAGE, ReplyCache, requestKey } from "./replies";

afterEach(() => vi.useRealTimers());

const O = { nLayers: 3, nHeads: 2, tokens: ["a", "b", "c", "d"] };

/** A model whose comm can die as ipywidgets' does: `comm_live_update` fires and `send` throws after. */
function liveModel(initial: Record<string, unknown> = {}) {
  const model = createMemoryModel(initial);
  const handlers = new Map<string, (() => void)[]>();
  const on = model.on.bind(model);
  const send = model.send.bind(model);
  let dead = false;
  const fake: MemoryModel = {
    ...model,
    on(event, cb) {
      handlers.set(event, [...(handlers.get(event) ?? []), cb]);
      on(event, cb);
    },
    send(content, callbacks, buffers) {
      if (dead) throw new Error("Cannot send on a closed comm");
      send(content, callbacks, buffers);
    },
  };
  const fire = (event: string) => {
    for (const cb of handlers.get(event) ?? []) cb();
  };
  return {
    model: fake,
    restart: () => {
      dead = true;
      fire("comm_live_update"); // the widget manager's disconnect() on "restarting"
    },
    disposeComm: () => {
      dead = true; // a shutdown: no event, the next send throws
    },
    fire,
  };
}

describe("ReplyCache after the kernel is gone", () => {
  it("a restart turns waiting requests and later ones into 'the kernel is gone', at once", () => {
    vi.useFakeTimers();
    const m = liveModel();
    const cache = new ReplyCache(m.model);
    const notified = vi.fn();
    cache.subscribe(notified);
    const waiting = cache.request({ what: "attention", stack: "self", layer: 1 });
    expect(cache.state(waiting)).toEqual({ state: "loading" });
    m.restart();
    expect(notified).toHaveBeenCalled();
    expect(cache.state(waiting)).toEqual({ state: "no-kernel", message: KERNEL_GONE_MESSAGE });
    const later = cache.request({ what: "attention", stack: "self", layer: 2 });
    expect(m.model.sent.length).toBe(1); // nothing sent on the dead comm
    expect(cache.state(later)).toEqual({ state: "no-kernel", message: KERNEL_GONE_MESSAGE });
    vi.advanceTimersByTime(10_000); // no timeout turns it back into the generic message
    expect(cache.state(waiting)).toEqual({ state: "no-kernel", message: KERNEL_GONE_MESSAGE });
  });

  it("what the page holds stays drawn; a rerun in progress is gone too", () => {
    const key = requestKey("attention", "self", 0);
    const m = liveModel({ _replies: { [key]: inlineReply("attention", key, syntheticArrays("attention", { ...O, layer: 0 })!) } });
    const cache = new ReplyCache(m.model);
    const rerun = cache.request({ what: "attribution", stack: "self", extra: ["saliency", "3"] });
    const id = (m.model.sent[0]!.content as { id: number }).id;
    m.model.emitCustom({ kind: "working", id, key: rerun });
    expect(cache.state(rerun)).toMatchObject({ state: "loading", since: expect.any(Number) });
    m.restart();
    expect(cache.state(key)).toEqual({ state: "ready" });
    expect(cache.get(key)!.arrays.attention!.shape).toEqual([2, 4, 4]);
    expect(cache.state(rerun)).toEqual({ state: "no-kernel", message: KERNEL_GONE_MESSAGE });
  });

  it("a send that throws (a disposed comm after a shutdown) says the kernel is gone", () => {
    const m = liveModel();
    const cache = new ReplyCache(m.model);
    m.disposeComm();
    const key = cache.request({ what: "thumbnails", stack: "self" });
    expect(cache.state(key)).toEqual({ state: "no-kernel", message: KERNEL_GONE_MESSAGE });
  });

  it("Python closing the widget (comm:close) is the same", () => {
    const m = liveModel();
    const cache = new ReplyCache(m.model);
    const key = cache.request({ what: "logit_lens", stack: "self" });
    m.fire("comm:close");
    expect(cache.state(key)).toEqual({ state: "no-kernel", message: KERNEL_GONE_MESSAGE });
  });

  it("without any comm (reopened, no kernel started) a request times out as 'needs a running kernel'", () => {
    vi.useFakeTimers();
    const m = liveModel();
    const cache = new ReplyCache(m.model);
    const key = cache.request({ what: "mlp_top", stack: "self", layer: 0 });
    vi.advanceTimersByTime(5100);
    expect(cache.state(key)).toEqual({ state: "no-kernel", message: NO_KERNEL_MESSAGE });
  });

  it("answers Python adds to _replies later keep the replies the page already decoded", () => {
    const m = liveModel();
    const cache = new ReplyCache(m.model);
    const key = cache.request({ what: "attention", stack: "self", layer: 2 });
    const built = syntheticArrays("attention", { ...O, layer: 2 })!;
    const msg = replyMessage("attention", key, 1, built);
    m.model.emitCustom(msg.content, msg.buffers);
    const decoded = cache.get(key);
    m.model.pythonSet("_replies", { [key]: inlineReply("attention", key, built) });
    expect(cache.get(key)).toBe(decoded);
  });

  it("destroy removes its comm listeners", () => {
    const m = liveModel();
    const cache = new ReplyCache(m.model);
    cache.destroy();
    expect(m.model.handlerCount()).toBe(0);
  });
});
