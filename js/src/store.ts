/** One selection store per widget instance. Views subscribe to it; the widget glue syncs it with traits. */
import { TRAITS } from "./contract";

export type Mode = "lines" | "heatmap";

export interface Selection {
  layer: number;
  /** Selected heads, sorted ascending, unique. */
  heads: number[];
  /** Locked token (query index), or null. */
  token: number | null;
  /** Hovered token (page-only, not synced), or null. */
  hover: number | null;
  mode: Mode;
  /** Visible views, comma-separated in page order ("head,logit_lens"). */
  view: string;
  /** Attention stack shown ("self"; "encoder" / "decoder" / "cross" for seq2seq models). */
  stack: string;
  /** Position whose prediction the attribution and ablation views explain when no token is locked. */
  target: number | null;
  neuron: number | null;
  /** Attribution method shown (analysis.attribution.METHODS). */
  method: string;
  /** Parts marked for ablation, sorted: "head:L:H", "neuron:L:N". */
  ablate: string[];
  ablate_mode: "zero" | "mean";
}

export type Listener = (state: Readonly<Selection>, prev: Readonly<Selection>) => void;

export interface Store {
  get(): Readonly<Selection>;
  set(partial: Partial<Selection>): void;
  subscribe(fn: Listener): () => void;
}

/** Every synced trait at its contract default; `hover` (page-only) starts empty. */
export const DEFAULT_SELECTION: Readonly<Selection> = Object.freeze({
  ...(Object.fromEntries(TRAITS.map((t) => [t.name, t.default])) as Omit<Selection, "hover">),
  hover: null,
});

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => v === b[i]);
  }
  return Object.is(a, b);
}

export function createStore(initial: Partial<Selection> = {}): Store {
  let state: Selection = { ...DEFAULT_SELECTION, heads: [], ablate: [], ...initial };
  state.heads = [...state.heads];
  state.ablate = [...state.ablate];
  const listeners = new Set<Listener>();

  return {
    get: () => state,
    set(partial) {
      let changed = false;
      const next: Selection = { ...state };
      for (const key of Object.keys(partial) as (keyof Selection)[]) {
        const value = partial[key];
        if (value === undefined) continue;
        if (!sameValue(state[key], value)) {
          (next as unknown as Record<string, unknown>)[key] = Array.isArray(value) ? [...value] : value;
          changed = true;
        }
      }
      if (!changed) return;
      const prev = state;
      state = next;
      for (const fn of [...listeners]) fn(state, prev);
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => {
        listeners.delete(fn);
      };
    },
  };
}
