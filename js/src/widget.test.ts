// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import { answerRequests, devMeta, encode, inlineReply, syntheticLayer } from "../dev/synthetic";
import { requestKey } from "./replies";
import widget from "./index";
import { createMemoryModel, type MemoryModel } from "./memory-model";
import { LINES_MAX_WIDTH, LINES_MIN_WIDTH, linesWidthFor } from "./views/head/index";

const TOKENS = ["<bos>", "The", " cat", "<script>alert(1)</script>", "\n", " sat"];
const H = 3;
const L = 4;

function makeModel(extra: Record<string, unknown> = {}, answer = true): MemoryModel {
  const n = TOKENS.length;
  const o = { nLayers: L, nHeads: H, tokens: TOKENS };
  const k0 = requestKey("attention", "self", 0);
  return createMemoryModel(
    {
      layer: 0,
      heads: [0, 1, 2],
      token: null,
      target: null,
      neuron: null,
      view: "head",
      stack: "self",
      mode: "lines",
      _meta: devMeta(TOKENS, L, H),
      _replies: { [k0]: inlineReply("attention", k0, { arrays: { attention: encode(syntheticLayer(0, H, n), [H, n, n], "float16", 8) }, data: {} }) },
      ...extra,
    },
    { onSend: answer ? answerRequests(o) : undefined },
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
  const cleanup = widget.render({ model, el });
  cleanups.push(cleanup);
  const root = el.querySelector(".attnlens") as HTMLElement;
  return { el, root, cleanup };
}

describe("widget", () => {
  it("renders the contract: root attributes, token labels, controls", () => {
    const { root } = mount(makeModel());
    expect(root).toBeTruthy();
    expect(root.getAttribute("data-layer")).toBe("0");
    expect(root.getAttribute("data-heads")).toBe("0,1,2");
    expect(root.getAttribute("data-token")).toBe("");
    expect(root.getAttribute("data-view")).toBe("head");
    expect(root.getAttribute("data-mode")).toBe("lines");
    expect(root.hasAttribute("data-lm-suppress-shortcuts")).toBe(true);
    expect(root.getAttribute("tabindex")).toBe("0");
    expect(root.querySelectorAll('[data-token-index="3"]').length).toBe(2);
    expect(root.querySelectorAll('[data-side="left"]').length).toBe(TOKENS.length);
    expect(root.querySelector('input[type="range"][data-control="layer"]')).toBeTruthy();
    expect(root.querySelectorAll('[data-control="head"]').length).toBe(H);
    expect(root.querySelector('[data-control="head"][data-head="1"]')!.getAttribute("aria-label")).toBe("head 1, shown");
    expect(root.querySelector('[data-control="mode"]')).toBeTruthy();
    expect(root.textContent).toContain("Layer 0 (layers 0–3)");
    expect(root.querySelector('[data-control="heads-all"]')!.textContent).toBe("Hide all");
  });

  it("inserts token text as text, never as markup", () => {
    const { root } = mount(makeModel());
    expect(root.querySelector("script")).toBeNull();
    const label = root.querySelector('[data-token-index="3"][data-side="left"]') as HTMLElement;
    expect(label.textContent).toBe("<script>alert(1)</script>".slice(0, 19) + "…");
    expect(label.getAttribute("title")).toBe("<script>alert(1)</script>");
    expect(label.getAttribute("aria-label")).toContain("<script>alert(1)</script>");
    expect((root.querySelector('[data-token-index="4"]') as HTMLElement).textContent).toBe("⏎");
  });

  it("clicking a token locks it, syncs to Python; clicking again or Escape unlocks", () => {
    const model = makeModel();
    const { root } = mount(model);
    const label = root.querySelector('[data-token-index="2"][data-side="left"]') as HTMLElement;
    label.click();
    expect(root.getAttribute("data-token")).toBe("2");
    expect(model.get("token")).toBe(2);
    expect(model.saved.at(-1)).toEqual({ token: 2 });
    expect(label.getAttribute("aria-pressed")).toBe("true");
    label.click();
    expect(root.getAttribute("data-token")).toBe("");
    expect(model.get("token")).toBeNull();
    label.click();
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(model.get("token")).toBeNull();
  });

  it("follows changes from Python and validates them", async () => {
    const model = makeModel();
    const { root } = mount(model);
    model.pythonSet("layer", 2);
    expect(root.getAttribute("data-layer")).toBe("2");
    expect((root.querySelector('[data-control="layer"]') as HTMLInputElement).value).toBe("2");
    expect(root.textContent).toContain("Layer 2 (layers 0–3)");
    await Promise.resolve(); // the head view draws the new layer once this task ends
    expect(model.sent.at(-1)!.content).toMatchObject({ kind: "request", what: "attention_rows", stack: "self", layer: 2, start: 0, count: 64, k: 8 });
    model.pythonSet("heads", [2, 0, 0, 9]);
    expect(root.getAttribute("data-heads")).toBe("0,2");
    expect(root.querySelector('[data-control="heads-all"]')!.textContent).toBe("Show all");
    model.pythonSet("token", 5);
    expect(root.getAttribute("data-token")).toBe("5");
    model.pythonSet("mode", "heatmap");
    expect(root.getAttribute("data-mode")).toBe("heatmap");
    model.pythonSet("target", 3);
    expect(root.getAttribute("data-target")).toBe("3");
    // Python's own valid values are not echoed back; the invalid heads list is corrected once.
    expect(model.saved).toEqual([{ heads: [0, 2] }]);
  });

  it("head toggles: click toggles, alt-click solos, names say shown/hidden", () => {
    const model = makeModel();
    const { root } = mount(model);
    const b1 = root.querySelector('[data-control="head"][data-head="1"]') as HTMLElement;
    b1.click();
    expect(model.get("heads")).toEqual([0, 2]);
    expect(b1.getAttribute("aria-label")).toBe("head 1, hidden");
    b1.dispatchEvent(new MouseEvent("click", { bubbles: true, altKey: true }));
    expect(model.get("heads")).toEqual([1]);
    b1.dispatchEvent(new MouseEvent("dblclick", { bubbles: true }));
    expect(model.get("heads")).toEqual([0, 1, 2]);
  });

  it("slider and mode button write traits", () => {
    const model = makeModel();
    const { root } = mount(model);
    const slider = root.querySelector('[data-control="layer"]') as HTMLInputElement;
    slider.value = "3";
    slider.dispatchEvent(new Event("input", { bubbles: true }));
    expect(model.get("layer")).toBe(3);
    (root.querySelector('[data-control="mode"]') as HTMLElement).click();
    expect(model.get("mode")).toBe("heatmap");
  });

  it("shows a loading state, then an error from Python", () => {
    const model = makeModel();
    model.send = () => {}; // no kernel answers
    const { root } = mount(model);
    model.pythonSet("layer", 1);
    const status = root.querySelector(".al-status") as HTMLElement;
    // the view redraws on the next frame; force it synchronously through a store-independent path
    return new Promise<void>((resolve) => {
      setTimeout(() => {
        expect(status.textContent).toContain("loading layer 1");
        model.emitCustom({ kind: "error", key: "attention_rows:self:1:0:64:8", message: "no layer 1 in this trace" });
        setTimeout(() => {
          expect(root.textContent).toContain("no layer 1 in this trace");
          resolve();
        }, 50);
      }, 50);
    });
  });

  it("two widgets on one page are independent", () => {
    const m1 = makeModel();
    const m2 = makeModel();
    const a = mount(m1);
    const b = mount(m2);
    (a.root.querySelector('[data-token-index="1"][data-side="right"]') as HTMLElement).click();
    (a.root.querySelector('[data-control="head"][data-head="0"]') as HTMLElement).click();
    expect(a.root.getAttribute("data-token")).toBe("1");
    expect(b.root.getAttribute("data-token")).toBe("");
    expect(b.root.getAttribute("data-heads")).toBe("0,1,2");
    expect(m2.saved).toEqual([]);
    expect(document.querySelectorAll("[id]").length).toBe(0);
  });

  it("cleanup removes the DOM and every model listener", () => {
    const model = makeModel();
    const { el, cleanup } = mount(model);
    expect(model.handlerCount()).toBeGreaterThan(0);
    cleanup();
    expect(el.children.length).toBe(0);
    expect(model.handlerCount()).toBe(0);
  });
});

describe("keys stay in the widget", () => {
  const FOCUSABLE = "button, input, select, textarea, a[href], [tabindex]";

  it("every focusable element carries data-lm-suppress-shortcuts (lines and heatmap)", () => {
    const model = makeModel();
    const { root } = mount(model);
    const check = () => {
      const els = [root, ...root.querySelectorAll<HTMLElement>(FOCUSABLE)];
      expect(els.length).toBeGreaterThan(2 * TOKENS.length + H + 2);
      for (const e of els) expect(e.getAttribute("data-lm-suppress-shortcuts"), `${e.tagName} ${e.className}`).toBe("true");
    };
    check();
    model.pythonSet("mode", "heatmap");
    check();
  });

  it("keydown on a control does not reach the widget's parent; Escape still unlocks", () => {
    const model = makeModel();
    const { el, root } = mount(model);
    const seen: string[] = [];
    el.addEventListener("keydown", (e) => seen.push((e as KeyboardEvent).key));
    document.body.addEventListener("keydown", (e) => seen.push((e as KeyboardEvent).key));
    const slider = root.querySelector('[data-control="layer"]') as HTMLElement;
    const label = root.querySelector('[data-token-index="1"][data-side="left"]') as HTMLElement;
    for (const [target, key] of [
      [slider, "ArrowRight"],
      [label, "b"],
      [label, "Enter"],
      [root.querySelector('[data-control="head"]') as HTMLElement, " "],
      [root, "a"],
    ] as const) {
      target.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true }));
    }
    label.click();
    expect(model.get("token")).toBe(1);
    const esc = new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true });
    label.dispatchEvent(esc);
    expect(model.get("token")).toBeNull();
    expect(esc.defaultPrevented).toBe(true);
    expect(seen).toEqual([]);
  });
});

