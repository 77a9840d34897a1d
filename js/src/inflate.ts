/**
 * Saved pages compress their large buffers with zlib (Python's `zlib.compress`, "deflate" in the
 * Compression Streams API): the attention of a 4,096-token trace shrinks ~30× and the page loads in a
 * fraction of the time. Inflating is asynchronous (DecompressionStream), so a page shows "loading"
 * until the first layer it needs is in.
 */

/** A saved buffer: `{base64}` as is, or `{base64, encoding: "deflate", bytes}` compressed. */
export interface SavedBuffer {
  base64: string;
  encoding?: string;
  /** Length after inflating (preallocates the output; checked). */
  bytes?: number;
}

export function isDeflated(buffer: unknown): buffer is SavedBuffer & { encoding: "deflate" } {
  return typeof buffer === "object" && buffer !== null && (buffer as SavedBuffer).encoding === "deflate";
}

export const NO_DECOMPRESSION =
  "this browser cannot open the saved data (it needs DecompressionStream: Chrome 80+, Firefox 113+, Safari 16.4+)";

/** Concatenate stream chunks, into `out` when its length is known. */
export function concatChunks(chunks: readonly Uint8Array[], expected?: number): Uint8Array {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  if (expected !== undefined && total !== expected) {
    throw new Error(`attnlens: a saved buffer inflated to ${total} bytes instead of ${expected}; the page is damaged`);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Inflate zlib bytes (DecompressionStream "deflate"). */
export async function inflate(bytes: Uint8Array, expected?: number): Promise<DataView> {
  const DS = (globalThis as { DecompressionStream?: typeof DecompressionStream }).DecompressionStream;
  if (typeof DS !== "function") throw new Error(`attnlens: ${NO_DECOMPRESSION}`);
  const ds = new DS("deflate");
  const writer = ds.writable.getWriter();
  // The writer's promise fails with the reader's error; the reader reports it.
  writer
    .write(bytes as Uint8Array<ArrayBuffer>)
    .then(() => writer.close())
    .catch(() => undefined);
  try {
    if (typeof Response === "function") {
      // The browser joins the chunks natively (a JS copy of 33 MB in small chunks took ~200 ms).
      const buf = await new Response(ds.readable).arrayBuffer();
      if (expected !== undefined && buf.byteLength !== expected) concatChunks([new Uint8Array(buf)], expected); // throws
      return new DataView(buf);
    }
    const reader = ds.readable.getReader();
    const chunks: Uint8Array[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    const out = concatChunks(chunks, expected);
    return new DataView(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    if (err instanceof Error && err.message.includes("the page is damaged")) throw err;
    throw new Error(`attnlens: a saved buffer does not inflate (${err instanceof Error ? err.message : String(err)}); the page is damaged`);
  }
}
