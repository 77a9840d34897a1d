/**
 * Reassembly of a reply that the kernel sent in chunks (protocol.chunked: each at most 8 MiB of buffer
 * bytes). Pure: one chunk in, the assembly so far (or the whole reply) out, or an Error saying why
 * the chunks cannot make a reply. ReplyCache keeps the assembly per key and the waiting time.
 */

/** A chunked reply being put back together. */
export interface Assembly {
  id: unknown;
  count: number;
  next: number;
  reply: Record<string, unknown>;
  buffers: Uint8Array[];
  filled: number[];
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null;
}

function bytesOf(buffer: unknown): Uint8Array | null {
  if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
  if (ArrayBuffer.isView(buffer)) return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  return null;
}

/** Add chunk `content` (with its `buffers`) to `a`: the assembly so far, or the reassembled reply. */
export function addChunk(
  a: Assembly | undefined,
  content: Record<string, unknown>,
  buffers: unknown[],
): { assembly: Assembly; complete?: undefined } | { assembly?: undefined; complete: { reply: Record<string, unknown>; buffers: Uint8Array[] } } {
  const index = content.index;
  const count = content.count;
  if (typeof index !== "number" || typeof count !== "number" || !Number.isInteger(index) || index < 0 || index >= count) {
    throw new Error(`a chunk has index ${String(index)} of ${String(count)}`);
  }
  if (index === 0) {
    const sizes = content.sizes;
    if (!isObject(content.reply) || !Array.isArray(sizes) || !sizes.every((n) => Number.isInteger(n) && n >= 0)) {
      throw new Error("its first chunk has no reply header");
    }
    a = { id: content.id, count, next: 0, reply: content.reply, buffers: (sizes as number[]).map((n) => new Uint8Array(n)), filled: sizes.map(() => 0) };
  }
  if (!a) throw new Error(`chunk ${index + 1} of ${count} came without the ones before it`);
  if (index !== a.next || count !== a.count || content.id !== a.id) {
    throw new Error(`chunk ${index + 1} of ${count} came where chunk ${a.next + 1} of ${a.count} was expected`);
  }
  const pieces = Array.isArray(content.pieces) ? content.pieces : [];
  for (let j = 0; j < pieces.length; j++) {
    const p = pieces[j] as unknown;
    const data = bytesOf(buffers[j]);
    const bi = isObject(p) && typeof p.buffer === "number" ? p.buffer : -1;
    const offset = isObject(p) ? p.offset : undefined;
    const b = a.buffers[bi];
    if (!data || !b || typeof offset !== "number" || offset !== a.filled[bi] || offset + data.length > b.length) {
      throw new Error(`chunk ${index + 1} of ${count} has a piece that does not fit`);
    }
    b.set(data, offset);
    a.filled[bi] = offset + data.length;
  }
  a.next++;
  if (a.next < a.count) return { assembly: a };
  if (a.filled.some((n, i) => n !== a!.buffers[i]!.length)) throw new Error("its chunks left parts of the data empty");
  return { complete: { reply: a.reply, buffers: a.buffers } };
}
