/**
 * Level-of-detail requests between the views and a widget's ReplyCache (issue #12, wire in
 * briefs/lod-wire.md): at most `maxInFlight` (2) requests on the wire per widget; the rest wait here,
 * newest first, so the last thing asked for is sent (and drawn) first. When the selection moves to
 * another layer, waiting requests of other layers are dropped before they are sent (a view asks again
 * for what it still needs on its next draw). Once nothing has been waiting or in flight for `idleMs`
 * (then `requestIdleCallback` where the browser has it), the neighbouring layers (layer ± 1) are
 * prefetched with what the registered prefetchers name for them, in all slots but one.
 *
 * One queue per widget: `queueFor(cache)` (several widgets on a page stay independent).
 */
import { keyOf, type ReplyCache, type Request } from "./replies";

export interface QueueOptions {
  maxInFlight?: number;
  idleMs?: number;
  /** The window whose requestIdleCallback is used, if it has one. */
  win?: (Window & typeof globalThis) | null;
}

/** What to fetch for a layer before it is selected (the view's rows on screen, the heatmap overview). */
export type Prefetcher = (layer: number) => Request[];

interface Waiting {
  req: Request;
  key: string;
  /** The selected layer when a prefetch was queued: it is dropped once the selection leaves it. */
  prefetchFor: number | null;
  /** Requests of one group replace each other while waiting (e.g. the hovered token's row). */
  group?: string | undefined;
}

export class RequestQueue {
  private waiting: Waiting[] = [];
  private sent = new Set<string>();
  private flying = new Set<string>();
  /** The keys in flight that are prefetches (they may hold all slots but one). */
  private prefetching = new Set<string>();
  private layer: number | null = null;
  private prefetchers = new Set<Prefetcher>();
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private idleHandle: number | null = null;
  private prefetchedFor: number | null = null;
  private readonly maxInFlight: number;
  private readonly idleMs: number;
  private readonly unsubscribe: () => void;
  private dead = false;

  constructor(
    private readonly cache: ReplyCache,
    private readonly opts: QueueOptions = {},
  ) {
    this.maxInFlight = opts.maxInFlight ?? 2;
    this.idleMs = opts.idleMs ?? 150;
    this.unsubscribe = cache.subscribe(() => this.settle());
  }

  /** The selected layer: waiting requests of other layers (and prefetches for another selection) go. */
  setLayer(layer: number): void {
    if (layer === this.layer) return;
    this.layer = layer;
    this.prefetchedFor = null;
    this.waiting = this.waiting.filter((w) => this.current(w));
    this.pump();
  }

  /**
   * Ask for `req` (it must name its layer); no-op when the page holds it or it was sent already. A
   * request in a `group` replaces the group's request still waiting (the token hovered before this one).
   */
  want(req: Request, group?: string): string {
    if (group !== undefined) this.waiting = this.waiting.filter((w) => w.group !== group || w.key === keyOf(req));
    const key = this.enqueue(req, null, group);
    this.pump();
    return key;
  }

  /** Register what to prefetch for a neighbouring layer; returns the unregister function. */
  addPrefetcher(fn: Prefetcher): () => void {
    this.prefetchers.add(fn);
    return () => {
      this.prefetchers.delete(fn);
    };
  }

  /** Requests on the wire now, and waiting here (for tests and the status line). */
  get inFlight(): number {
    return this.flying.size;
  }
  get pending(): number {
    return this.waiting.length;
  }

  destroy(): void {
    this.dead = true;
    this.unsubscribe();
    this.cancelIdle();
    this.waiting = [];
  }

  private enqueue(req: Request, prefetchFor: number | null, group?: string): string {
    const key = keyOf(req);
    if (this.dead || this.cache.has(key) || this.sent.has(key)) return key;
    const at = this.waiting.findIndex((w) => w.key === key);
    if (at >= 0) {
      const [w] = this.waiting.splice(at, 1);
      if (prefetchFor === null) w!.prefetchFor = null; // asked for in earnest now
      this.waiting.push(w!); // newest first
    } else this.waiting.push({ req, key, prefetchFor, group });
    return key;
  }

  private current(w: Waiting): boolean {
    if (this.layer === null) return true;
    if (w.prefetchFor !== null) return w.prefetchFor === this.layer;
    return w.req.layer === undefined || w.req.layer === this.layer;
  }

  /** Send the newest waiting requests while there is room; start the idle clock when all is quiet. */
  private pump(): void {
    if (this.dead) return;
    this.cancelIdle();
    for (let i = this.next(); i >= 0 && this.flying.size < this.maxInFlight; i = this.next()) {
      const [w] = this.waiting.splice(i, 1);
      if (!w || !this.current(w) || this.cache.has(w.key)) continue;
      this.sent.add(w.key);
      this.cache.request(w.req);
      if (this.cache.state(w.key).state !== "loading") continue;
      this.flying.add(w.key);
      if (w.prefetchFor !== null) this.prefetching.add(w.key);
    }
    if (this.flying.size === 0 && this.waiting.length === 0) this.startIdle();
  }

  /** The newest waiting request that may go now: a prefetch only while a slot stays free for what the
   * user asks for (a hovered token's row must not wait behind the neighbours' windows). */
  private next(): number {
    const prefetchRoom = this.prefetching.size < Math.max(1, this.maxInFlight - 1);
    for (let i = this.waiting.length - 1; i >= 0; i--) if (this.waiting[i]!.prefetchFor === null || prefetchRoom) return i;
    return -1;
  }

  /** A reply (or error, or timeout) arrived: free the slots of the keys no longer loading. */
  private settle(): void {
    let freed = false;
    for (const key of this.flying) {
      if (this.cache.state(key).state !== "loading") {
        this.flying.delete(key);
        this.prefetching.delete(key);
        freed = true;
      }
    }
    if (freed) this.pump();
  }

  private startIdle(): void {
    if (this.layer === null || this.prefetchedFor === this.layer || this.prefetchers.size === 0) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      const win = this.opts.win;
      if (win && typeof win.requestIdleCallback === "function") {
        this.idleHandle = win.requestIdleCallback(() => ((this.idleHandle = null), this.prefetch()), { timeout: 1000 });
      } else this.prefetch();
    }, this.idleMs);
  }

  private cancelIdle(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.idleHandle !== null) this.opts.win?.cancelIdleCallback?.(this.idleHandle);
    this.idleHandle = null;
  }

  private prefetch(): void {
    const layer = this.layer;
    if (this.dead || layer === null || this.flying.size > 0 || this.waiting.length > 0) return;
    this.prefetchedFor = layer;
    // Queued so that layer + 1 (the usual direction of a scrub) is sent first.
    for (const d of [-1, 1]) for (const fn of this.prefetchers) for (const r of fn(layer + d)) this.enqueue(r, layer);
    this.pump();
  }
}

const queues = new WeakMap<ReplyCache, RequestQueue>();

/** The widget's queue (one per reply cache, made on first use). */
export function queueFor(cache: ReplyCache, opts?: QueueOptions): RequestQueue {
  let q = queues.get(cache);
  if (!q) queues.set(cache, (q = new RequestQueue(cache, opts)));
  return q;
}
