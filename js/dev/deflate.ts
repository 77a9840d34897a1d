/** zlib bytes from the platform's own compressor (CompressionStream "deflate"), as Python's zlib writes them. */
import { concatChunks } from "../src/inflate";

export async function deflate(raw: Uint8Array): Promise<Uint8Array> {
  const cs = new CompressionStream("deflate");
  const w = cs.writable.getWriter();
  void w.write(raw as Uint8Array<ArrayBuffer>).then(() => w.close());
  const chunks: Uint8Array[] = [];
  const r = cs.readable.getReader();
  for (;;) {
    const { done, value } = await r.read();
    if (done) break;
    chunks.push(value);
  }
  return concatChunks(chunks);
}
