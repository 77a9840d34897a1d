import { describe, expect, it } from "vitest";
import { inlineReply, syntheticArrays } from "../../../dev/synthetic";
import { createMemoryModel } from "../../memory-model";
import { ReplyCache } from "../../replies";
import { CELL_H, CELL_W, HEADER_H, LABEL_W, lensCellAt, readLens, topK } from "./layout";

describe("logit lens", () => {
  it("reads the reply and lists the top-k of a cell, best first", () => {
    const tokens = ["x", "y", "z"];
    const built = syntheticArrays("logit_lens", { nLayers: 2, nHeads: 1, tokens })!;
    const cache = new ReplyCache(createMemoryModel({ _replies: { "logit_lens:self": inlineReply("logit_lens", "logit_lens:self", built) } }));
    const t = readLens(cache.get("logit_lens:self"))!;
    expect([t.layers, t.positions, t.k]).toEqual([2, 3, 5]);
    const top = topK(t, 1, 0);
    expect(top.length).toBe(5);
    expect(top[0]!.token).toBe("y"); // synthetic: the last layer predicts the next token
    for (let i = 1; i < top.length; i++) expect(top[i]!.prob).toBeLessThanOrEqual(top[i - 1]!.prob);
    expect(topK(t, 5, 0)).toEqual([]);
    expect(readLens(undefined)).toBeNull();
  });
  it("maps points to cells", () => {
    expect(lensCellAt(LABEL_W + CELL_W * 3 + 2, HEADER_H + CELL_H + 2, 4, 10)).toEqual({ layer: 1, position: 3 });
    expect(lensCellAt(2, 40, 4, 10)).toBeNull();
    expect(lensCellAt(LABEL_W + CELL_W * 11, HEADER_H + 2, 4, 10)).toBeNull();
  });
});
