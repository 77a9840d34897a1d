import { describe, expect, it } from "vitest";
import { devMeta, encode, syntheticLayer } from "../dev/synthetic";
import { rowRequest, rowsRequest } from "./attention-source";
import { decodeArray, decodeIntegers } from "./decode";
import { keyOf, type Request } from "./replies";
import { modelFromState } from "./static-page";

const H = 2;
const N = 90;

function toBase64(view: DataView): string {
  let s = "";
  for (let i = 0; i < view.byteLength; i++) s += String.fromCharCode(view.getUint8(i));
  return btoa(s);
}

/** A saved page holding layer 1 whole (float16, as pages before level-of-detail did). */
function page() {
  const att = syntheticLayer(1, H, N);
  const a = encode(att, [H, N, N], "float16", 0);
  const key = "attention:self:1";
  const reply = { kind: "reply", what: "attention", key, arrays: { attention: { dtype: a.dtype, shape: a.shape, buffer: { base64: toBase64(a.buffer as DataView) } } }, data: {} };
  const tokens = Array.from({ length: N }, (_, i) => `t${i}`);
  const model = modelFromState({ layer: 1, heads: [0, 1], view: "head", mode: "lines", _meta: devMeta(tokens, 2, H), _replies: { [key]: reply } });
  const half = decodeArray(a); // what the page holds: float16-rounded weights
  const ask = (r: Request) =>
    new Promise<{ content: Record<string, unknown>; buffers: DataView[] }>((resolve) => {
      model.on("msg:custom", (content: Record<string, unknown>, buffers: DataView[]) => resolve({ content, buffers }));
      model.send({ kind: "request", what: r.what, stack: r.stack, layer: r.layer, ...r.params, key: keyOf(r), id: 3 });
    });
  return { half, ask };
}

describe("saved pages with whole layers answer the head view's rows", () => {
  it("attention_rows: each row's true top 8 keys per head, their exact weights and mass", async () => {
    const { half, ask } = page();
    const { content, buffers } = await ask(rowsRequest("self", 1, 64));
    expect(content).toMatchObject({ kind: "reply", key: "attention_rows:self:1:64:64:8", data: { start: 64, rows: N - 64, k: 8 } });
    const idx = decodeIntegers({ dtype: "uint32", shape: [H, N - 64, 8], buffer: buffers[0]! });
    const w = decodeArray({ dtype: "float32", shape: [H, N - 64, 8], buffer: buffers[1]! });
    const mass = decodeArray({ dtype: "float32", shape: [H, N - 64], buffer: buffers[2]! });
    for (const [h, i] of [[0, 64], [1, 80], [1, 89]] as const) {
      const row = Array.from({ length: N }, (_, j) => ({ j, w: half[(h * N + i) * N + j]! }));
      row.sort((a, b) => b.w - a.w || a.j - b.j);
      const o = (h * (N - 64) + i - 64) * 8;
      expect([...idx.subarray(o, o + 8)]).toEqual(row.slice(0, 8).map((x) => x.j));
      expect([...w.subarray(o, o + 8)]).toEqual(row.slice(0, 8).map((x) => Math.fround(x.w)));
      expect(mass[h * (N - 64) + i - 64]).toBeCloseTo(row.slice(0, 8).reduce((s, x) => s + x.w, 0), 5);
    }
  });

  it("attention_row: the exact row or column; bad fields and missing layers say what is wrong", async () => {
    const { half, ask } = page();
    const col = await ask(rowRequest("self", 1, "key", 7));
    const v = decodeArray({ dtype: "float32", shape: [H, N], buffer: col.buffers[0]! });
    for (const [h, i] of [[0, 7], [1, 50], [1, 3]] as const) expect(v[h * N + i]).toBe(Math.fround(half[(h * N + i) * N + 7]!));
    const bad = await page().ask(rowRequest("self", 1, "key", N));
    expect(bad.content).toMatchObject({ kind: "error", message: `attention_row index must be an integer in [0, ${N})` });
    const missing = await page().ask(rowsRequest("self", 0, 0));
    expect(missing.content).toMatchObject({ kind: "error", message: "This window of rows of layer 0 was not saved in this page; it needs a running kernel." });
  });
});
