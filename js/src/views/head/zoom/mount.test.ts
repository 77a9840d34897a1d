// @vitest-environment happy-dom
/** The component over an in-page model answered by the synthetic LOD kernel (dev/synthetic-lod.ts). */
import { afterEach, describe, expect, it } from "vitest";
import { answerLod, exactMean } from "../../../../dev/synthetic-lod";
import { createMemoryModel } from "../../../memory-model";
import { ReplyCache } from "../../../replies";
import { createStore } from "../../../store";
import { mountZoomHeatmap, type ZoomHeatmap } from "./index";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0)) fn();
});

function setup(n: number, opts: { answer?: (c: Record<string, unknown>) => boolean } = {}) {
  const nHeads = 4;
  const tokens = Array.from({ length: n }, (_, i) => `t${i}`);
  const model = createMemoryModel({ _replies: {} }, {
    onSend(content, m) {
      if (opts.answer && !opts.answer(content as Record<string, unknown>)) return;
      answerLod(content, m, { nLayers: 2, nHeads, tokens });
    },
  });
  const cache = new ReplyCache(model, { timeoutMs: 1000 });
  const store = createStore({ layer: 1, heads: [0, 1, 2, 3] });
  const el = document.createElement("div");
  document.body.append(el);
  const map = () => el.querySelector<HTMLElement>(".al-zoom-map")!;
  const drawn: string[] = [];
  const heat: ZoomHeatmap = mountZoomHeatmap(el, { cache, stack: "self", nq: n, nk: n, nHeads, queryTokens: tokens, keyTokens: tokens, store, height: 400, onDrawn: (b, l) => drawn.push(`${l}:${b}`) });
  Object.defineProperty(map(), "clientWidth", { get: () => 800 });
  Object.defineProperty(map(), "clientHeight", { get: () => 400 });
  heat.redraw();
  cleanups.push(() => {
    heat.destroy();
    el.remove();
    cache.destroy();
  });
  const sent = () => model.sent.map((s) => (s.content as { key: string }).key);
  const root = () => el.querySelector<HTMLElement>(".al-zoom")!;
  return { el, heat, store, model, cache, sent, root, drawn };
}

const frame = () => new Promise((r) => setTimeout(r, 40));
/** Wait (polling) until `cond` holds: frames are late on a loaded machine. */
async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await frame();
}

describe("mountZoomHeatmap", () => {
  it("asks only for the overview at fit, never a whole layer, and says when it is drawn", async () => {
    const t = setup(4096);
    await until(() => t.root().getAttribute("data-heat-drawn") === "8");
    expect(t.sent()).toEqual(["attention_tile:self:1:max:8:0:0:all"]);
    expect(t.root().getAttribute("data-heat-block")).toBe("8");
    expect(t.root().getAttribute("data-heat-view")).toBe("0,4096,0,4096");
    expect(t.root().getAttribute("data-heat-drawn")).toBe("8");
    expect(t.drawn).toEqual(["1:8"]);
  });

  it("zooming in asks for the finer tiles on screen with the chosen heads, and pool changes the key", async () => {
    const t = setup(4096);
    await frame();
    t.heat.setSelection(0, [2, 0], null);
    t.el.querySelector<HTMLButtonElement>('[data-control="zoom-fit"]')!.click();
    for (let k = 0; k < 3; k++) t.el.querySelector<HTMLButtonElement>('[data-control="zoom-in"]')!.click();
    await until(() => t.root().getAttribute("data-heat-drawn") === "1");
    expect(t.root().getAttribute("data-heat-block")).toBe("1");
    const fine = t.sent().filter((k) => k.includes(":max:1:"));
    expect(fine.length).toBeGreaterThan(0);
    expect(fine.length).toBeLessThanOrEqual(4);
    for (const k of fine) expect(k).toMatch(/^attention_tile:self:0:max:1:\d+:\d+:0,2$/);
    expect(t.sent().some((k) => k.startsWith("attention:"))).toBe(false);
    const pool = t.el.querySelector<HTMLSelectElement>('[data-control="heat-pool"]')!;
    pool.value = "mean";
    pool.dispatchEvent(new Event("change"));
    await until(() => t.sent().includes("attention_tile:self:0:mean:8:0:0:0,2") && t.root().getAttribute("data-heat-drawn") === "1");
    expect(t.sent()).toContain("attention_tile:self:0:mean:8:0:0:0,2");
    expect(t.root().getAttribute("data-heat-drawn")).toBe("1");
  });

  it("the hover readout shows the exact mean of the shown heads from attention_cell", async () => {
    const t = setup(1200);
    await frame();
    t.heat.setSelection(1, [1, 3], null);
    const canvas = t.el.querySelector("canvas")!;
    canvas.getBoundingClientRect = () => ({ left: 0, top: 0, right: 800, bottom: 400, width: 800, height: 400, x: 0, y: 0, toJSON() {} });
    canvas.dispatchEvent(new PointerEvent("pointermove", { clientX: 200.5, clientY: 300.5, pointerId: 1 }));
    const ro = t.el.querySelector<HTMLElement>('[data-readout="heat-cell"]')!;
    await until(() => Boolean(ro.getAttribute("data-value")));
    const row = Number(ro.getAttribute("data-row"));
    const col = Number(ro.getAttribute("data-col"));
    expect(row).toBe(Math.floor(300.5 * (1200 / 400))); // fit: 3 tokens per px
    expect(col).toBe(Math.floor(200.5 * (1200 / 400)));
    expect(t.sent()).toContain(`attention_cell:self:1:${row}:${col}`);
    expect(Number(ro.getAttribute("data-value"))).toBeCloseTo(exactMean(1, [1, 3], row, col), 7);
    expect(ro.textContent).toContain(`“t${row}” (${row})`);
    expect(t.root().getAttribute("data-heat-block")).toBe("2");
    const r0 = Math.floor(row / 2) * 2;
    expect(ro.textContent).toContain(`colour here: max of queries ${r0}–${r0 + 1} ×`);
  });

  it("a level a saved page lacks says so and keeps the overview", async () => {
    const t = setup(4096, {
      answer: (c) => {
        if (c.what === "attention_tile" && c.block !== 8) {
          queueMicrotask(() => t.model.emitCustom({ kind: "error", key: c.key, id: c.id, message: `${String(c.key)} was not saved in this page; it needs a running kernel.` }));
          return false;
        }
        return true;
      },
    });
    await frame();
    t.el.querySelector<HTMLButtonElement>('[data-control="zoom-in"]')!.click();
    await frame();
    const status = t.el.querySelector(".al-status")!;
    await until(() => Boolean(status.textContent?.includes("not in this page")));
    expect(status.textContent).toContain("zoom level not in this page");
    expect(status.textContent).toContain("it needs a running kernel");
    expect(t.root().getAttribute("data-heat-drawn")).toBe("");
  });

  it("destroy removes the DOM and every listener", async () => {
    const t = setup(512);
    await frame();
    t.heat.destroy();
    expect(t.el.querySelector(".al-zoom")).toBeNull();
    expect(t.model.handlerCount()).toBe(4); // the cache's own four
  });
});
