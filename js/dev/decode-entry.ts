/**
 * The page's real decoding path (ReplyCache: chunk reassembly, then decode.ts) behind one function,
 * for the Python fuzz test (tests/test_fuzz_decode.py bundles this with esbuild and runs it in Node).
 */
import { decodeBase64 } from "../src/base64";
import { createMemoryModel } from "../src/memory-model";
import { ReplyCache } from "../src/replies";

export interface WireMessage {
  content: Record<string, unknown>;
  buffers: string[]; // base64
}

export interface Decoded {
  state: string;
  message?: string;
  arrays: Record<string, { dtype: string; shape: number[]; values: number[] }>;
  data: Record<string, unknown>;
}

/** Feed the kernel's messages for one request (a reply, its chunks, or an error) and read back the key. */
export function decodeMessages(key: string, messages: WireMessage[]): Decoded {
  const model = createMemoryModel({});
  const cache = new ReplyCache(model);
  try {
    for (const m of messages) model.emitCustom(m.content, m.buffers.map((b) => decodeBase64(b)));
    const reply = cache.get(key);
    const st = cache.state(key);
    const out: Decoded = { state: st.state, arrays: {}, data: reply?.data ?? {} };
    if ("message" in st) out.message = st.message;
    for (const [name, a] of Object.entries(reply?.arrays ?? {})) {
      out.arrays[name] = { dtype: a.dtype, shape: a.shape, values: Array.from(a.values, (v) => v * a.scale) };
    }
    return out;
  } finally {
    cache.destroy();
  }
}

(globalThis as Record<string, unknown>).attnlensDecode = decodeMessages;
