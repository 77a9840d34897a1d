import { describe, expect, it } from "vitest";
import { devMeta, encode, syntheticLayer } from "../dev/synthetic";
import { decodeArray } from "./decode";
import { keyOf } from "./replies";
import { modelFromState } from "./static-page";
import { averageHeads, headsPart, overviewBlock, overviewTileRequest, tileHeadsRequest, TILE } from "./static-tiles";

const H = 3;

function toBase64(view: DataView): string {
  let s = "";
  for (let i = 0; i < view.byteLength; i++) s += String.fromCharCode(view.getUint8(i));
  return btoa(s);
}

/** Reference pooling of head h over `block`-sized cells (max, or mean with masked entries as 0). */
function pooled(att: Float32Array, n: number, h: number, block: number, pool: "max" | "mean"): Float32Array {
  const g = Math.ceil(n / block);
  const out = new Float32Array(g * g);
  for (let a = 0; a < g; a++)
    for (let b = 0; b < g; b++) {
      let m = 0;
      let s = 0;
      let cnt = 0;
      for (let i = a * block; i < Math.min(n, (a + 1) * block); i++)
        for (let j = b * block; j < Math.min(n, (b + 1) * block); j++) {
          const v = att[(h * n + i) * n + j]!;
          m = Math.max(m, v);
          s += v;
          cnt++;
        }
      out[a * g + b] = pool === "max" ? m : s / cnt;
    }
  return out;
}

/** A saved page holding layer 0's overview per head (`attention_tile_heads`), answering requests. */
function page(n: number, pool: "max" | "mean") {
  const att = syntheticLayer(0, H, n);
  const block = overviewBlock(n, n);
  const g = Math.ceil(n / block);
  const planes = new Float32Array(H * g * g);
  for (let h = 0; h < H; h++) planes.set(pooled(att, n, h, block, pool), h * g * g);
  const req = tileHeadsRequest("self", { layer: 0, pool, block, row: 0, col: 0 });
  const key = keyOf(req);
  const a = encode(planes, [H, g, g], "float16", 0);
  const reply = { kind: "reply", what: "attention_tile_heads", key, arrays: { tiles: { dtype: a.dtype, shape: a.shape, buffer: { base64: toBase64(a.buffer as DataView) } } }, data: { block, row: 0, col: 0, rows: [0, n], cols: [0, n] } };
  const tokens = Array.from({ length: n }, (_, i) => `t${i}`);
  const model = modelFromState({ layer: 0, heads: [0, 1, 2], view: "head", mode: "heatmap", _meta: devMeta(tokens, 1, H), _replies: { [key]: reply } });
  const ask = (heads: number[], p = pool, blk = block) =>
    new Promise<{ content: Record<string, unknown>; buffers?: DataView[] }>((resolve) => {
      model.on("msg:custom", (content: Record<string, unknown>, buffers?: DataView[]) => resolve({ content, buffers }));
      const r = overviewTileRequest("self", 0, heads, H, n, n, p);
      if (blk !== block) (r.params as Record<string, unknown>).block = blk;
      model.send({ kind: "request", what: r.what, stack: r.stack, layer: r.layer, ...r.params, key: keyOf(r), id: 7 });
    });
  return { att, block, g, planes, ask };
}

describe("saved-page heatmap tiles", () => {
  it("overview level and keys follow the wire", () => {
    expect([overviewBlock(5, 5), overviewBlock(512, 512), overviewBlock(513, 100), overviewBlock(4096, 4096), overviewBlock(32768, 10)]).toEqual([1, 1, 2, 8, 64]);
    expect(Math.ceil(4096 / overviewBlock(4096, 4096))).toBeLessThanOrEqual(TILE);
    expect([headsPart([2, 0, 1], 3), headsPart([3, 0], 12)]).toEqual(["all", "0,3"]);
    expect(keyOf(overviewTileRequest("self", 4, [7, 3], 12, 4096, 4096))).toBe("attention_tile:self:4:max:8:0:0:3,7");
  });

  it("at block 1, a head subset's tile is the mean of those heads' attention", async () => {
    const { att, ask } = page(40, "max");
    const { content, buffers } = await ask([0, 2]);
    expect(content).toMatchObject({ kind: "reply", what: "attention_tile", key: "attention_tile:self:0:max:1:0:0:0,2", id: 7 });
    const tile = decodeArray({ dtype: "float16", shape: [40, 40], buffer: buffers![0]! });
    for (const [i, j] of [[0, 0], [10, 9], [39, 39], [39, 0]] as const) expect(tile[i * 40 + j]).toBeCloseTo((att[i * 40 + j]! + att[(2 * 40 + i) * 40 + j]!) / 2, 3);
  });

  it("pooled overviews: mean over the chosen heads of each head's pooled value", async () => {
    for (const pool of ["max", "mean"] as const) {
      const { att, block, g, ask } = page(600, pool);
      expect(block).toBe(2);
      const { content, buffers } = await ask([1, 2], pool);
      expect(content.kind).toBe("reply");
      const tile = decodeArray({ dtype: "float16", shape: [g, g], buffer: buffers![0]! });
      const ref = averageHeads(Float32Array.from([...pooled(att, 600, 1, block, pool), ...pooled(att, 600, 2, block, pool)]), 2, [0, 1]);
      let worst = 0;
      for (let c = 0; c < g * g; c++) worst = Math.max(worst, Math.abs(tile[c]! - ref[c]!));
      expect(worst).toBeLessThan(2e-3);
    }
  });

  it("a tile the page does not hold says zoom needs a running kernel", async () => {
    const { ask } = page(600, "max");
    const zoomed = await ask([0], "max", 1);
    expect(zoomed.content).toMatchObject({ kind: "error", message: "This max-pooled tile of layer 0 was not saved in this page; zoom needs a running kernel: this page holds the overview only." });
    const mean = await ask([0], "mean");
    expect(mean.content.kind).toBe("error");
  });
});