describe("heatmap key labels", () => {
  it("labels every column with data-key-index, full text in title, text only", async () => {
    const model = makeModel({ mode: "heatmap" });
    const { root } = mount(model);
    await new Promise((r) => setTimeout(r, 50));
    const keys = [...root.querySelectorAll<HTMLElement>("[data-key-index]")];
    expect(keys.map((k) => k.getAttribute("data-key-index"))).toEqual(TOKENS.map((_, i) => String(i)));
    expect(keys.every((k) => !k.hasAttribute("data-token-index") && !k.hasAttribute("data-side"))).toBe(true);
    expect(keys[3]!.getAttribute("title")).toBe("<script>alert(1)</script> (key 3)");
    expect(keys[3]!.textContent).toBe("<script…");
    expect(keys[4]!.textContent).toBe("⏎");
    expect(root.querySelector("script")).toBeNull();
    expect(root.querySelectorAll("[data-token-index][data-side=left]").length).toBe(TOKENS.length);
    expect((root.querySelector(".al-heat-keys") as HTMLElement).hidden).toBe(false);
    model.pythonSet("mode", "lines");
    expect(root.querySelector(".al-head")!.classList.contains("al-has-keys")).toBe(false);
  });
});

describe("lines width follows the available width", () => {
  it("clamps to [LINES_MIN_WIDTH, LINES_MAX_WIDTH], redraws on resize and disconnects its observers on cleanup", async () => {
    const observers: { cb: () => void; connected: boolean }[] = [];
    const win = window as unknown as { ResizeObserver: unknown };
    const original = win.ResizeObserver;
    win.ResizeObserver = class {
      rec: { cb: () => void; connected: boolean };
      constructor(cb: () => void) {
        this.rec = { cb, connected: true };
        observers.push(this.rec);
      }
      observe() {}
      unobserve() {}
      disconnect() {
        this.rec.connected = false;
      }
    };
    try {
      const { root, cleanup } = mount(makeModel());
      const scroll = root.querySelector(".al-scroll") as HTMLElement;
      const canvas = root.querySelector("canvas.al-lines") as HTMLCanvasElement;
      let width = 2000;
      Object.defineProperty(scroll, "clientWidth", { get: () => width });
      const resize = async (w: number) => {
        width = w;
        for (const o of observers) if (o.connected) o.cb();
        await new Promise((r) => setTimeout(r, 40));
      };
      await resize(2000);
      expect(canvas.style.width).toBe(`${LINES_MAX_WIDTH}px`);
      await resize(500);
      expect(canvas.style.width).toBe(`${linesWidthFor(500, 0, 0)}px`);
      expect(linesWidthFor(500, 0, 0)).toBeLessThan(LINES_MAX_WIDTH);
      await resize(100);
      expect(canvas.style.width).toBe(`${LINES_MIN_WIDTH}px`);
      expect(observers.some((o) => o.connected)).toBe(true);
      cleanup();
      expect(observers.every((o) => !o.connected)).toBe(true);
    } finally {
      win.ResizeObserver = original;
    }
  });
});
