/**
 * The widget's traits read defensively: `_meta` normalised (readMeta), the stack and token lists a
 * view needs, and every synced trait turned into a valid store value (sanitize). Pure functions.
 */
import { parseAblationItem, TRAITS, type TraitSpec } from "./contract";
import type { Selection } from "./store";
import type { Meta, StackMeta } from "./types";

/** A trait mirrored in the store (both ways). `hover` stays in the page. */
export type SyncedKey = Exclude<keyof Selection, "hover">;
/** The synced traits of the contract, in its order. */
export const SYNCED_TRAITS = TRAITS.map((t) => t.name) as readonly SyncedKey[];

function isInt(x: unknown): x is number {
  return typeof x === "number" && Number.isInteger(x);
}

function readStacks(value: unknown, nLayers: number, nHeads: number): StackMeta[] {
  const out: StackMeta[] = [];
  if (Array.isArray(value)) {
    for (const s of value) {
      if (typeof s !== "object" || s === null || typeof (s as StackMeta).name !== "string") continue;
      const st = s as Partial<StackMeta> & { name: string };
      const side = (x: unknown) => (x === "source" || x === "target" ? x : "input");
      const heads = isInt(st.n_heads) && st.n_heads > 0 ? st.n_heads : nHeads;
      out.push({
        name: st.name,
        n_layers: isInt(st.n_layers) && st.n_layers > 0 ? st.n_layers : nLayers,
        n_heads: heads,
        kv_heads: isInt(st.kv_heads) && st.kv_heads > 0 ? st.kv_heads : heads,
        queries: side(st.queries),
        keys: side(st.keys),
        has_qk: Boolean(st.has_qk),
        has_mlp: Boolean(st.has_mlp),
      });
    }
  }
  if (out.length === 0) {
    out.push({ name: "self", n_layers: nLayers, n_heads: nHeads, kv_heads: nHeads, queries: "input", keys: "input", has_qk: false, has_mlp: false });
  }
  return out;
}

export function readMeta(value: unknown): Meta | null {
  if (typeof value !== "object" || value === null) return null;
  const m = value as Partial<Meta>;
  if (!Array.isArray(m.tokens)) return null;
  const str = (t: unknown) => (typeof t === "string" ? t : String(t));
  const tokens = m.tokens.map(str);
  const nLayers = isInt(m.n_layers) && m.n_layers > 0 ? m.n_layers : 1;
  const nHeads = isInt(m.n_heads) && m.n_heads > 0 ? m.n_heads : 1;
  const stacks = readStacks(m.stacks, nLayers, nHeads);
  const logits = typeof m.logits_stack === "string" && stacks.some((s) => s.name === m.logits_stack) ? m.logits_stack : null;
  return {
    tokens,
    target_tokens: Array.isArray(m.target_tokens) ? m.target_tokens.map(str) : null,
    n_layers: nLayers,
    n_heads: nHeads,
    n_tokens: tokens.length,
    model_name: typeof m.model_name === "string" ? m.model_name : "",
    model_type: typeof m.model_type === "string" ? m.model_type : "",
    causal: Boolean(m.causal),
    special: Array.isArray(m.special) ? m.special.map(Boolean) : tokens.map(() => false),
    has_logit_lens: Boolean(m.has_logit_lens),
    stacks,
    logits_stack: logits ?? (stacks.find((s) => s.name === "decoder") ?? stacks.find((s) => s.name === "self") ?? stacks[0]!).name,
    can_rerun: Boolean(m.can_rerun),
    methods: Array.isArray(m.methods) ? m.methods.filter((x): x is string => typeof x === "string") : [],
    compare: readCompare(m.compare),
  };
}

function readCompare(x: unknown): Meta["compare"] {
  if (typeof x !== "object" || x === null) return null;
  const c = x as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  return { version: isInt(c.version) && c.version > 0 ? c.version : 0, text_a: text(c.text_a), text_b: text(c.text_b) };
}

export function stackOf(meta: Meta, name: string): StackMeta {
  return meta.stacks.find((s) => s.name === name) ?? meta.stacks[0]!;
}

/** Tokens on a stack's query or key side. */
export function sideTokens(meta: Meta, side: StackMeta["queries"]): string[] {
  return side === "target" && meta.target_tokens ? meta.target_tokens : meta.tokens;
}

/** The stack the logit lens and the attributions read (`_meta.logits_stack`, sent by Python). */
export function logitsStackOf(meta: Meta): StackMeta {
  return stackOf(meta, meta.logits_stack);
}

/** Parse the `view` list: known names in order, unique; unknown names are kept (the page says so). */
export function parseViews(value: unknown): string[] {
  if (typeof value !== "string") return ["head"];
  const names = value
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
  const out = [...new Set(names)];
  return out.length ? out : ["head"];
}

type Value = Selection[SyncedKey];

/** An int trait's upper bound (exclusive) from its contract `range`, or null for none. */
function rangeOf(spec: TraitSpec, meta: Meta, st: StackMeta): number | null {
  const range = spec.range;
  if (range === "layers") return st.n_layers;
  if (range === "heads") return st.n_heads;
  if (range === "tokens") return Math.max(sideTokens(meta, st.queries).length, sideTokens(meta, st.keys).length);
  return null;
}

/** What the contract says an unusable value becomes. */
function fallback(spec: TraitSpec, meta: Meta, st: StackMeta): Value {
  if (spec.invalid === "all_heads") return Array.from({ length: st.n_heads }, (_, i) => i);
  if (spec.invalid === "first_stack") return meta.stacks[0]!.name;
  return (Array.isArray(spec.default) ? [...spec.default] : spec.default) as Value;
}

function sanitizeInt(spec: TraitSpec, value: unknown, limit: number | null): Value | undefined {
  if (!isInt(value)) return undefined;
  if (limit === null) return value;
  if (spec.name === "layer") return Math.max(0, Math.min(limit - 1, value)); // contract: out_of_range clamp
  return value >= 0 && value < limit ? value : undefined;
}

/** Turn a trait value into a valid store value by its contract entry: a value the page cannot use
 * becomes what the contract's `invalid` names (its default, all heads, the first stack). */
export function sanitize(key: SyncedKey, value: unknown, meta: Meta, stackName?: string): Value {
  const st = stackOf(meta, stackName ?? (typeof value === "string" ? value : ""));
  const spec = TRAITS.find((t) => t.name === key)!;
  let out: Value | undefined;
  switch (spec.type) {
    case "int":
      out = sanitizeInt(spec, value, rangeOf(spec, meta, st));
      break;
    case "int_list":
      if (Array.isArray(value)) {
        const limit = rangeOf(spec, meta, st) ?? Infinity;
        out = [...new Set(value.filter((x): x is number => isInt(x) && x >= 0 && x < limit))].sort((a, b) => a - b);
      }
      break;
    case "enum":
      out = typeof value === "string" && spec.values.includes(value) ? (value as Value) : undefined;
      break;
    case "view_list":
      out = typeof value === "string" ? parseViews(value).join(",") : undefined;
      break;
    case "stack":
      out = typeof value === "string" && meta.stacks.some((s) => s.name === value) ? value : undefined;
      break;
    case "ablation_items":
      out = Array.isArray(value) ? [...new Set(value.filter((x): x is string => typeof x === "string" && parseAblationItem(x) !== null))].sort() : undefined;
      break;
  }
  return out === undefined ? fallback(spec, meta, st) : out;
}
