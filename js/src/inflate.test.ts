import { describe, expect, it } from "vitest";
import { deflate as deflateSync } from "../dev/deflate";
import { concatChunks, inflate, isDeflated } from "./inflate";

describe("inflate", () => {
  it("inflates what zlib (Python's zlib.compress) wrote, byte for byte", async () => {
    const raw = new Uint8Array(200_000);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 7919) % 251 < 20 ? i % 256 : 0;
    const packed = await deflateSync(raw);
    expect(packed[0]).toBe(0x78); // a zlib header (RFC 1950), as Python's zlib.compress writes
    expect((packed[0]! * 256 + packed[1]!) % 31).toBe(0);
    expect(packed.length).toBeLessThan(raw.length / 4);
    const out = await inflate(packed, raw.length);
    expect(out.byteLength).toBe(raw.length);
    expect(new Uint8Array(out.buffer, out.byteOffset, out.byteLength)).toEqual(raw);
  });

  it("says so when the length differs or the data is not zlib", async () => {
    const packed = await deflateSync(new Uint8Array(10));
    await expect(inflate(packed, 11)).rejects.toThrow(/10 bytes instead of 11.*damaged/);
    await expect(inflate(new Uint8Array([1, 2, 3, 4]))).rejects.toThrow(/does not inflate.*damaged/);
  });

  it("joins chunks in order and recognises deflated buffers", () => {
    expect(concatChunks([Uint8Array.from([1, 2]), Uint8Array.from([3])])).toEqual(Uint8Array.from([1, 2, 3]));
    expect(isDeflated({ base64: "", encoding: "deflate", bytes: 3 })).toBe(true);
    expect(isDeflated({ base64: "" })).toBe(false);
    expect(isDeflated(null)).toBe(false);
  });
});
