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
/** Wait (up to 2 s) for an attribute a slow, kernel-answered request sets: replies come after "working". */
async function until(el: Element, name: string, value: string): Promise<void> {
  for (let i = 0; i < 50 && el.getAttribute(name) !== value; i++) await frame();
}
const q = <T extends Element = HTMLElement>(root: Element, sel: string) => root.querySelector(sel) as T;

describe("linked views", () => {
  it("mounts every view named in `view`, in order, with a picker", () => {
    const root = mount(makeModel());
    expect(root.getAttribute("data-view")).toBe("head,logit_lens,model,mlp,neuron");
    expect(root.getAttribute("data-stack")).toBe("self");
    expect([...root.querySelectorAll(".al-view")].map((v) => v.getAttribute("data-view-name"))).toEqual(["head", "logit_lens", "model", "mlp", "neuron"]);
    expect(root.querySelectorAll('[data-control="view"][data-view-name]').length).toBe(8);
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
    expect(model.sent.at(-1)!.content).toMatchObject({ what: "attention_rows", stack: "cross", layer: 0, start: 0 });
  });

  it("attribution: a token locked in the head view is explained; method changes ask the kernel again", async () => {
    const model = makeModel({ view: "head,attribution" });
    const root = mount(model);
    const view = q(root, ".al-attribution");
    expect(view.getAttribute("data-position")).toBe(String(TOKENS.length - 1)); // the last token by default
    const asked = () => model.sent.map((s) => s.content as Record<string, unknown>).filter((c) => c.what === "attribution");
    expect(asked().at(-1)).toMatchObject({ method: "integrated_gradients", position: TOKENS.length - 1, target: "", contrast: "" });
    await until(view, "data-state", "ready");
    expect(view.getAttribute("data-state")).toBe("ready");
    q(root, '[data-token-index="2"][data-side="left"]').click();
    expect(asked().at(-1)).toMatchObject({ position: 2 });
    await until(view, "data-position", "2");
    await until(view, "data-state", "ready");
    expect(view.getAttribute("data-position")).toBe("2");
    const chips = [...view.querySelectorAll<HTMLElement>("[data-position]")];
    expect(chips.length).toBe(TOKENS.length);
    expect(chips[2]!.classList.contains("al-locked")).toBe(true);
    expect(chips[1]!.style.background).toMatch(/^rgb/);
    expect(chips[1]!.title).toMatch(/^The \(token 1\): [+−]\d\.\d{3} \(-?\d+% of the total\)$/);
    expect(q(root, '[data-role="explained"]').textContent).toContain("after “·cat” (position 2, the locked token) → “·sat”");
    // A new method from the page: the trait follows and the kernel is asked.
    const select = q<HTMLSelectElement>(root, 'select[data-control="method"]');
    select.value = "saliency";
    select.dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.get("method")).toBe("saliency");
    expect(asked().at(-1)).toMatchObject({ method: "saliency", position: 2 });
    // Back to the first method: answered from the page's cache, no new request.
    const n = asked().length;
    model.pythonSet("method", "integrated_gradients");
    expect(asked().length).toBe(n);
    expect(view.getAttribute("data-method")).toBe("integrated_gradients");
    // The output × input matrix: asked for on demand, drawn, and a click on a row explains that token.
    q(root, '[data-control="attribution-matrix"]').click();
    expect(asked().length).toBe(n); // a different request kind
    expect(model.sent.map((s) => s.content as Record<string, unknown>).some((c) => c.what === "attribution_matrix" && c.method === "integrated_gradients")).toBe(true);
    await until(view.querySelector(".al-matrix")!, "data-matrix-state", "ready");
    expect(view.querySelector(".al-matrix")!.getAttribute("data-matrix-state")).toBe("ready");
    // A typed target token travels with the request.
    const input = q<HTMLInputElement>(root, 'input[data-control="target-token"]');
    input.value = " mat";
    input.dispatchEvent(new Event("change", { bubbles: true }));
    expect(asked().at(-1)).toMatchObject({ target: " mat", position: 2 });
  });

  it("ablation: heads marked in the model view and neurons in the MLP view; run shows before and after", async () => {
    const model = makeModel({ view: "model,mlp,ablation" });
    const root = mount(model);
    await frame();
    q(root, '[data-control="mark-heads"]').click();
    expect(q(root, '[data-control="mark-heads"]').getAttribute("aria-pressed")).toBe("true");
    q(root, '.al-model [data-layer="2"][data-head="1"]').click();
    expect(model.get("ablate")).toEqual(["head:2:1"]);
    expect(root.getAttribute("data-layer")).toBe("0"); // marking does not select
    expect(q(root, '.al-model [data-layer="2"][data-head="1"]').classList.contains("al-ablated")).toBe(true);
    await frame();
    q(root, ".al-mlp [data-ablate-neuron]").click();
    const marked = model.get("ablate") as string[];
    expect(marked.length).toBe(2);
    expect(marked[1]).toMatch(/^neuron:0:\d+$/);
    await frame();
    expect([...root.querySelectorAll(".al-ablation [data-part]")].map((b) => b.getAttribute("data-part"))).toEqual(marked);
    q(root, '[data-control="run-ablation"]').click();
    const req = model.sent.map((s) => s.content as Record<string, unknown>).find((c) => c.what === "ablation");
    expect(req).toMatchObject({ layer: 0, mode: "zero", heads: [[2, 1]], position: TOKENS.length - 1 });
    await until(q(root, ".al-ablation"), "data-state", "ready");
    expect(q(root, ".al-ablation").getAttribute("data-state")).toBe("ready");
    expect(root.querySelectorAll(".al-ablate-table tr").length).toBe(6); // 2 headers + 2 × 2 rows
    expect(q(root, ".al-ablate-table").textContent).toContain("−0.400");
    // Python unmarks the head: the page follows.
    model.pythonSet("ablate", [marked[1]]);
    expect(q(root, '.al-model [data-layer="2"][data-head="1"]').classList.contains("al-ablated")).toBe(false);
  });

  it("compare: the edit box asks the kernel for a second run; both runs show aligned, changes highlighted", async () => {
    const meta = { ...devMeta(TOKENS, L, H, "tiny", 2), compare: { version: 0, text_a: "The cat sat on it", text_b: "" } };
    const model = makeModel({ view: "head,compare" }, meta);
    const root = mount(model);
    const view = q(root, ".al-compare");
    const input = q<HTMLInputElement>(root, 'input[data-control="compare-text"]');
    expect(input.value).toBe("The cat sat on it");
    expect(view.getAttribute("data-state")).toBe("idle");
    input.value = "The dog sat on new it";
    q(root, '[data-control="compare-run"]').click();
    const asked = () => model.sent.map((s) => s.content as Record<string, unknown>);
    expect(asked().at(-1)).toMatchObject({ what: "edit", text: "The dog sat on new it" });
    await until(view, "data-state", "ready");
    expect(view.getAttribute("data-state")).toBe("ready");
    expect(asked().some((c) => c.what === "compare" && c.version === 1 && c.layer === 0)).toBe(true);
    expect(asked().some((c) => c.what === "compare_attribution" && c.method === "integrated_gradients")).toBe(true);
    const a = [...view.querySelectorAll<HTMLElement>('[data-row="tok_a"]')];
    const b = [...view.querySelectorAll<HTMLElement>('[data-row="tok_b"]')];
    expect(a.length).toBe(TOKENS.length + 1);
    expect(b.map((c) => c.textContent)).toEqual(["<bos>", "The", "·dog", "·sat", "·on", "·new", "·it"]);
    expect(a[5]!.textContent).toBe("—"); // the inserted token has no partner in A
    expect(a.map((c) => c.classList.contains("al-cmp-changed"))).toEqual([false, false, true, false, false, true, false]);
    expect(view.querySelectorAll('[data-row="attr_b"]').length).toBe(TOKENS.length + 1);
    // The query column follows the token locked elsewhere; the layer slider asks for that layer.
    q(root, '[data-token-index="3"][data-side="left"]').click();
    await frame();
    expect(view.getAttribute("data-query-column")).toBe("3");
    model.pythonSet("layer", 2);
    expect(asked().at(-1)).toMatchObject({ what: "compare", layer: 2, version: 1 });
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
