// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import { answerRequests, devMeta } from "../dev/synthetic";
import { createMemoryModel, type MemoryModel } from "./memory-model";
import { render } from "./widget";

const TOKENS = ["<bos>", "The", " cat", " sat", " on", " it"];
const L = 3;
const H = 4;

function makeModel(extra: Record<string, unknown> = {}, meta = devMeta(TOKENS, L, H, "tiny", 2) as Record<string, unknown>): MemoryModel {
  const o = { nLayers: L, nHeads: H, kvHeads: 2, tokens: TOKENS };
  return createMemoryModel(
    { layer: 0, heads: [0, 1, 2, 3], token: null, target: null, neuron: null, view: "head,logit_lens,model,mlp,neuron", stack: "self", mode: "lines", _meta: meta, _replies: {}, ...extra },
    { onSend: answerRequests(o) },
  );
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
  document.body.replaceChildren();
});

function mount(model: MemoryModel): HTMLElement {
  const el = document.createElement("div");
  document.body.append(el);
  cleanups.push(render({ model, el }));
  return el.querySelector(".attnlens") as HTMLElement;
}
const frame = () => new Promise((r) => setTimeout(r, 40));
const q = <T extends Element = HTMLElement>(root: Element, sel: string) => root.querySelector(sel) as T;

