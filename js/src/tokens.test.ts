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

  it("shows bidi overrides, zero-width characters and lone surrogates as visible codes", () => {
    expect(shown("\u202eevil\u202c")).toBe("‹U+202E›evil‹U+202C›");
    expect(shown("a\u200db")).toBe("a‹U+200D›b");
    expect(shown("\udcff\ud83d")).toBe("‹U+DCFF›‹U+D83D›");
    expect(shown("\u0000x\ufeff")).toBe("‹U+0000›x‹U+FEFF›");
    expect(shown("😀 é")).toBe("😀·é"); // a whole surrogate pair is one character, kept
    expect(formatToken("\u202e").title).toBe("\u202e");
    expect(formatToken("\u202e").segments[0]!.ws).toBe(true);
  });
});
