/**
 * Pure drawing of the compare view: every cell of the aligned grid (text, title, class, colour, value)
 * from the two runs' tokens, attention and attributions, and the caption under it.
 */
import { divergingColor, sequentialColor, textOn, type RGB } from "../../colors";
import { formatToken, quoteToken } from "../../tokens";
import { METHOD_TITLES, symmetricRange } from "../attribution/layout";
import { rgbCss } from "../common/paint";
import { difference, type Pair } from "./layout";

export interface CellSpec {
  text: string;
  title: string;
  cls: string;
  background?: string;
  color?: string;
  value?: number;
  /** A's token index (clickable). */
  position?: number;
}

export interface GridRow {
  row: string;
  label: string;
  cells: CellSpec[];
}

interface Arr {
  values: ArrayLike<number>;
  scale: number;
}

export interface CompareInput {
  pairs: readonly Pair[];
  changed: readonly boolean[];
  tokensA: readonly string[];
  tokensB: readonly string[];
  /** Attention [heads, n, n] of run A and B (aligned), and the head and query column shown. */
  a?: Arr;
  b?: Arr;
  head: number;
  q: number;
  /** Attributions of both runs towards A's prediction, when in. */
  attrA?: Arr;
  attrB?: Arr;
  bg: RGB;
}

const sign = (v: number) => `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(3)}`;

function tokenCell(f: CompareInput, row: "tok_a" | "tok_b", c: number): CellSpec {
  const [ia, ib] = f.pairs[c]!;
  const idx = row === "tok_a" ? ia : ib;
  const raw = idx === null ? null : (row === "tok_a" ? f.tokensA : f.tokensB)[idx] ?? "";
  const disp = raw === null ? null : formatToken(raw, 12);
  const cls = `al-mono${f.changed[c] ? " al-cmp-changed" : ""}${c === f.q ? " al-cmp-query" : ""}${raw === null ? " al-cmp-gap" : ""}`;
  const title = disp ? `${disp.title} (${row === "tok_a" ? "A" : "B"} token ${idx})` : "no token here in this run";
  const spec: CellSpec = { text: disp ? disp.segments.map((x) => x.text).join("") : "—", title, cls };
  if (row === "tok_a" && ia !== null) spec.position = ia;
  return spec;
}

function attentionCell(f: CompareInput, row: string, c: number): CellSpec & { notable?: boolean } {
  const n = f.pairs.length;
  const at = (x: Arr | undefined) => (x ? (x.values[(f.head * n + f.q) * n + c] ?? 0) * x.scale : 0);
  const va = at(f.a);
  const vb = at(f.b);
  if (row === "att_d") {
    const { delta, notable } = difference(va, vb);
    const color = divergingColor(delta / 0.5, f.bg);
    const text = notable ? (delta > 0 ? "+" : "−") : "";
    return { text, title: `B − A = ${sign(delta)}`, cls: notable ? "al-cmp-notable" : "", background: rgbCss(color), color: textOn(color), value: delta, notable };
  }
  const v = row === "att_a" ? va : vb;
  return { text: "", title: `${row === "att_a" ? "A" : "B"}: ${v.toFixed(3)}`, cls: "", background: rgbCss(sequentialColor(v, f.bg)), value: v };
}

/** Every row of the grid and how many columns differ notably in attention. */
export function compareGrid(f: CompareInput): { rows: GridRow[]; notable: number } {
  const rows: GridRow[] = [
    { row: "tok_a", label: "A", cells: [] },
    { row: "tok_b", label: "B", cells: [] },
    { row: "att_a", label: "attn A", cells: [] },
    { row: "att_b", label: "attn B", cells: [] },
    { row: "att_d", label: "B − A", cells: [] },
  ];
  const { attrA, attrB } = f;
  if (attrA && attrB) rows.push({ row: "attr_a", label: "attr A", cells: [] }, { row: "attr_b", label: "attr B", cells: [] });
  const attrRange = attrA && attrB ? Math.max(symmetricRange(attrA.values, attrA.scale), symmetricRange(attrB.values, attrB.scale)) : 1;
  let notable = 0;
  for (const r of rows)
    for (let c = 0; c < f.pairs.length; c++) {
      if (r.row === "tok_a" || r.row === "tok_b") r.cells.push(tokenCell(f, r.row, c));
      else if (r.row.startsWith("att_")) {
        const { notable: big, ...cell } = attentionCell(f, r.row, c);
        if (big) notable++;
        r.cells.push(cell);
      } else {
        const arr = r.row === "attr_a" ? attrA! : attrB!;
        const v = (arr.values[c] ?? 0) * arr.scale;
        r.cells.push({ text: "", title: `${r.row === "attr_a" ? "A" : "B"}: ${sign(v)}`, cls: "", background: rgbCss(divergingColor(v / attrRange, f.bg)), value: v });
      }
    }
  return { rows, notable };
}

/** The caption: whose attention, how many columns differ, and the attribution's method and target. */
export function compareCaption(layer: number, head: number, q: number, qTok: string, notable: number, attr: { method: unknown; target: unknown } | null): string {
  const method = attr ? METHOD_TITLES[String(attr.method)] ?? String(attr.method) : "";
  const attribution = attr ? ` Attributions: ${method} towards A's prediction ${quoteToken(typeof attr.target === "string" ? attr.target : "")}.` : "";
  return `Attention of layer ${layer}, head ${head} from ${quoteToken(qTok)} (column ${q}; lock a token to change it). ${notable} column${notable === 1 ? "" : "s"} differ by ≥ 0.05. Highlighted tokens differ between the runs.${attribution}`;
}
