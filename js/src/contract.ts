/**
 * The wire contract between kernel and page: `src/attnlens/contract.json`, bundled here by esbuild and
 * read by Python through `attnlens/widget/contract.py`. Views, synced traits and their defaults,
 * request kinds (fields, whether they rerun the model, what a saved page says without them), the
 * attribution methods, the ablation modes and the shared constants are written there once.
 */
import contract from "../../src/attnlens/contract.json";

type Json = typeof contract;

/** Every request kind the kernel answers (a key of the contract's `requests`). */
export type RequestKind = keyof Json["requests"];
/** A synced trait's name (JSON imports type strings as `string`; meta.ts narrows it to the store's keys). */
export type TraitName = string;

export const CONTRACT_VERSION = contract.version;
export const CHUNK_BYTES = contract.constants.CHUNK_BYTES;
export const SEED_BYTES = contract.constants.SEED_BYTES;
/** Most bytes of one message from the page to the kernel. */
export const MAX_SEND_BYTES = contract.constants.MAX_SEND_BYTES;
/** How long the page waits for a kernel's first word on a request before saying there is none. */
export const NO_KERNEL_TIMEOUT_MS = contract.constants.NO_KERNEL_TIMEOUT_MS;
const KEY_ESCAPES = contract.constants.KEY_ESCAPES as [string, string][];
export const KEY_SEPARATOR = contract.constants.KEY_SEPARATOR;

/** Views in page order, with their titles. */
export const VIEW_NAMES: readonly string[] = [...contract.views].sort((a, b) => a.order - b.order).map((v) => v.id);
export const VIEW_TITLES: Readonly<Record<string, string>> = Object.freeze(Object.fromEntries(contract.views.map((v) => [v.id, v.title])));

export const METHODS: readonly string[] = contract.methods.map((m) => m.id);
export const METHOD_LABELS: Readonly<Record<string, string>> = Object.freeze(Object.fromEntries(contract.methods.map((m) => [m.id, m.label])));
/** Methods that need no model rerun: they read the attention already captured. */
export const ATTENTION_METHODS: readonly string[] = contract.methods.filter((m) => m.family === "attention").map((m) => m.id);
export const ABLATION_MODES: readonly string[] = contract.ablation_modes.map((m) => m.id);

export interface TraitSpec {
  name: TraitName;
  type: string;
  default: unknown;
  nullable: boolean;
  /** Allowed values of an enum trait. */
  values: readonly string[];
  /** What the page makes of a value it cannot use: the default, all heads, the first stack. */
  invalid: "default" | "all_heads" | "first_stack";
  /** What an int's range is counted in ("layers", "heads", "tokens"), or null. */
  range: string | null;
}

const ENUMS: Record<string, readonly string[]> = { methods: METHODS, ablation_modes: ABLATION_MODES };

export const TRAITS: readonly TraitSpec[] = contract.traits.map((t) => {
  const values = "values" in t ? t.values : [];
  return {
    name: t.name,
    type: t.type,
    default: t.default,
    nullable: "nullable" in t ? Boolean(t.nullable) : false,
    values: typeof values === "string" ? (ENUMS[values] ?? []) : (values as string[]),
    invalid: ("invalid" in t && t.invalid ? t.invalid : "default") as TraitSpec["invalid"],
    range: "range" in t && typeof t.range === "string" ? t.range : null,
  };
});

export function traitSpec(name: TraitName): TraitSpec {
  return TRAITS.find((t) => t.name === name)!;
}

export interface RequestSpec {
  reruns: boolean;
  key: readonly string[];
  notSaved: string;
}

const REQUESTS: Readonly<Record<string, RequestSpec>> = Object.freeze(
  Object.fromEntries(Object.entries(contract.requests).map(([kind, r]) => [kind, { reruns: r.reruns, key: r.key, notSaved: r.not_saved }])),
);

export const REQUEST_KINDS = Object.keys(contract.requests) as RequestKind[];

export function requestSpec(kind: string): RequestSpec | undefined {
  return Object.prototype.hasOwnProperty.call(REQUESTS, kind) ? REQUESTS[kind] : undefined;
}

/** Whether a request of this kind reruns the model (the kernel says it is working first). */
export function reruns(kind: string): boolean {
  return requestSpec(kind)?.reruns ?? false;
}

/** Free text inside a key: `%` and `:` escaped (mirrors registry.key_part). */
export function keyPart(text: string): string {
  let out = text;
  for (const [raw, escaped] of KEY_ESCAPES) out = out.split(raw).join(escaped);
  return out;
}

/** What a static page says for a key it does not hold: the contract's `not_saved` with the key's parts. */
export function notSavedMessage(key: string): string {
  const [kind = "", , ...parts] = key.split(KEY_SEPARATOR);
  const spec = requestSpec(kind);
  let subject = kind;
  if (spec) {
    const values: Record<string, string> = {};
    spec.key.forEach((name, i) => (values[name] = parts[i] ?? ""));
    subject = spec.notSaved.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? "");
  }
  return `${subject.charAt(0).toUpperCase()}${subject.slice(1)} was not saved in this page; it needs a running kernel.`;
}

const ABLATION_ITEM = new RegExp(contract.ablation_item.pattern);

export interface AblationPart {
  kind: "head" | "neuron";
  layer: number;
  index: number;
}

/** `"head:1:3"` → `{kind: "head", layer: 1, index: 3}`; null when it is not `head|neuron:LAYER:INDEX`. */
export function parseAblationItem(name: string): AblationPart | null {
  const m = ABLATION_ITEM.exec(name);
  return m ? { kind: m[1] as AblationPart["kind"], layer: Number(m[2]), index: Number(m[3]) } : null;
}

export function ablationItem(p: AblationPart): string {
  return `${p.kind}:${p.layer}:${p.index}`;
}
