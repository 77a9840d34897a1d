/**
 * Token labels of the head view: two virtualised columns of buttons (queries "from" on the left, keys
 * "to" on the right); only the rows in the window exist. Token text goes in as text nodes only.
 */
import { h } from "../../dom";
import type { Selection } from "../../store";
import { formatToken } from "../../tokens";
import type { Window } from "../common/geometry";
import type { Focus, Side } from "./layout";

/** Width of a token column in `ch`: its longest label (capped at 16 characters; longer ones end in an ellipsis). */
export function columnChars(tokens: readonly string[]): number {
  let max = 1;
  for (const t of tokens) {
    const n = Math.min(16, Array.from(t).length || 1);
    if (n > max) max = n;
    if (max >= 16) break;
  }
  return max;
}

interface Column {
  col: HTMLElement;
  tokens: readonly string[];
  special: readonly boolean[];
  shown: Map<number, HTMLButtonElement>;
  win: Window;
}

export interface TokenLabels {
  /** Labels on screen, by side and index. */
  shown(side: Side): ReadonlyMap<number, HTMLButtonElement>;
  /** Create / drop labels for the rows in each side's window and place them; true when a window moved. */
  render(windowOf: (n: number) => Window, rowsTop: number, rowHeight: number): boolean;
  /** Pressed / locked / focused states and, in lines mode, each label's weight towards the focus. */
  update(s: Readonly<Selection>, lockSide: Side, focus: Focus | null, weights: Float32Array | null): void;
}

export function tokenLabels(
  doc: Document,
  left: { col: HTMLElement; tokens: readonly string[]; special: readonly boolean[] },
  right: { col: HTMLElement; tokens: readonly string[]; special: readonly boolean[] },
): TokenLabels {
  const sides: Record<Side, Column> = {
    left: { ...left, shown: new Map(), win: { start: 0, end: 0 } },
    right: { ...right, shown: new Map(), win: { start: 0, end: 0 } },
  };
  const makeLabel = (side: Side, i: number): HTMLButtonElement => {
    const raw = sides[side].tokens[i] ?? "";
    const disp = formatToken(raw);
    const b = h(doc, "button", {
      type: "button",
      class: "al-token",
      "data-token-index": String(i),
      "data-side": side,
      "aria-pressed": "false",
      "aria-label": `${disp.spoken} (token ${i}, ${side === "left" ? "from" : "to"})`,
      title: disp.title,
    });
    if (sides[side].special[i]) b.classList.add("al-special");
    for (const seg of disp.segments) {
      if (seg.ws) b.append(h(doc, "span", { class: "al-ws" }, seg.text));
      else b.append(doc.createTextNode(seg.text));
    }
    return b;
  };
  return {
    shown: (side) => sides[side].shown,
    render(windowOf, rowsTop, rowHeight) {
      let moved = false;
      for (const side of ["left", "right"] as const) {
        const sd = sides[side];
        const w = windowOf(sd.tokens.length);
        if (w.start === sd.win.start && w.end === sd.win.end && sd.shown.size === w.end - w.start) continue;
        moved = true;
        sd.win = w;
        for (const [i, b] of sd.shown) {
          if (i < w.start || i >= w.end) {
            if (doc.activeElement === b) continue; // keep the focused label (keyboard users)
            b.remove();
            sd.shown.delete(i);
          }
        }
        for (let i = w.start; i < w.end; i++) {
          if (sd.shown.has(i)) continue;
          const b = makeLabel(side, i);
          sd.shown.set(i, b);
          sd.col.append(b);
        }
      }
      for (const side of ["left", "right"] as const) for (const [i, b] of sides[side].shown) b.style.top = `${rowsTop + i * rowHeight}px`;
      return moved;
    },
    update(s, lockSide, focus, weights) {
      const other: Side | null = focus ? (focus.side === "left" ? "right" : "left") : null;
      for (const side of ["left", "right"] as const) {
        for (const [i, b] of sides[side].shown) {
          const locked = s.token === i && lockSide === side;
          b.setAttribute("aria-pressed", locked ? "true" : "false");
          b.classList.toggle("al-locked", locked);
          b.classList.toggle("al-focus", focus !== null && focus.index === i && focus.side === side);
          b.classList.toggle("al-row-locked", s.mode === "heatmap" && s.token === i);
          if (weights && side === other) {
            b.style.setProperty("--al-w", String(Math.min(1, weights[i] ?? 0)));
            b.classList.add("al-weighted");
          } else if (b.classList.contains("al-weighted")) {
            b.classList.remove("al-weighted");
            b.style.removeProperty("--al-w");
          }
        }
      }
    },
  };
}
