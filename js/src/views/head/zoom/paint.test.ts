import { describe, expect, it } from "vitest";
import { colorLut, sequentialColor } from "../../../colors";
import { tileRect } from "./levels";
import { axisCells, colorIndex, paintTile, visibleMax, type Surface, type TileData } from "./paint";

const grey = Uint8ClampedArray.from({ length: 768 }, (_, k) => Math.floor(k / 3)); // lut: index → grey level

function surface(width: number, height: number, x: number, y: number, tpdp: number): Surface {
  return { data: new Uint8ClampedArray(width * height * 4), width, height, x, y, tpdp };
}

/** A 4×4-token matrix at block 1 whose value is (row * 4 + col) / 15. */
function ramp(): TileData {
  return { rect: tileRect(1, 0, 0, 4, 4), values: Float32Array.from({ length: 16 }, (_, k) => k / 15), scale: 1 };
}

describe("paint", () => {
  it("axis cells: upscaled pixels sample the cell under their centre", () => {
    const a = axisCells(8, 0, 0.5, 0, 4, 1); // 2 px per token
    expect(Array.from(a)).toEqual([0, 1, 0, 1, 1, 2, 1, 2, 2, 3, 2, 3, 3, 4, 3, 4]);
    const off = axisCells(4, 2, 1, 0, 4, 1); // map starts at token 2
    expect(Array.from(off)).toEqual([2, 3, 3, 4, -1, -1, -1, -1]);
  });

  it("axis cells: a pixel over several cells pools them", () => {
    expect(Array.from(axisCells(2, 0, 2, 0, 4, 1))).toEqual([0, 2, 2, 4]);
  });

  it("paints each device pixel with its cell's colour (upscaled ×2)", () => {
    const s = surface(8, 8, 0, 0, 0.5);
    paintTile(s, ramp(), { max: 1, lut: grey, pool: "max" });
    const at = (px: number, py: number) => s.data[(py * 8 + px) * 4]!;
    expect(at(0, 0)).toBe(0);
    expect(at(7, 7)).toBe(255);
    expect(at(3, 5)).toBe(colorIndex(9 / 15, 1)); // row 2, col 1
    expect(s.data[3]).toBe(255);
  });

  it("downscaled pixels show the max of their cells (a sharp cell stays visible)", () => {
    const values = new Float32Array(16);
    values[1 * 4 + 2] = 0.9; // one bright cell at row 1, col 2
    const s = surface(2, 2, 0, 0, 2);
    paintTile(s, { rect: tileRect(1, 0, 0, 4, 4), values, scale: 1 }, { max: 0.9, lut: grey, pool: "max" });
    expect([s.data[0], s.data[4], s.data[8], s.data[12]]).toEqual([0, 255, 0, 0]);
    const m = surface(2, 2, 0, 0, 2);
    paintTile(m, { rect: tileRect(1, 0, 0, 4, 4), values, scale: 1 }, { max: 0.9, lut: grey, pool: "mean" });
    expect(m.data[4]).toBe(colorIndex(0.9 / 4, 0.9));
  });

  it("pixels outside the tile are left alone; the colour scale is clamped", () => {
    const s = surface(6, 1, 0, 0, 1);
    paintTile(s, ramp(), { max: 0.1, lut: colorLut((t) => sequentialColor(t)), pool: "max" });
    expect(s.data[4 * 4 + 3]).toBe(0);
    expect(colorIndex(5, 1)).toBe(255);
    expect(colorIndex(-1, 1)).toBe(0);
    expect(colorIndex(1, 0)).toBe(0);
  });

  it("visible max looks only at cells on screen", () => {
    expect(visibleMax(ramp(), { r0: 0, r1: 2, c0: 0, c1: 2 })).toBeCloseTo(5 / 15);
    expect(visibleMax(ramp(), { r0: 0, r1: 4, c0: 0, c1: 4 })).toBeCloseTo(1);
  });
});
