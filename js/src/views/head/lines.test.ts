// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { cachedPaint, Lru, objectId } from "./lines";

describe("head view line caching", () => {
  it("Lru keeps the most recently used entries", () => {
    const c = new Lru<number>(2);
    c.set("a", 1);
    c.set("b", 2);
    expect(c.get("a")).toBe(1); // a is now the most recent
    c.set("c", 3); // evicts b
    expect(c.get("b")).toBeUndefined();
    expect([c.get("a"), c.get("c"), c.size]).toEqual([1, 3, 2]);
  });

  it("objectId tells replaced attention objects apart", () => {
    const a = { data: 1 };
    expect(objectId(a)).toBe(objectId(a));
    expect(objectId({ data: 1 })).not.toBe(objectId(a));
  });

  it("cachedPaint paints a key once and copies it afterwards; an empty key always paints", () => {
    const calls: string[] = [];
    const drawn: unknown[] = [];
    const ctx = {
      canvas: document.createElement("canvas"),
      drawImage: (img: unknown) => drawn.push(img),
    } as unknown as CanvasRenderingContext2D;
    const cache = new Lru<{ bitmap: HTMLCanvasElement; value: string }>(4);
    const paint = (name: string) => () => (calls.push(name), name);
    // happy-dom has no 2D context: without a bitmap context the view paints directly, uncached
    const v = cachedPaint(ctx, cache, "layer0", 10, 10, paint("first"));
    expect(v).toBe("first");
    const bitmap = document.createElement("canvas");
    cache.set("layer1", { bitmap, value: "kept" });
    expect(cachedPaint(ctx, cache, "layer1", 10, 10, paint("never"))).toBe("kept");
    expect(drawn).toEqual([bitmap]);
    expect(cachedPaint(ctx, cache, "", 10, 10, paint("focus"))).toBe("focus");
    expect(calls).toEqual(["first", "focus"]);
  });
});
