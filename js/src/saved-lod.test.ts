// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import { devMeta } from "../dev/synthetic";
import { layerRanges, savedNoteText } from "./saved-lod";
import { boot } from "./static-page";

afterEach(() => {
  document.body.replaceChildren();
});

describe("what a saved page holds, said before anyone clicks", () => {
  it("names the layers held", () => {
    expect(layerRanges([0, 1, 2, 3, 5, 7, 8, 9])).toBe("0–3, 5, 7–9");
    expect(layerRanges([])).toBe("none");
    const saved = { rowsLayers: [4, 5, 3], tileLayers: [0, 1, 2, 3, 4, 5], pools: ["max"], budgetMb: 25 };
    expect(savedNoteText(saved, 6, "lines")).toBe("Saved page (saved within 25 MB): lines of layers 3–5 of 0–5 (each row's strongest keys); a token's exact row needs a running kernel.");
    expect(savedNoteText(saved, 6, "heatmap")).toBe("Saved page (saved within 25 MB): heatmap overview of every layer; zoom needs a running kernel: this page holds the overview only.");
  });

  it("the head view shows the note from the page's lod_saved reply", () => {
    const tokens = ["a", "b", "c"];
    const note = { kind: "reply", what: "lod_saved", key: "lod_saved:self", arrays: {}, data: { rows_layers: [1], tile_layers: [0, 1], pools: ["max"], budget_mb: 25 } };
    const state = { layer: 1, heads: [0], view: "head", mode: "lines", _meta: devMeta(tokens, 2, 1), _replies: { "lod_saved:self": note } };
    const s = document.createElement("script");
    s.type = "application/vnd.attnlens+json";
    s.textContent = JSON.stringify(state);
    document.body.append(s);
    const [w] = boot(document);
    const el = document.querySelector<HTMLElement>('[data-role="saved-note"]')!;
    expect(el.hidden).toBe(false);
    expect(el.textContent).toBe("Saved page (saved within 25 MB): lines of layer 1 of 0–1 (each row's strongest keys); a token's exact row needs a running kernel.");
    w!.cleanup();
  });
});
