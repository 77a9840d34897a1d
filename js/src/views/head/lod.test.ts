// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import { answerRequests, devMeta } from "../../../dev/synthetic";
import { syntheticRowInto } from "../../../dev/synthetic-rows";
import widget from "../../index";
import { createMemoryModel, type MemoryModel } from "../../memory-model";

const N = 1000;
const H = 2;
const TOKENS = Array.from({ length: N }, (_, i) => `w${i}`);

function makeModel(answer = true): MemoryModel {
  return createMemoryModel(
    { layer: 0, heads: [0, 1], token: null, target: null, neuron: null, view: "head", stack: "self", mode: "lines", _meta: devMeta(TOKENS, 3, H), _replies: {} },
    { onSend: answer ? answerRequests({ nLayers: 3, nHeads: H, tokens: TOKENS }) : undefined },
  );
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
  document.body.replaceChildren();
});

function mount(model: MemoryModel) {
  const el = document.createElement("div");
  document.body.append(el);
  cleanups.push(widget.render({ model, el }));
  return el.querySelector(".attnlens") as HTMLElement;
}

type Req = { what: string; layer: number; start?: number; count?: number; k?: number; index?: number; side?: string };
const asked = (m: MemoryModel) => m.sent.map((s) => s.content as Req).filter((c) => c.what.startsWith("attention"));
const frame = () => new Promise((r) => setTimeout(r, 40));

describe("head view, level of detail", () => {
  it("asks only for the 64-row windows on screen (k = 8), never a whole layer", async () => {
    const model = makeModel();
    const root = mount(model);
    await frame();
    expect(asked(model)).toEqual([expect.objectContaining({ what: "attention_rows", layer: 0, start: 0, count: 64, k: 8 })]);
    expect(root.getAttribute("data-drawn-layer")).toBe("0");
    const status = root.querySelector(".al-status")!.textContent ?? "";
    expect(status).toMatch(/^lines: each row's 8 strongest keys per head \(on average \d+% of its weight\)/);
    // scroll to rows 250… (22 px rows): windows 192 and 256 cover what is on screen
    const scroll = root.querySelector(".al-scroll") as HTMLElement;
    scroll.scrollTop = 22 * 250;
    scroll.dispatchEvent(new Event("scroll"));
    await frame();
    const starts = asked(model).map((r) => r.start);
    expect(starts.slice(0, 1)).toEqual([0]);
    expect(new Set(starts.slice(1))).toEqual(new Set([192, 256]));
    expect(asked(model).every((r) => r.what === "attention_rows")).toBe(true);
    // the labels of both columns follow the scroll
    expect(root.querySelector('[data-side="right"][data-token-index="260"]')).not.toBeNull();
    expect(root.querySelector('[data-side="right"][data-token-index="5"]')).toBeNull();
  });

  it("a hovered token's lines and shading come from its exact row (left) or column (right)", async () => {
    const model = makeModel();
    const root = mount(model);
    await frame();
    const hover = (side: string, i: number) => {
      root.querySelector(`[data-side="${side}"][data-token-index="${i}"]`)!.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
    };
    hover("left", 12);
    await frame();
    expect(asked(model).at(-1)).toMatchObject({ what: "attention_row", layer: 0, side: "query", index: 12 });
    expect(root.querySelector(".al-status")!.textContent).toBe("token 12: every line of its exact row");
    // shading of the right column: mean over heads 0 and 1 of row 12
    const row = new Float32Array(N);
    const mean = (j: number) => ([0, 1].reduce((s, h) => s + syntheticRowInto(row, 0, h, 12, N)[j]!, 0) / 2);
    for (const j of [0, 11, 12, 13]) {
      const label = root.querySelector(`[data-side="right"][data-token-index="${j}"]`) as HTMLElement;
      expect(Number(label.style.getPropertyValue("--al-w"))).toBeCloseTo(Math.min(1, mean(j)), 5);
    }
    // answered later (as a kernel does), after the left row: the view must still redraw for it
    const later: (() => void)[] = [];
    const answer = answerRequests({ nLayers: 3, nHeads: H, tokens: TOKENS });
    model.send = (content: unknown) => void later.push(() => answer(content, model));
    hover("right", 3);
    await frame();
    expect(root.querySelector(".al-status")!.textContent).toBe("loading token 3's exact column… (its strongest keys meanwhile)");
    later.forEach((fn) => fn());
    await frame();
    expect(later.length).toBe(1);
    expect(root.querySelector(".al-status")!.textContent).toBe("token 3: every line of its exact column");
    const col = (i: number) => ([0, 1].reduce((s, h) => s + syntheticRowInto(row, 0, h, i, N)[3]!, 0) / 2);
    for (const i of [2, 3, 10]) {
      const label = root.querySelector(`[data-side="left"][data-token-index="${i}"]`) as HTMLElement;
      expect(Number(label.style.getPropertyValue("--al-w"))).toBeCloseTo(Math.min(1, col(i)), 5);
    }
  });

  it("while rows load, the layer is not reported drawn and the status says so", async () => {
    const model = makeModel(false);
    const root = mount(model);
    await frame();
    expect(root.hasAttribute("data-drawn-layer")).toBe(false);
    expect(root.querySelector(".al-status")!.textContent).toBe("loading layer 0…");
    expect(root.querySelector(".al-head")!.classList.contains("al-pending")).toBe(true);
  });
});
