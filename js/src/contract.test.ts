/** The page follows the wire contract (src/attnlens/contract.json): traits, defaults, requests, views. */
import { describe, expect, it } from "vitest";
import contract from "../../src/attnlens/contract.json";
import { devMeta, DEV_TOKENS, syntheticArrays } from "../dev/synthetic";
import {
  ABLATION_MODES,
  ATTENTION_METHODS,
  keyPart,
  MAX_SEND_BYTES,
  METHOD_LABELS,
  METHODS,
  notSavedMessage,
  parseAblationItem,
  REQUEST_KINDS,
  reruns,
  TRAITS,
  VIEW_NAMES,
  VIEW_TITLES,
} from "./contract";
import { readMeta, sanitize, SYNCED_TRAITS, type SyncedKey } from "./meta";
import { MAX_SEND_BYTES as REPLIES_MAX_SEND_BYTES, requestKey } from "./replies";
import { DEFAULT_SELECTION } from "./store";
import { VIEW_NAMES as WIDGET_VIEWS } from "./widget";

const meta = readMeta(devMeta(DEV_TOKENS, 3, 4))!;

/** A value of the wrong type for each kind of trait. */
const WRONG: Record<string, unknown[]> = {
  int: ["3", 1.5, true, {}],
  int_list: ["0,1", 7, {}],
  enum: ["nonsense", 3, null],
  view_list: [7, null, {}],
  stack: ["nonsense", 3],
  ablation_items: ["head:0:1", 5],
};

describe("the wire contract", () => {
  it("lists every synced trait the store holds, with the store's defaults", () => {
    const storeKeys = Object.keys(DEFAULT_SELECTION).filter((k) => k !== "hover").sort();
    expect([...SYNCED_TRAITS].sort()).toEqual(storeKeys);
    for (const t of contract.traits) expect(DEFAULT_SELECTION[t.name as SyncedKey]).toEqual(t.default);
  });

  it("turns a value of the wrong type into what the contract says, for every trait", () => {
    for (const spec of TRAITS) {
      const expected =
        spec.invalid === "all_heads" ? [0, 1, 2, 3] : spec.invalid === "first_stack" ? meta.stacks[0]!.name : spec.default;
      for (const bad of WRONG[spec.type]!) {
        expect(sanitize(spec.name as SyncedKey, bad, meta, "self"), `${spec.name} = ${JSON.stringify(bad)}`).toEqual(expected);
      }
    }
  });

  it("keeps valid values and checks ranges as the contract says", () => {
    expect(sanitize("layer", 99, meta, "self")).toBe(2); // out_of_range: clamp
    expect(sanitize("layer", 1, meta, "self")).toBe(1);
    expect(sanitize("heads", [3, 1, 1, 9, -1], meta, "self")).toEqual([1, 3]);
    expect(sanitize("token", DEV_TOKENS.length, meta, "self")).toBeNull();
    expect(sanitize("token", 4, meta, "self")).toBe(4);
    for (const m of METHODS) expect(sanitize("method", m, meta, "self")).toBe(m);
    for (const m of ABLATION_MODES) expect(sanitize("ablate_mode", m, meta, "self")).toBe(m);
    expect(sanitize("mode", "heatmap", meta, "self")).toBe("heatmap");
    expect(sanitize("ablate", ["neuron:1:7", "head:0:1", "bad", "head:0:1"], meta, "self")).toEqual(["head:0:1", "neuron:1:7"]);
    expect(sanitize("view", "head,logit_lens", meta, "self")).toBe("head,logit_lens");
  });

  it("reads the logits stack Python sends instead of guessing it", () => {
    const stacks = [
      { name: "encoder", n_layers: 2, n_heads: 2, queries: "source", keys: "source" },
      { name: "decoder", n_layers: 2, n_heads: 2, queries: "target", keys: "target" },
    ];
    expect(readMeta({ ...devMeta(["a"], 2, 2), stacks, logits_stack: "encoder" })!.logits_stack).toBe("encoder");
    expect(readMeta({ ...devMeta(["a"], 2, 2), stacks, logits_stack: "nope" })!.logits_stack).toBe("decoder");
  });

  it("names the views, methods and modes once", () => {
    expect(WIDGET_VIEWS).toEqual(contract.views.map((v) => v.id));
    expect(VIEW_NAMES.map((v) => VIEW_TITLES[v])).toEqual(contract.views.map((v) => v.title));
    expect(METHODS).toEqual(devMeta(["a"], 1, 1).methods);
    expect(Object.keys(METHOD_LABELS)).toEqual([...METHODS]);
    expect(ATTENTION_METHODS).toEqual(["attention_rollout", "attention_flow"]);
    expect(parseAblationItem("neuron:2:117")).toEqual({ kind: "neuron", layer: 2, index: 117 });
    expect(parseAblationItem("head:1")).toBeNull();
    expect(REPLIES_MAX_SEND_BYTES).toBe(MAX_SEND_BYTES);
  });

  it("says for every request kind what a page without it lacks, and escapes free text in keys", () => {
    for (const kind of REQUEST_KINDS) {
      const spec = contract.requests[kind];
      const key = requestKey(kind, "self", null, null, spec.key.map((_, i) => String(i + 1)));
      const message = notSavedMessage(key);
      expect(message).toMatch(/^[A-Z].* was not saved in this page; it needs a running kernel\.$/);
      expect(message).not.toMatch(/[{}]/);
    }
    expect(notSavedMessage("attention:self:2")).toBe("Attention of layer 2 was not saved in this page; it needs a running kernel.");
    expect(notSavedMessage("neuron:self:2:117")).toContain("Neuron 117 of layer 2");
    expect(keyPart("a:b%")).toBe("a%3Ab%25");
  });

  it("marks exactly the reruns of the contract", () => {
    for (const kind of REQUEST_KINDS) expect(reruns(kind)).toBe(contract.requests[kind].reruns);
    expect(reruns("nonsense")).toBe(false);
    // The dev page's synthetic kernel answers the kinds the views ask for today.
    for (const kind of ["attention", "thumbnails", "qk", "logit_lens", "mlp_top", "neuron"]) {
      expect(syntheticArrays(kind, { layer: 0, neuron: 0, nLayers: 3, nHeads: 4, tokens: DEV_TOKENS }), kind).not.toBeNull();
    }
  });
});
