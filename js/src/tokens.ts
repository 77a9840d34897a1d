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

export function formatToken(raw: string, maxChars = 20): TokenDisplay {
  const text = typeof raw === "string" ? raw : String(raw);
  let chars = Array.from(text);
  const truncated = chars.length > maxChars;
  if (truncated) chars = chars.slice(0, maxChars - 1);
  const segments: TokenSegment[] = [];
  for (const ch of chars) {
    const marker = MARKERS[ch];
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
