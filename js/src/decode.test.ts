import { describe, expect, it } from "vitest";
import { decodeArray, floatToHalf, halfToFloat } from "./decode";

/** A DataView over `bytes` that starts at byteOffset 5 inside a larger buffer with junk around it. */
function viewAt(bytes: number[], offset = 5): DataView {
  const ab = new ArrayBuffer(offset + bytes.length + 7);
  const u8 = new Uint8Array(ab);
  u8.fill(0xab);
  u8.set(bytes, offset);
  return new DataView(ab, offset, bytes.length);
}

function le16(...bits: number[]): number[] {
  return bits.flatMap((b) => [b & 0xff, b >> 8]);
}

describe("halfToFloat", () => {
  it("decodes normal, negative, subnormal and special values", () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0x3800)).toBe(0.5);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0xbc00)).toBe(-1);
    expect(halfToFloat(0x0001)).toBe(2 ** -24); // smallest subnormal
    expect(halfToFloat(0x03ff)).toBeCloseTo(1023 * 2 ** -24, 20); // largest subnormal
    expect(halfToFloat(0x8001)).toBe(-(2 ** -24));
    expect(halfToFloat(0x0400)).toBe(2 ** -14); // smallest normal
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
  });

  it("round-trips through floatToHalf for every finite half", () => {
    const bad: number[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      const v = halfToFloat(bits);
      if (!Number.isNaN(v) && floatToHalf(v) !== bits) bad.push(bits);
    }
    expect(bad).toEqual([]);
  });
});

describe("decodeArray", () => {
  it("reads float16 from a DataView at a non-zero byteOffset", () => {
    const buffer = viewAt(le16(0x3c00, 0x3800, 0xbc00, 0x0001, 0x0000, 0x7c00));
    expect(buffer.byteOffset).toBe(5);
    const out = decodeArray({ dtype: "float16", shape: [2, 3], buffer });
    expect(Array.from(out)).toEqual([1, 0.5, -1, 2 ** -24, 0, Infinity]);
  });

  it("reads uint8 as byte / 255 at an offset", () => {
    const out = decodeArray({ dtype: "uint8", shape: [4], buffer: viewAt([0, 255, 51, 128], 3) });
    expect(out[0]).toBe(0);
    expect(out[1]).toBe(1);
    expect(out[2]).toBeCloseTo(0.2, 6);
    expect(out[3]).toBeCloseTo(128 / 255, 6);
  });

  it("reads little-endian float32 at an offset", () => {
    const ab = new ArrayBuffer(4 + 8);
    const dv = new DataView(ab, 4, 8);
    dv.setFloat32(0, 0.25, true);
    dv.setFloat32(4, -3.5, true);
    expect(Array.from(decodeArray({ dtype: "float32", shape: [1, 2], buffer: dv }))).toEqual([0.25, -3.5]);
  });

  it("accepts a typed array view with an offset", () => {
    const ab = new ArrayBuffer(10);
    const u8 = new Uint8Array(ab, 6, 2);
    u8.set([255, 0]);
    expect(Array.from(decodeArray({ dtype: "uint8", shape: [2], buffer: u8 }))).toEqual([1, 0]);
  });

  it("throws a clear error when the byte length does not match the shape", () => {
    const buffer = viewAt(le16(0x3c00, 0x3c00, 0x3c00));
    expect(() => decodeArray({ dtype: "float16", shape: [2, 2], buffer })).toThrow(/6 bytes.*\[2, 2\].*8/);
    expect(() => decodeArray({ dtype: "uint8", shape: [2], buffer: viewAt([1, 2, 3]) })).toThrow(Error);
  });

  it("rejects unknown dtypes, bad shapes and missing buffers", () => {
    expect(() => decodeArray({ dtype: "int64" as never, shape: [1], buffer: viewAt([0]) })).toThrow(/dtype/);
    expect(() => decodeArray({ dtype: "uint8", shape: [-1], buffer: viewAt([0]) })).toThrow(/shape/);
    expect(() => decodeArray({ dtype: "uint8", shape: [1], buffer: null as never })).toThrow(/buffer/);
  });
});

describe("integer dtypes", () => {
  it("decodes uint16 and uint32 little-endian as exact numbers, at any byteOffset", async () => {
    const { decodeIntegers } = await import("./decode");
    const u16 = viewAt([0x01, 0x00, 0xff, 0xff, 0x34, 0x12], 3);
    expect([...decodeIntegers({ dtype: "uint16", shape: [3], buffer: u16 })]).toEqual([1, 65535, 0x1234]);
    expect([...decodeArray({ dtype: "uint16", shape: [3], buffer: u16 })]).toEqual([1, 65535, 0x1234]); // not scaled
    const u32 = viewAt([0x01, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x78, 0x56, 0x34, 0x12], 8);
    expect([...decodeIntegers({ dtype: "uint32", shape: [3], buffer: u32 })]).toEqual([1, 4294967295, 0x12345678]);
    const aligned = new DataView(new Uint32Array([5, 6]).buffer, 4, 4);
    expect([...decodeIntegers({ dtype: "uint32", shape: [1], buffer: aligned })]).toEqual([6]);
    expect(() => decodeIntegers({ dtype: "uint16", shape: [2], buffer: u16 })).toThrow(/bytes/);
    expect(() => decodeIntegers({ dtype: "float16", shape: [1], buffer: viewAt([0, 0]) })).toThrow(/integer/);
  });

  it("decodeScaled keeps uint8 as bytes and decodes float16 through a table", async () => {
    const { decodeScaled, halfTable } = await import("./decode");
    const u8 = decodeScaled({ dtype: "uint8", shape: [2], buffer: viewAt([0, 255]) });
    expect(u8.data).toBeInstanceOf(Uint8Array);
    expect(u8.data[1]! * u8.scale).toBe(1);
    const f = decodeScaled({ dtype: "float16", shape: [2], buffer: viewAt(le16(0x3c00, 0xc000)) }, halfTable());
    expect([...f.data]).toEqual([1, -2]);
  });
});
