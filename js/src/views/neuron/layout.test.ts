import { describe, expect, it } from "vitest";
import { fitLabel, kvGroup, queryVector, readQK, scores, softmax, type QK } from "./layout";

function qk(): QK {
  // 4 heads, 2 kv heads (group 2), 2 tokens, d = 2
  const queries = Float32Array.from([1, 0, 0, 1, 2, 0, 0, 2, 1, 1, 1, 1, 0, 0, 3, 0]);
  const keys = Float32Array.from([1, 0, 0, 1, 2, 2, -1, 0]);
  return { heads: 4, kvHeads: 2, nq: 2, nk: 2, d: 2, queries, keys, scaling: 0.5, group: 2 };
}

describe("neuron view maths", () => {
  it("names the heads that share a key/value head", () => {
    expect(kvGroup(qk(), 0)).toEqual({ kv: 0, heads: [0, 1] });
    expect(kvGroup(qk(), 3)).toEqual({ kv: 1, heads: [2, 3] });
    expect(kvGroup({ heads: 4, kvHeads: 4, group: 1 }, 2)).toEqual({ kv: 2, heads: [2] });
  });
  it("q·k × scaling uses the head's kv head", () => {
    const q = qk();
    expect([...queryVector(q, 1, 1)]).toEqual([0, 2]);
    expect([...scores(q, 0, 0)]).toEqual([0.5, 0]); // q=[1,0], keys [1,0],[0,1]
    expect([...scores(q, 3, 1)]).toEqual([3, -1.5]); // q=[3,0], kv 1 keys [2,2],[-1,0]
    const p = softmax(scores(q, 3, 1));
    expect(p[0]! + p[1]!).toBeCloseTo(1, 6);
    expect(p[0]!).toBeGreaterThan(p[1]!);
  });
  it("reads a reply, defaulting scaling to 1/sqrt(d)", () => {
    const r = {
      what: "qk",
      key: "qk:self:0",
      arrays: {
        queries: { dtype: "float16" as const, shape: [2, 3, 4], values: new Float32Array(24), scale: 1 },
        keys: { dtype: "float16" as const, shape: [1, 3, 4], values: new Float32Array(12), scale: 1 },
      },
      data: {},
    };
    const q = readQK(r)!;
    expect(q.scaling).toBe(0.5);
    expect(q.group).toBe(2);
    expect(readQK(undefined)).toBeNull();
  });
  it("column headers shrink to what fits their column", () => {
    const opts = ["k (64 dims)", "k (64)", "k"];
    expect(fitLabel(opts, 200)).toBe("k (64 dims)");
    expect(fitLabel(opts, 60)).toBe("k (64)");
    expect(fitLabel(opts, 20)).toBe("k");
    expect(fitLabel(opts, 2)).toBe("k"); // the shortest even when nothing fits
    for (const w of [20, 40, 60, 80, 100]) expect(fitLabel(opts, w).length * 6.6 + 6 <= w || fitLabel(opts, w) === "k").toBe(true);
  });
});
