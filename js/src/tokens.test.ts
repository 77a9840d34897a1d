import { describe, expect, it } from "vitest";
import { formatToken } from "./tokens";

const shown = (t: string) => formatToken(t).segments.map((s) => s.text).join("");

describe("formatToken", () => {
  it("marks whitespace visibly", () => {
    expect(shown(" the")).toBe("·the");
    expect(formatToken(" the").segments[0]).toEqual({ text: "·", ws: true });
    expect(shown("\n")).toBe("⏎");
    expect(shown("\t")).toBe("⇥");
    expect(shown("")).toBe("∅");
  });

  it("truncates long tokens with an ellipsis and keeps the full text in title", () => {
    const long = "supercalifragilisticexpialidocious";
    const d = formatToken(long, 12);
    expect(d.truncated).toBe(true);
    expect(shown(long).length).toBeLessThan(long.length);
    expect(d.segments.map((s) => s.text).join("")).toBe("supercalifr…");
    expect(d.title).toBe(long);
  });

  it("keeps markup as plain text and describes whitespace-only tokens", () => {
    expect(formatToken("<b>").spoken).toBe("<b>");
    expect(formatToken("\n").spoken).toBe("newline");
    expect(formatToken(" the").spoken).toBe(" the");
  });
});
