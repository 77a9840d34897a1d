/** Top-k predictions of two runs side by side (ablation: before/after; compare: A/B), as a table. */
import { h } from "../../dom";
import { quoteToken } from "../../tokens";

/** One predicted token with its probability in the first and the second run. */
export interface PredictionRow {
  token: string;
  before: number;
  after: number;
}

/** Rows from a reply's JSON (views/ablation.py top_k_change), dropping anything malformed. */
export function readPredictionRows(x: unknown): PredictionRow[] {
  if (!Array.isArray(x)) return [];
  return x.filter(
    (r): r is PredictionRow =>
      typeof r === "object" && r !== null && typeof (r as PredictionRow).token === "string" && typeof (r as PredictionRow).before === "number" && typeof (r as PredictionRow).after === "number",
  );
}

/** "+0.123" / "−0.045": a signed change with a real minus sign. */
export function signed(d: number): string {
  return `${d >= 0 ? "+" : "−"}${Math.abs(d).toFixed(3)}`;
}

/** Header row [title, first, second, "change"], then one row per prediction; the change is coloured. */
export function predictionRows(doc: Document, title: string, columns: [string, string], list: readonly PredictionRow[]): HTMLTableRowElement[] {
  const head = h(doc, "tr", {});
  for (const x of [title, ...columns, "change"]) head.append(h(doc, "th", { scope: "col" }, x));
  const out = [head];
  for (const r of list) {
    const d = r.after - r.before;
    const tr = h(doc, "tr", {});
    tr.append(
      h(doc, "td", { class: "al-mono" }, quoteToken(r.token)),
      h(doc, "td", {}, r.before.toFixed(3)),
      h(doc, "td", {}, r.after.toFixed(3)),
      h(doc, "td", { class: d < 0 ? "al-down" : d > 0 ? "al-up" : "" }, signed(d)),
    );
    out.push(tr);
  }
  return out;
}
