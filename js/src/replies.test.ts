import { afterEach, describe, expect, it, vi } from "vitest";
import { chunkMessages, encode, inlineReply, replyMessage, syntheticArrays } from "../dev/synthetic";
import { createMemoryModel } from "./memory-model";
import { attentionSource } from "./attention-source";
import { MAX_SEND_BYTES, NO_KERNEL_MESSAGE, ReplyCache, requestKey } from "./replies";

afterEach(() => vi.useRealTimers());

const TOKENS = ["a", "b", "c", "d"];
const O = { nLayers: 3, nHeads: 2, tokens: TOKENS };

describe("requestKey", () => {
  it("mirrors protocol.request_key", () => {
    expect(requestKey("attention", "self", 3)).toBe("attention:self:3");
    expect(requestKey("neuron", "self", 2, 117)).toBe("neuron:self:2:117");
    expect(requestKey("logit_lens", "decoder")).toBe("logit_lens:decoder");
    expect(requestKey("thumbnails", "cross", null)).toBe("thumbnails:cross");
  });
});

describe("ReplyCache", () => {
  it("is seeded from _replies (DataView or base64 buffers) and decodes lazily", () => {
    const key = requestKey("logit_lens", "self");
    const built = syntheticArrays("logit_lens", O)!;
    const model = createMemoryModel({ _replies: { [key]: inlineReply("logit_lens", key, built) } });
    const cache = new ReplyCache(model);
    expect(cache.state(key)).toEqual({ state: "ready" });
    const r = cache.get(key)!;
    expect(r.arrays.indices!.values).toBeInstanceOf(Uint32Array);
    expect(r.arrays.indices!.shape).toEqual([3, 4, 5]);
    expect(r.arrays.probs!.values).toBeInstanceOf(Float32Array);
    expect(r.data.k).toBe(5);
    expect(cache.get(key)).toBe(r); // decoded once
    const b64 = { kind: "reply", what: "neuron", key: "neuron:self:0:1", arrays: { activations: { dtype: "uint16", shape: [2], buffer: { base64: "AQD//w==" } } }, data: {} };
    model.pythonSet("_replies", { [key]: inlineReply("logit_lens", key, built), "neuron:self:0:1": b64 });
    expect([...cache.get("neuron:self:0:1")!.arrays.activations!.values]).toEqual([1, 65535]);
    cache.destroy();
    expect(model.handlerCount()).toBe(0);
  });

  it("sends one generic request per key and fills it from the reply's indexed buffers", () => {
    const model = createMemoryModel({});
    const cache = new ReplyCache(model);
    const fn = vi.fn();
    cache.subscribe(fn);
    const key = cache.request({ what: "mlp_top", stack: "self", layer: 1 });
    cache.request({ what: "mlp_top", stack: "self", layer: 1 });
    expect(key).toBe("mlp_top:self:1");
    expect(model.sent.length).toBe(1);
    const sent = model.sent[0]!.content as { id: number };
    expect(sent).toMatchObject({ kind: "request", what: "mlp_top", stack: "self", layer: 1 });
    expect(cache.state(key).state).toBe("loading");
    const m = replyMessage("mlp_top", key, sent.id, syntheticArrays("mlp_top", { ...O, layer: 1 })!);
    model.emitCustom(m.content, m.buffers);
    expect(cache.state(key).state).toBe("ready");
    const r = cache.get(key)!;
    expect(r.arrays.indices!.dtype).toBe("uint16");
    expect(r.arrays.indices!.values).toBeInstanceOf(Uint32Array);
    expect(r.data.n_neurons).toBe(256);
    expect(fn).toHaveBeenCalled();
  });

  it("an error reply is tied to its key (by key or by id); others are global", () => {
    const model = createMemoryModel({});
    const cache = new ReplyCache(model);
    const k1 = cache.request({ what: "qk", stack: "self", layer: 0 });
    const k2 = cache.request({ what: "qk", stack: "self", layer: 1 });
    model.emitCustom({ kind: "error", key: k1, message: "no adapter" });
    const id2 = (model.sent[1]!.content as { id: number }).id;
    model.emitCustom({ kind: "error", key: null, id: id2, message: "bad layer" });
    expect(cache.state(k1)).toEqual({ state: "error", message: "no adapter" });
    expect(cache.state(k2)).toEqual({ state: "error", message: "bad layer" });
    model.emitCustom({ kind: "error", message: "boom" }); // not tied to a request: shown by widget.ts
    expect(cache.keys()).toEqual([]);
  });

  it("says it needs a running kernel when no reply comes within 5 s; a late reply still lands", () => {
    vi.useFakeTimers();
    const model = createMemoryModel({});
    const cache = new ReplyCache(model);
    const key = cache.request({ what: "attention", stack: "self", layer: 2 });
    vi.advanceTimersByTime(4900);
    expect(cache.state(key).state).toBe("loading");
    vi.advanceTimersByTime(200);
    expect(cache.state(key)).toEqual({ state: "no-kernel", message: NO_KERNEL_MESSAGE });
    const m = replyMessage("attention", key, 1, syntheticArrays("attention", { ...O, layer: 2 })!);
    model.emitCustom(m.content, m.buffers);
    expect(cache.state(key).state).toBe("ready");
  });

  it("a payload that does not match its shape is an error, not a crash", () => {
    const key = "attention:self:0";
    const model = createMemoryModel({
      _replies: { [key]: { what: "attention", arrays: { attention: { dtype: "float16", shape: [2, 4, 4], buffer: new DataView(new ArrayBuffer(3)) } }, data: {} } },
    });
    const cache = new ReplyCache(model);
    expect(cache.get(key)).toBeUndefined();
    expect(cache.state(key)).toMatchObject({ state: "error", message: expect.stringMatching(/3 bytes/) });
  });
});

