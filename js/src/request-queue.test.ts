import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { replyMessage, syntheticArrays } from "../dev/synthetic";
import { rowRequest, rowsRequest } from "./attention-source";
import { createMemoryModel, type MemoryModel } from "./memory-model";
import { ReplyCache } from "./replies";
import { queueFor, RequestQueue } from "./request-queue";

const TOKENS = Array.from({ length: 200 }, (_, i) => `t${i}`);
const o = { nLayers: 6, nHeads: 2, tokens: TOKENS };

type Sent = { what: string; key: string; layer: number; start: number; id: number };

function setup(opts: { maxInFlight?: number } = {}) {
  const model = createMemoryModel({ _replies: {} });
  const cache = new ReplyCache(model, { timeoutMs: 60_000 });
  const queue = new RequestQueue(cache, opts);
  const sent = () => model.sent.map((m) => m.content as Sent);
  /** Answer the request with this key, as the kernel would. */
  const answer = (key: string) => {
    const c = sent().find((m) => m.key === key)!;
    const built = syntheticArrays(c.what, { ...o, layer: c.layer, params: c as unknown as Record<string, unknown> })!;
    const m = replyMessage(c.what, key, c.id, built);
    model.emitCustom(m.content, m.buffers);
  };
  return { model, cache, queue, sent, answer };
}

