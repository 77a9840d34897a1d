/**
 * The widget's traits read defensively: `_meta` normalised (readMeta), the stack and token lists a
 * view needs, and every synced trait turned into a valid store value (sanitize). Pure functions.
 */
import type { Selection } from "./store";
import type { Meta, StackMeta } from "./types";

/** Traits mirrored in the store (both ways). `hover` stays in the page. */
export const SYNCED_TRAITS = ["layer", "heads", "token", "mode", "view", "stack", "target", "neuron", "method", "ablate", "ablate_mode"] as const;
export type SyncedKey = (typeof SYNCED_TRAITS)[number];

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
    stacks: readStacks(m.stacks, nLayers, nHeads),
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

/** The stack the logit lens reads (Python's `_logits_stack`): a decoder's self-attention, else the first. */
export function logitsStackOf(meta: Meta): StackMeta {
  return meta.stacks.find((s) => s.name === "decoder") ?? meta.stacks.find((s) => s.name === "self") ?? meta.stacks[0]!;
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

/** Turn a trait value into a valid store value (clamped, sorted, nulls kept). */
export function sanitize(key: SyncedKey, value: unknown, meta: Meta, stackName?: string): Selection[SyncedKey] | undefined {
  const st = stackOf(meta, stackName ?? (typeof value === "string" ? value : ""));
  switch (key) {
    case "layer":
      return isInt(value) ? Math.max(0, Math.min(st.n_layers - 1, value)) : undefined;
    case "heads": {
      if (value === null || value === undefined) return Array.from({ length: st.n_heads }, (_, i) => i);
      if (!Array.isArray(value)) return undefined;
      const set = new Set(value.filter((x): x is number => isInt(x) && x >= 0 && x < st.n_heads));
      return [...set].sort((a, b) => a - b);
    }
    case "token": {
      const n = Math.max(sideTokens(meta, st.queries).length, sideTokens(meta, st.keys).length);
      return isInt(value) && value >= 0 && value < n ? value : null;
    }
    case "mode":
      return value === "heatmap" ? "heatmap" : "lines";
    case "view":
      return parseViews(value).join(",");
    case "stack":
      return typeof value === "string" && meta.stacks.some((s) => s.name === value) ? value : meta.stacks[0]!.name;
    case "target":
    case "neuron":
      return isInt(value) ? value : null;
    case "method":
      return typeof value === "string" && value.length > 0 ? value : undefined;
    case "ablate":
      return Array.isArray(value) ? [...new Set(value.filter((x): x is string => typeof x === "string" && /^(head|neuron):\d+:\d+$/.test(x)))].sort() : undefined;
    case "ablate_mode":
      return value === "mean" ? "mean" : "zero";
  }
}
