/**
 * Token display. Token text is untrusted: callers insert the segments with textContent only.
 */

export interface TokenSegment {
  text: string;
  /** True for a whitespace marker (rendered subtly). */
  ws: boolean;
}

export interface TokenDisplay {
  segments: TokenSegment[];
  /** The full token, for `title` (shown when truncated or containing whitespace). */
  title: string;
  truncated: boolean;
  /** Human-readable form for accessible names: the raw text, or a description for whitespace-only tokens. */
  spoken: string;
}

const MARKERS: Record<string, string> = {
  " ": "·",
  "\n": "⏎",
  "\r": "␍",
  "\t": "⇥",
  "\u00a0": "⍽",
};

const NAMES: Record<string, string> = {
  " ": "space",
  "\n": "newline",
  "\r": "carriage return",
  "\t": "tab",
  "\u00a0": "no-break space",
};

/**
 * Characters that draw nothing or reorder what follows: controls, bidi overrides and isolates, zero-width
 * (non-)joiners and spaces, BOM, soft hyphen, and lone surrogate halves (from byte-level tokenizers). They
 * are shown as a visible code (`‹U+202E›`) so a token cannot hide itself or reverse its neighbours.
 */
const INVISIBLE = /^(?:[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]|[\ud800-\udfff])$/;

/** `‹U+202E›` for an invisible character, else null. */
export function invisibleMarker(ch: string): string | null {
  if (!INVISIBLE.test(ch)) return null;
  return `‹U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}›`;
}

export function formatToken(raw: string, maxChars = 20): TokenDisplay {
  const text = typeof raw === "string" ? raw : String(raw);
  let chars = Array.from(text);
  const truncated = chars.length > maxChars;
  if (truncated) chars = chars.slice(0, maxChars - 1);
  const segments: TokenSegment[] = [];
  for (const ch of chars) {
    const marker = MARKERS[ch] ?? invisibleMarker(ch) ?? undefined;
    const ws = marker !== undefined;
    const shown = marker ?? ch;
    const last = segments[segments.length - 1];
    if (last && last.ws === ws) last.text += shown;
    else segments.push({ text: shown, ws });
  }
  if (truncated) segments.push({ text: "…", ws: false });
  if (segments.length === 0) segments.push({ text: "∅", ws: true });
  const all = Array.from(text);
  const wsOnly = all.length > 0 && all.every((c) => NAMES[c] !== undefined);
  const spoken = text.length === 0 ? "(empty)" : wsOnly ? all.map((c) => NAMES[c]).join(" ") : text;
  return { segments, title: text, truncated, spoken };
}

/** A token inside running text (hints, readouts, tables): quoted, with whitespace and invisible
 * characters made visible and long tokens cut, so it can neither reorder nor stretch the sentence. */
export function quoteToken(raw: unknown, maxChars = 24): string {
  const d = formatToken(typeof raw === "string" ? raw : String(raw ?? ""), maxChars);
  return `“${d.segments.map((s) => s.text).join("")}”`;
}