describe("chunked replies", () => {
  const L = { ...O, nHeads: 3, tokens: Array.from({ length: 9 }, (_, i) => `t${i}`), layer: 1 };
  const ask = () => {
    const model = createMemoryModel({});
    const cache = new ReplyCache(model);
    const key = cache.request({ what: "logit_lens", stack: "self" });
    const id = (model.sent[0]!.content as { id: number }).id;
    const m = replyMessage("logit_lens", key, id, syntheticArrays("logit_lens", L)!);
    return { model, cache, key, m };
  };

  it("reassembles pieces split across chunks to exactly the unchunked reply", () => {
    const { model, cache, key, m } = ask();
    const whole = new ReplyCache(createMemoryModel({ _replies: { [key]: inlineReply("logit_lens", key, syntheticArrays("logit_lens", L)!) } }));
    const chunks = chunkMessages(m.content, m.buffers, 37); // splits every buffer, pieces of two buffers share chunks
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.some((c) => c.buffers.length > 1)).toBe(true);
    for (const c of chunks.slice(0, -1)) model.emitCustom(c.content, c.buffers);
    expect(cache.state(key).state).toBe("loading");
    const last = chunks[chunks.length - 1]!;
    model.emitCustom(last.content, last.buffers);
    expect(cache.state(key).state).toBe("ready");
    const got = cache.get(key)!;
    const want = whole.get(key)!;
    for (const name of Object.keys(want.arrays)) {
      expect(got.arrays[name]!.shape).toEqual(want.arrays[name]!.shape);
      expect([...got.arrays[name]!.values]).toEqual([...want.arrays[name]!.values]);
    }
    expect(got.data).toEqual(want.data);
  });

  it("an out-of-order or orphan chunk is an error state, not a hang", () => {
    const { model, cache, key, m } = ask();
    const chunks = chunkMessages(m.content, m.buffers, 50);
    model.emitCustom(chunks[0]!.content, chunks[0]!.buffers);
    model.emitCustom(chunks[2]!.content, chunks[2]!.buffers);
    expect(cache.state(key)).toEqual({ state: "error", message: `${key} arrived incomplete: chunk 3 of ${chunks.length} came where chunk 2 of ${chunks.length} was expected` });
    model.emitCustom(chunks[1]!.content, chunks[1]!.buffers); // the rest is refused, still an error
    expect(cache.state(key)).toMatchObject({ state: "error", message: expect.stringMatching(/chunk 2 of \d+ came without the ones before it/) });
    expect(cache.get(key)).toBeUndefined();
  });

  it("chunks that stop coming end in an error after the timeout, restarted by each chunk", () => {
    vi.useFakeTimers();
    const { model, cache, key, m } = ask();
    const chunks = chunkMessages(m.content, m.buffers, 50);
    vi.advanceTimersByTime(4000);
    model.emitCustom(chunks[0]!.content, chunks[0]!.buffers);
    vi.advanceTimersByTime(4000); // 8 s after the request, 4 s after the chunk: still waiting
    expect(cache.state(key).state).toBe("loading");
    vi.advanceTimersByTime(1100);
    expect(cache.state(key)).toEqual({ state: "error", message: `${key} arrived incomplete: only 1 of ${chunks.length} chunks came` });
  });

  it("a chunk whose piece overflows its buffer is refused", () => {
    const { model, cache, key, m } = ask();
    const [first] = chunkMessages(m.content, m.buffers, 1 << 20);
    const content = { ...first!.content, sizes: (first!.content.sizes as number[]).map(() => 1) };
    model.emitCustom(content, first!.buffers);
    expect(cache.state(key)).toMatchObject({ state: "error", message: expect.stringMatching(/does not fit/) });
  });

  it("refuses to send a request over 1 MiB and says so", () => {
    const model = createMemoryModel({});
    const cache = new ReplyCache(model);
    const key = cache.request({ what: "thumbnails", stack: "x".repeat(MAX_SEND_BYTES) });
    expect(model.sent.length).toBe(0);
    expect(cache.state(key)).toMatchObject({ state: "error", message: expect.stringMatching(/over the 1048576 bytes/) });
  });
});

describe("attentionSource", () => {
  it("reads rectangular layers (cross-attention) and keeps uint8 as bytes", () => {
    const key = requestKey("attention", "cross", 0);
    const vals = Float32Array.from({ length: 2 * 3 * 5 }, (_, i) => (i % 5) / 4);
    const model = createMemoryModel({ _replies: { [key]: inlineReply("attention", key, { arrays: { attention: encode(vals, [2, 3, 5], "uint8", 3) }, data: {} }) } });
    const src = attentionSource(new ReplyCache(model), "cross", 2);
    const a = src.get(0)!;
    expect([a.heads, a.nq, a.nk]).toEqual([2, 3, 5]);
    expect(a.data).toBeInstanceOf(Uint8Array);
    expect(a.data[4]! * a.scale).toBeCloseTo(1, 5);
    expect(src.get(0)).toBe(a);
    src.ensure(1);
    src.ensure(7); // out of range: not asked
    expect(model.sent.map((s) => (s.content as { layer: number }).layer)).toEqual([1]);
  });
});