describe("linked views", () => {
  it("mounts every view named in `view`, in order, with a picker", () => {
    const root = mount(makeModel());
    expect(root.getAttribute("data-view")).toBe("head,logit_lens,model,mlp,neuron");
    expect(root.getAttribute("data-stack")).toBe("self");
    expect([...root.querySelectorAll(".al-view")].map((v) => v.getAttribute("data-view-name"))).toEqual(["head", "logit_lens", "model", "mlp", "neuron"]);
    expect(root.querySelectorAll('[data-control="view"][data-view-name]').length).toBe(5);
    expect(root.querySelectorAll("[data-layer][data-head]").length).toBe(L * H);
    expect(root.querySelector('[data-control="stack"]')).toBeNull(); // one stack: no selector
  });

  it("a click in the model view updates the slider, head toggles, head view and traits", async () => {
    const model = makeModel();
    const root = mount(model);
    q(root, '.al-model [data-layer="2"][data-head="1"]').click();
    expect(root.getAttribute("data-layer")).toBe("2");
    expect(root.getAttribute("data-heads")).toBe("1");
    expect(q<HTMLInputElement>(root, 'input[type=range][data-control="layer"]').value).toBe("2");
    expect(q(root, '[data-control="head"][data-head="1"]').getAttribute("aria-pressed")).toBe("true");
    expect(q(root, '[data-control="head"][data-head="0"]').getAttribute("aria-pressed")).toBe("false");
    expect(q(root, '[data-layer="2"][data-head="1"]').getAttribute("aria-selected")).toBe("true");
    expect(model.get("layer")).toBe(2);
    expect(model.get("heads")).toEqual([1]);
    await frame();
    expect(q<HTMLSelectElement>(root, '[data-control="neuron-head"]').value).toBe("1");
  });

  it("a token clicked in the logit lens locks it in the head view; a head-view click shows in the lens", async () => {
    const model = makeModel();
    const root = mount(model);
    await frame();
    q(root, '.al-lens [data-position="3"]').click();
    expect(root.getAttribute("data-token")).toBe("3");
    expect(q(root, '[data-token-index="3"][data-side="left"]').getAttribute("aria-pressed")).toBe("true");
    q(root, '[data-token-index="2"][data-side="left"]').click();
    expect(model.get("token")).toBe(2);
    expect(q(root, '.al-lens [data-position="2"]').classList.contains("al-locked")).toBe(true);
    expect(q(root, '.al-lens [data-position="3"]').classList.contains("al-locked")).toBe(false);
    await frame();
    expect(q<HTMLInputElement>(root, '[data-control="neuron-token"]').value).toBe("2");
  });

  it("clicking a neuron sets the trait and colours every token by it", async () => {
    const model = makeModel();
    const root = mount(model);
    await frame();
    const btn = q(root, '[data-control="neuron"]');
    const n = Number(btn.getAttribute("data-neuron"));
    btn.click();
    expect(model.get("neuron")).toBe(n);
    expect(root.getAttribute("data-neuron")).toBe(String(n));
    await frame();
    const chips = [...root.querySelectorAll<HTMLElement>(".al-mlp [data-position]")];
    expect(chips.length).toBe(TOKENS.length);
    expect(chips.every((c) => c.style.background.startsWith("rgb"))).toBe(true);
    expect(model.sent.some((s) => (s.content as { what: string }).what === "neuron")).toBe(true);
  });

  it("keyboard: arrows move the token from the root, [ and ] the layer, Esc unlocks", () => {
    const model = makeModel();
    const root = mount(model);
    const key = (k: string, target: Element = root) => target.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true }));
    key("ArrowDown");
    expect(root.getAttribute("data-token")).toBe("0");
    key("ArrowRight");
    key("ArrowDown");
    expect(root.getAttribute("data-token")).toBe("2");
    key("ArrowUp", q(root, '[data-token-index="2"][data-side="left"]'));
    expect(root.getAttribute("data-token")).toBe("1");
    key("]");
    key("]");
    key("]");
    expect(root.getAttribute("data-layer")).toBe("2");
    key("[");
    expect(model.get("layer")).toBe(1);
    key("ArrowRight", q(root, 'input[type=range][data-control="layer"]')); // the slider's own arrows
    expect(root.getAttribute("data-token")).toBe("1");
    key("Escape");
    expect(root.getAttribute("data-token")).toBe("");
  });

  it("the view picker and the view trait show and hide views", () => {
    const model = makeModel({ view: "head" });
    const root = mount(model);
    expect(root.querySelectorAll(".al-view").length).toBe(1);
    q(root, '[data-control="view"][data-view-name="logit_lens"]').click();
    expect(model.get("view")).toBe("head,logit_lens");
    expect(root.getAttribute("data-view")).toBe("head,logit_lens");
    model.pythonSet("view", "model,head");
    expect([...root.querySelectorAll(".al-view")].map((v) => v.getAttribute("data-view-name"))).toEqual(["model", "head"]);
    q(root, '[data-control="view"][data-view-name="model"]').click();
    q(root, '[data-control="view"][data-view-name="head"]').click(); // the last one stays
    expect(model.get("view")).toBe("head");
    const focusables = [root, ...root.querySelectorAll<HTMLElement>("button, input, select, [tabindex]")];
    for (const e of focusables) expect(e.getAttribute("data-lm-suppress-shortcuts")).toBe("true");
    for (const b of root.querySelectorAll<HTMLElement>("button")) expect(b.getAttribute("aria-label") || b.textContent).toBeTruthy();
  });

  it("seq2seq: a stack selector; cross-attention has different query and key lists", () => {
    const meta = {
      ...devMeta(TOKENS, 2, 2, "t5"),
      target_tokens: ["<pad>", "Le", " chat"],
      stacks: [
        { name: "encoder", n_layers: 2, n_heads: 2, kv_heads: 2, queries: "source", keys: "source", has_qk: true, has_mlp: true },
        { name: "decoder", n_layers: 2, n_heads: 2, kv_heads: 2, queries: "target", keys: "target", has_qk: true, has_mlp: true },
        { name: "cross", n_layers: 2, n_heads: 2, kv_heads: 2, queries: "target", keys: "source", has_qk: true, has_mlp: false },
      ],
    };
    const model = makeModel({ view: "head", stack: "encoder", heads: [0, 1] }, meta);
    const root = mount(model);
    const select = q<HTMLSelectElement>(root, 'select[data-control="stack"]');
    expect(select.options.length).toBe(3);
    expect(root.querySelectorAll('[data-side="left"]').length).toBe(TOKENS.length);
    select.value = "cross";
    select.dispatchEvent(new Event("change", { bubbles: true }));
    expect(root.getAttribute("data-stack")).toBe("cross");
    expect(model.get("stack")).toBe("cross");
    expect(root.querySelectorAll('[data-side="left"]').length).toBe(3);
    expect(root.querySelectorAll('[data-side="right"]').length).toBe(TOKENS.length);
    expect(model.sent.at(-1)!.content).toMatchObject({ what: "attention", stack: "cross", layer: 0 });
  });

  it("long inputs: only the rows on screen have labels", () => {
    const long = Array.from({ length: 4096 }, (_, i) => `t${i}`);
    const model = createMemoryModel({ layer: 0, heads: [0], view: "head,logit_lens,neuron", stack: "self", _meta: devMeta(long, 2, 1), _replies: {} });
    const root = mount(model);
    const left = root.querySelectorAll('[data-side="left"]').length;
    expect(left).toBeGreaterThan(10);
    expect(left).toBeLessThan(60);
    expect(root.querySelectorAll(".al-lens [data-position]").length).toBeLessThan(40);
    expect(root.querySelectorAll(".al-neuron [data-key-index]").length).toBeLessThan(40);
    model.pythonSet("token", 3000);
    // the head view scrolls the locked token into its window (layout-free DOM: the label exists)
    expect(root.getAttribute("data-token")).toBe("3000");
  });
});