const rows = (layer: number, start = 0) => rowsRequest("self", layer, start);
const keys = (model: MemoryModel) => model.sent.map((m) => (m.content as Sent).key);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("RequestQueue", () => {
  it("keeps at most two requests in flight and sends the newest waiting one first", () => {
    const { model, queue, answer } = setup();
    queue.setLayer(0);
    for (const start of [0, 64, 128, 192]) queue.want(rows(0, start));
    expect(keys(model)).toEqual(["attention_rows:self:0:0:64:8", "attention_rows:self:0:64:64:8"]);
    expect([queue.inFlight, queue.pending]).toEqual([2, 2]);
    answer("attention_rows:self:0:0:64:8");
    // newest first: 192 was asked for last
    expect(keys(model).at(-1)).toBe("attention_rows:self:0:192:64:8");
    answer("attention_rows:self:0:64:64:8");
    expect(keys(model).at(-1)).toBe("attention_rows:self:0:128:64:8");
    expect([queue.inFlight, queue.pending]).toEqual([2, 0]);
  });

  it("drops waiting requests of a layer the selection has left; the last layer asked for goes first", () => {
    const { model, queue, answer } = setup();
    queue.setLayer(0);
    queue.want(rows(0, 0));
    queue.want(rows(0, 64));
    // scrubbing: 1, 2, 3 while both slots are busy
    for (const l of [1, 2, 3]) {
      queue.setLayer(l);
      queue.want(rows(l, 0));
      queue.want(rows(l, 64));
    }
    expect(queue.pending).toBe(2); // only layer 3's
    answer("attention_rows:self:0:0:64:8");
    answer("attention_rows:self:0:64:64:8");
    const after = keys(model).slice(2);
    expect(after).toEqual(["attention_rows:self:3:64:64:8", "attention_rows:self:3:0:64:8"]);
    expect(after.some((k) => /:self:[12]:/.test(k))).toBe(false);
  });

  it("never sends a key twice, nor one the page holds", () => {
    const { model, queue, answer } = setup();
    queue.setLayer(0);
    queue.want(rows(0));
    queue.want(rows(0));
    answer("attention_rows:self:0:0:64:8");
    queue.want(rows(0));
    expect(keys(model)).toEqual(["attention_rows:self:0:0:64:8"]);
  });

  it("an error or a timeout frees the slot", () => {
    const model = createMemoryModel({ _replies: {} });
    const cache = new ReplyCache(model, { timeoutMs: 1000 });
    const queue = new RequestQueue(cache, { maxInFlight: 1 });
    queue.setLayer(0);
    queue.want(rows(0, 0));
    queue.want(rows(0, 64));
    expect(model.sent.length).toBe(1);
    model.emitCustom({ kind: "error", key: "attention_rows:self:0:0:64:8", message: "bad" });
    expect(model.sent.length).toBe(2);
    queue.want(rows(0, 128));
    expect(model.sent.length).toBe(2);
    vi.advanceTimersByTime(1000); // no answer: "no kernel", the slot is free again
    expect(keys(model).at(-1)).toBe("attention_rows:self:0:128:64:8");
  });

  it("prefetches the neighbouring layers once idle for 150 ms, and only then", () => {
    const { model, queue, answer } = setup({ maxInFlight: 4 });
    const asked: number[] = [];
    queue.addPrefetcher((layer) => (asked.push(layer), layer >= 0 && layer < 6 ? [rows(layer)] : []));
    queue.setLayer(2);
    queue.want(rows(2));
    vi.advanceTimersByTime(500);
    expect(asked).toEqual([]); // a request is in flight: not idle
    answer("attention_rows:self:2:0:64:8");
    vi.advanceTimersByTime(149);
    expect(asked).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(asked).toEqual([1, 3]);
    // layer + 1 (the usual scrub direction) is sent first; prefetches take all slots but one
    expect(keys(model).slice(1)).toEqual(["attention_rows:self:3:0:64:8", "attention_rows:self:1:0:64:8"]);
    queue.want(rows(2, 64)); // what the user asks for meanwhile still goes at once
    expect(keys(model).at(-1)).toBe("attention_rows:self:2:64:64:8");
    answer("attention_rows:self:3:0:64:8");
    answer("attention_rows:self:1:0:64:8");
    answer("attention_rows:self:2:64:64:8");
    vi.advanceTimersByTime(1000);
    expect(asked).toEqual([1, 3]); // once per selected layer
  });

  it("prefetches leave one slot free for the user's requests", () => {
    const { model, queue } = setup();
    queue.addPrefetcher((layer) => [rows(layer, 0), rows(layer, 64)]);
    queue.setLayer(2);
    vi.advanceTimersByTime(150);
    expect([queue.inFlight, queue.pending]).toEqual([1, 3]);
    queue.want(rows(2, 128));
    expect(keys(model)).toEqual(["attention_rows:self:3:64:64:8", "attention_rows:self:2:128:64:8"]);
  });

  it("a prefetch the selection has left is dropped before it is sent", () => {
    const { model, queue, answer } = setup({ maxInFlight: 1 });
    queue.addPrefetcher((layer) => [rows(layer, 0), rows(layer, 64)]);
    queue.setLayer(2);
    vi.advanceTimersByTime(150);
    expect(keys(model)).toEqual(["attention_rows:self:3:64:64:8"]); // one slot; three waiting
    queue.setLayer(4);
    expect(queue.pending).toBe(0);
    queue.want(rows(4));
    answer("attention_rows:self:3:64:64:8");
    expect(keys(model)).toEqual(["attention_rows:self:3:64:64:8", "attention_rows:self:4:0:64:8"]);
  });

  it("uses requestIdleCallback where the window has one", () => {
    const { cache } = setup();
    const idle: (() => void)[] = [];
    const win = { requestIdleCallback: (fn: () => void) => (idle.push(fn), idle.length), cancelIdleCallback: () => {} };
    const queue = new RequestQueue(cache, { win: win as unknown as Window & typeof globalThis });
    const asked: number[] = [];
    queue.addPrefetcher((l) => (asked.push(l), []));
    queue.setLayer(1);
    vi.advanceTimersByTime(150);
    expect([idle.length, asked.length]).toEqual([1, 0]);
    idle[0]!();
    expect(asked).toEqual([0, 2]);
  });

  it("a request of a group replaces the group's request still waiting (a mouse sweeping over tokens)", () => {
    const { model, queue } = setup();
    queue.setLayer(0);
    queue.want(rows(0, 0));
    queue.want(rows(0, 64));
    for (const i of [3, 4, 5, 6]) queue.want(rowRequest("self", 0, "query", i), "focus-row");
    expect(queue.pending).toBe(1);
    queue.want(rows(0, 128));
    expect(queue.pending).toBe(2); // other requests are not in the group
  });

  it("one queue per widget (reply cache)", () => {
    const a = setup().cache;
    const b = setup().cache;
    expect(queueFor(a)).toBe(queueFor(a));
    expect(queueFor(a)).not.toBe(queueFor(b));
  });
});
