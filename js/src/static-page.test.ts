// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import { devMeta, encode, syntheticArrays, syntheticLayer } from "../dev/synthetic";
import { decodeArray } from "./decode";
import { requestKey } from "./replies";
import { deflate } from "../dev/deflate";
import { boot, decodeBase64, notSavedMessage, parseState, STATE_SELECTOR } from "./static-page";

function toBase64(view: DataView): string {
  let s = "";
  for (let i = 0; i < view.byteLength; i++) s += String.fromCharCode(view.getUint8(i));
  return btoa(s);
}

const TOKENS = ["<bos>", "A", " </script>", " <!-- x", " b"];
const H = 2;
const N = TOKENS.length;

function stateJson(layers: number[], extra: Record<string, unknown> = {}, whole = true): string {
  const _replies: Record<string, unknown> = {};
  const add = (what: string, layer?: number, extra: string[] = [], params?: Record<string, unknown>) => {
    const built = syntheticArrays(what, { nLayers: 3, nHeads: H, tokens: TOKENS, layer, params })!;
    const arrays: Record<string, unknown> = {};
    for (const [name, a] of Object.entries(built.arrays))
      arrays[name] = { dtype: a.dtype, shape: a.shape, buffer: { base64: toBase64(a.buffer as DataView) } };
    const key = requestKey(what, "self", layer, undefined, extra);
    _replies[key] = { kind: "reply", what, key, arrays, data: built.data };
  };
  if (whole) for (const l of layers) add("attention", l); // the heatmap's whole layer (until the zoomable heatmap lands)
  for (const l of layers) add("attention_rows", l, ["0", "64", "8"], { start: 0, count: 64, k: 8 }); // lines mode
  add("logit_lens");
  const state = {
    layer: layers[0] ?? 0,
    heads: [0, 1],
    token: null,
    target: null,
    neuron: null,
    view: "head",
    mode: "lines",
    _meta: devMeta(TOKENS, 3, H, "tiny"),
    _replies,
    ...extra,
  };
  // What Python's _script_safe does to the JSON text.
  return JSON.stringify(state).replace(/<\//g, "<\\/").replace(/<!--/g, "<\\!--");
}

function addState(text: string): HTMLScriptElement {
  const s = document.createElement("script");
  s.type = "application/vnd.attnlens+json";
  s.textContent = text;
  document.body.append(s);
  return s;
}

/** The state with every buffer zlib-compressed as Python's export writes it ({base64, encoding, bytes}). */
async function packedStateJson(layers: number[]): Promise<string> {
  const state = parseState(stateJson(layers)) as unknown as { _replies: Record<string, { arrays: Record<string, { buffer: { base64: string } }> }> };
  for (const reply of Object.values(state._replies)) {
    for (const spec of Object.values(reply.arrays)) {
      const raw = new Uint8Array(decodeBase64(spec.buffer.base64).buffer);
      const packed = await deflate(raw);
      spec.buffer = { base64: toBase64(new DataView(packed.buffer)), encoding: "deflate", bytes: raw.length } as { base64: string };
    }
  }
  return JSON.stringify(state).replace(/<\//g, "<\\/").replace(/<!--/g, "<\\!--");
}

afterEach(() => {
  document.body.replaceChildren();
});

describe("static page", () => {
  it("decodes base64 buffers into DataViews", () => {
    expect([...new Uint8Array(decodeBase64("AAEC/w==").buffer)]).toEqual([0, 1, 2, 255]);
    expect(decodeBase64("AAEC/w").byteLength).toBe(4);
    expect(decodeBase64(" AAEC\n/w== ").getUint8(3)).toBe(255);
    expect(decodeBase64("").byteLength).toBe(0);
    expect(() => decodeBase64("not base64!")).toThrow(/base64/);
    const p = encode(syntheticLayer(1, H, N), [H, N, N], "float16", 8);
    const back = decodeArray({ dtype: "float16", shape: p.shape, buffer: decodeBase64(toBase64(p.buffer as DataView)) });
    expect(back).toEqual(decodeArray(p));
  });

  it("parses the state as Python escapes it", () => {
    const s = parseState(stateJson([0]));
    expect((s._meta as { tokens: string[] }).tokens).toEqual(TOKENS);
    expect(() => parseState("[1]")).toThrow(/object/);
  });

  it("boots each state script into its own independent widget, right after the script", async () => {
    const s1 = addState(stateJson([0, 1]));
    const s2 = addState(stateJson([2], { mode: "heatmap" }));
    const booted = boot(document);
    expect(booted.length).toBe(2);
    expect(boot(document).length).toBe(0); // not twice
    expect(s1.nextElementSibling).toBe(booted[0]!.host);
    expect(s2.nextElementSibling).toBe(booted[1]!.host);
    const roots = [...document.querySelectorAll<HTMLElement>(".attnlens")];
    expect(roots.length).toBe(2);
    const [a, b] = roots as [HTMLElement, HTMLElement];
    expect(a.getAttribute("data-layer")).toBe("0");
    expect(b.getAttribute("data-layer")).toBe("2");
    expect(b.getAttribute("data-mode")).toBe("heatmap");
    expect(b.querySelector(".al-zoom")).not.toBeNull(); // heatmap mode is the zoomable level-of-detail map
    expect(document.querySelectorAll("script").length).toBe(2); // token text never became markup
    expect(a.querySelector('[data-token-index="2"][data-side="left"]')!.getAttribute("title")).toBe(" </script>");

    (a.querySelector('[data-token-index="1"][data-side="left"]') as HTMLElement).click();
    expect(a.getAttribute("data-token")).toBe("1");
    expect(b.getAttribute("data-token")).toBe("");

    const slider = a.querySelector('[data-control="layer"]') as HTMLInputElement;
    slider.value = "1"; // embedded in A
    slider.dispatchEvent(new Event("input", { bubbles: true }));
    await new Promise((r) => setTimeout(r, 50));
    expect(a.getAttribute("data-layer")).toBe("1");
    // token 1 is locked: its exact row comes from the whole layer this page holds (static-rows.ts)
    expect(a.querySelector(".al-status")!.textContent).toBe("token 1: every line of its exact row");
    slider.value = "2"; // not embedded in A (only in B)
    slider.dispatchEvent(new Event("input", { bubbles: true }));
    await new Promise((r) => setTimeout(r, 50));
    expect(a.querySelector(".al-status")!.textContent).toContain(notSavedMessage("attention_rows:self:2:0:64:8"));
    expect(notSavedMessage("attention_rows:self:2:0:64:8")).toContain("needs a running kernel");
    // B's page holds whole layers only (an old page): its heatmap says the overview is not in the page
    expect(b.querySelector(".al-head > .al-status")!.textContent).toContain("needs a running kernel");
    for (const x of booted) x.cleanup();
    expect(document.querySelectorAll(".attnlens").length).toBe(0);
  });

  it("inflates compressed buffers: loading first, then the data; the other layers arrive unasked", async () => {
    addState(await packedStateJson([0, 1]));
    const [w] = boot(document);
    const root = document.querySelector<HTMLElement>(".attnlens")!;
    expect(root.querySelector(".al-status")!.textContent).toBe("loading layer 0…");
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
      expect(ok()).toBe(true);
    };
    await until(() => root.querySelector(".al-status")!.getAttribute("data-state") === "ready");
    const asked = () => (w!.model as unknown as { sent: { content: { what?: string; layer?: number } }[] }).sent.filter((m) => m.content.what === "attention_rows");
    expect(asked().map((m) => m.content.layer)).toEqual([0]);
    // layer 1 is inflated in the background and handed over without a request
    await new Promise((r) => setTimeout(r, 400));
    const slider = root.querySelector('[data-control="layer"]') as HTMLInputElement;
    slider.value = "1";
    slider.dispatchEvent(new Event("input", { bubbles: true }));
    await Promise.resolve();
    expect(root.querySelector(".al-status")!.getAttribute("data-state")).toBe("ready");
    expect(asked().map((m) => m.content.layer)).toEqual([0, 1]); // 1: the idle prefetch of the neighbour
    expect(root.querySelector(".al-status")!.textContent).toBe("lines: each row's 5 strongest keys per head (on average 100% of its weight)");
    w!.cleanup();
  });

  it("a page with rows windows only: a locked token's lines are its strongest keys, and the page says so", async () => {
    addState(stateJson([0], { token: 2 }, false));
    const [w] = boot(document);
    const root = document.querySelector<HTMLElement>(".attnlens")!;
    const status = () => root.querySelector(".al-status")!.textContent;
    for (let i = 0; i < 50 && !status()!.startsWith("token 2: only"); i++) await new Promise((r) => setTimeout(r, 20));
    expect(status()).toBe("token 2: only its strongest keys held in this page (its exact row needs a running kernel)");
    expect(root.getAttribute("data-drawn-layer")).toBe("0");
    w!.cleanup();
  });

  it("shows an error for a malformed state without breaking the others", () => {
    addState("{not json");
    addState(stateJson([0]));
    const booted = boot(document);
    expect(booted.length).toBe(1);
    expect(document.querySelector(".attnlens-error")!.textContent).toContain("could not show this widget");
    expect(document.querySelectorAll(STATE_SELECTOR).length).toBe(2);
  });
});
