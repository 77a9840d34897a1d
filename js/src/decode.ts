/**
 * Decoding of binary arrays sent by Python: `{dtype, shape, buffer}`.
 *
 * ipywidgets hands buffers over as DataViews that may start at a non-zero byteOffset inside a larger
 * ArrayBuffer, so every read goes through the view's own offset, never through `.buffer` alone.
 */
import type { DType, EncodedArray } from "./types";

const BYTES: Record<DType, number> = { float16: 2, uint8: 1, float32: 4 };

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

/** Decode an array payload into a Float32Array of `product(shape)` values (row-major). */
export function decodeArray(payload: EncodedArray): Float32Array {
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
  const out = new Float32Array(count);
  if (dtype === "float32") {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  } else if (dtype === "float16") {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  } else {
    for (let i = 0; i < count; i++) out[i] = view.getUint8(i) / 255;
  }
  return out;
}
