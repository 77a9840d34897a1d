import { describe, expect, it, vi } from "vitest";
import { createStore } from "./store";

describe("store", () => {
  it("has defaults and takes initial values", () => {
    const s = createStore({ layer: 2, heads: [0, 3] });
    expect(s.get()).toMatchObject({ layer: 2, heads: [0, 3], token: null, hover: null, mode: "lines", view: "head" });
  });

  it("notifies only on real change", () => {
    const s = createStore({ heads: [1, 2] });
    const fn = vi.fn();
    s.subscribe(fn);
    s.set({ layer: 0 });
    s.set({ heads: [1, 2] });
    s.set({ token: null, mode: "lines" });
    s.set({});
    expect(fn).not.toHaveBeenCalled();
    s.set({ layer: 1 });
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn.mock.calls[0]![0].layer).toBe(1);
    expect(fn.mock.calls[0]![1].layer).toBe(0);
    s.set({ heads: [1] });
    s.set({ token: 0 });
    s.set({ token: 0 });
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it("notifies once for a multi-key change", () => {
    const s = createStore();
    const fn = vi.fn();
    s.subscribe(fn);
    s.set({ layer: 3, token: 4, mode: "heatmap" });
    expect(fn).toHaveBeenCalledTimes(1);
    expect(s.get()).toMatchObject({ layer: 3, token: 4, mode: "heatmap" });
  });

  it("stops notifying after unsubscribe", () => {
    const s = createStore();
    const a = vi.fn();
    const b = vi.fn();
    const offA = s.subscribe(a);
    s.subscribe(b);
    offA();
    s.set({ layer: 1 });
    expect(a).not.toHaveBeenCalled();
    expect(b).toHaveBeenCalledTimes(1);
  });

  it("does not share state between instances or alias arrays", () => {
    const heads = [0, 1];
    const s1 = createStore({ heads });
    const s2 = createStore();
    s1.set({ layer: 5 });
    heads.push(7);
    expect(s2.get().layer).toBe(0);
    expect(s1.get().heads).toEqual([0, 1]);
  });
});
