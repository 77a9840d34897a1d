/**
 * Decoding of binary arrays sent by Python: `{dtype, shape, buffer}`.
 *
 * ipywidgets hands buffers over as DataViews that may start at a non-zero byteOffset inside a larger
 * ArrayBuffer, so every read goes through the view's own offset, never through `.buffer` alone.
 */
import type { DType, EncodedArray } from "./types";

const BYTES: Record<DType, number> = { float16: 2, uint8: 1, float32: 4, uint16: 2, uint32: 4 };

function toDataView(buffer: unknown): DataView {
  if (buffer instanceof DataView) return buffer;
  if (buffer instanceof ArrayBuffer) return new DataView(buffer);
  if (ArrayBuffer.isView(buffer)) return new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  throw new Error("attnlens: attention buffer is missing or not binary (expected a DataView)");
}

/** IEEE 754 half precision (binary16) bits to a number, incl. subnormals, infinities and NaN. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x03ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero and subnormals: frac / 1024 * 2^-14
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Number to IEEE half bits (round to nearest even). Used by tests and the dev page. */
export function floatToHalf(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const v = Math.abs(value);
  if (v === Infinity) return sign | 0x7c00;
  if (v >= 65520) return sign | 0x7c00;
  if (v < 2 ** -14) {
    // subnormal (or zero)
    const f = Math.round(v / 2 ** -24);
    return sign | f; // f may reach 1024, which is exactly the smallest normal
  }
  let exp = Math.floor(Math.log2(v));
  if (2 ** exp > v) exp -= 1;
  if (2 ** (exp + 1) <= v) exp += 1;
  const f = (v / 2 ** exp - 1) * 1024;
  let fi = Math.floor(f);
  const rem = f - fi;
  if (rem > 0.5 || (rem === 0.5 && fi % 2 === 1)) fi += 1;
  if (fi === 1024) {
    fi = 0;
    exp += 1;
  }
  if (exp + 15 >= 0x1f) return sign | 0x7c00;
  return sign | ((exp + 15) << 10) | fi;
}

function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`attnlens: invalid shape [${shape.join(", ")}]`);
    n *= d;
  }
  return n;
}

/** Every half-precision bit pattern as a number (256 KB, filled once per call site that needs it). */
export function halfTable(): Float32Array {
  const t = new Float32Array(0x10000);
  for (let b = 0; b < 0x10000; b++) t[b] = halfToFloat(b);
  return t;
}

function checked(payload: EncodedArray): { view: DataView; count: number } {
  const { dtype, shape } = payload;
  if (!(dtype in BYTES)) throw new Error(`attnlens: unsupported dtype "${String(dtype)}"`);
  if (!Array.isArray(shape)) throw new Error("attnlens: shape must be a list of integers");
  const count = product(shape);
  const view = toDataView(payload.buffer);
  const expected = count * BYTES[dtype];
  if (view.byteLength !== expected) {
    throw new Error(
      `attnlens: buffer has ${view.byteLength} bytes but ${dtype} shape [${shape.join(", ")}] needs ${expected}`,
    );
  }
  return { view, count };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Decode an array payload into a Float32Array of `product(shape)` values (row-major). float16 and
 * float32 are the values, uint8 is value / 255 (Python's [0, 1] encoding), uint16 and uint32 are the
 * integers themselves (exact below 2^24; use decodeIntegers for exact uint32).
 */
export function decodeArray(payload: EncodedArray, table?: Float32Array): Float32Array {
  const { view, count } = checked(payload);
  const out = new Float32Array(count);
  switch (payload.dtype) {
    case "float32":
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case "float16":
      if (table) for (let i = 0; i < count; i++) out[i] = table[view.getUint16(i * 2, true)]!;
      else for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      break;
    case "uint8":
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i) / 255;
      break;
    case "uint16":
      for (let i = 0; i < count; i++) out[i] = view.getUint16(i * 2, true);
      break;
    case "uint32":
      for (let i = 0; i < count; i++) out[i] = view.getUint32(i * 4, true);
      break;
  }
  return out;
}

/** uint8 / uint16 / uint32 payloads as exact unsigned integers (no scaling). */
export function decodeIntegers(payload: EncodedArray): Uint32Array {
  const { view, count } = checked(payload);
  const out = new Uint32Array(count);
  switch (payload.dtype) {
    case "uint8":
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i);
      break;
    case "uint16":
      if (LITTLE_ENDIAN && view.byteOffset % 2 === 0) out.set(new Uint16Array(view.buffer, view.byteOffset, count));
      else for (let i = 0; i < count; i++) out[i] = view.getUint16(i * 2, true);
      break;
    case "uint32":
      if (LITTLE_ENDIAN && view.byteOffset % 4 === 0) out.set(new Uint32Array(view.buffer, view.byteOffset, count));
      else for (let i = 0; i < count; i++) out[i] = view.getUint32(i * 4, true);
      break;
    default:
      throw new Error(`attnlens: ${payload.dtype} is not an integer dtype`);
  }
  return out;
}

/**
 * Attention-like values without copying where possible: uint8 stays a byte view (scale 1/255), the
 * rest become Float32Array (scale 1).
 */
export function decodeScaled(
  payload: EncodedArray,
  table?: Float32Array,
): { data: Float32Array | Uint8Array; scale: number } {
  if (payload.dtype === "uint8") {
    const { view, count } = checked(payload);
    return { data: new Uint8Array(view.buffer, view.byteOffset, count), scale: 1 / 255 };
  }
  return { data: decodeArray(payload, table), scale: 1 };
}
