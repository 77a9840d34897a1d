import { afterEach, describe, expect, it, vi } from "vitest";
import { encode, syntheticLayer } from "../dev/synthetic";
import { AttentionCache, NO_KERNEL_MESSAGE } from "./attention";
import { createMemoryModel } from "./memory-model";

afterEach(() => vi.useRealTimers());

const H = 2;
const N = 4;
const layerPayload = (layer: number, dtype: "float16" | "uint8" = "float16") =>
  encode(syntheticLayer(layer, H, N), [H, N, N], dtype, 12);

describe("AttentionCache", () => {
  it("is seeded from _attention and decodes at a byteOffset", () => {
    const model = createMemoryModel({ _attention: { "0": layerPayload(0) } });
    const cache = new AttentionCache(model);
    const a = cache.get(0)!;
    expect(a.heads).toBe(H);
    expect(a.n).toBe(N);
    const row = Array.from(a.data.slice(N, 2 * N));
    expect(row.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 2);
    expect(cache.state(0)).toEqual({ state: "ready" });
    expect(cache.get(1)).toBeUndefined();
  });

  it("requests a missing layer once and fills it from the reply", () => {
    const model = createMemoryModel({ _attention: {} });
    const cache = new AttentionCache(model);
    const fn = vi.fn();
    cache.subscribe(fn);
    cache.ensure(2);
    cache.ensure(2);
    expect(model.sent).toEqual([{ content: { kind: "attention_request", layer: 2 }, buffers: undefined }]);
    expect(cache.state(2).state).toBe("loading");
    const p = layerPayload(2, "uint8");
    model.emitCustom({ kind: "attention", layer: 2, dtype: p.dtype, shape: p.shape }, [p.buffer as DataView]);
    expect(cache.state(2).state).toBe("ready");
    expect(cache.get(2)!.data.length).toBe(H * N * N);
    expect(fn).toHaveBeenCalled();
    cache.destroy();
    expect(model.handlerCount()).toBe(0);
  });

  it("shows Python's error and reports a bad payload as an error", () => {
    const model = createMemoryModel({ _attention: { "1": { dtype: "float16", shape: [H, N, N], buffer: new DataView(new ArrayBuffer(3)) } } });
    const cache = new AttentionCache(model);
    expect(cache.get(1)).toBeUndefined();
    expect(cache.state(1)).toMatchObject({ state: "error", message: expect.stringMatching(/3 bytes/) });
    cache.ensure(3);
    model.emitCustom({ kind: "error", message: "no layer 3 in this trace" });
    expect(cache.state(3)).toEqual({ state: "error", message: "no layer 3 in this trace" });
  });

  it("says it needs a running kernel when no reply comes within 5 s", () => {
    vi.useFakeTimers();
    const model = createMemoryModel({ _attention: {} });
    const cache = new AttentionCache(model);
    cache.ensure(1);
    vi.advanceTimersByTime(4900);
    expect(cache.state(1).state).toBe("loading");
    vi.advanceTimersByTime(200);
    expect(cache.state(1)).toEqual({ state: "no-kernel", message: NO_KERNEL_MESSAGE });
    const p = layerPayload(1);
    model.emitCustom({ kind: "attention", layer: 1, dtype: p.dtype, shape: p.shape }, [p.buffer as DataView]);
    expect(cache.state(1).state).toBe("ready");
  });

  it("picks up layers added later through change:_attention", () => {
    const model = createMemoryModel({ _attention: { "0": layerPayload(0) } });
    const cache = new AttentionCache(model);
    model.pythonSet("_attention", { "0": layerPayload(0), "5": layerPayload(5) });
    expect(cache.get(5)).toBeDefined();
  });
});
