/**
 * An in-page model implementing the part of anywidget's model interface that attnlens uses.
 * For tests, the dev page and static pages without a kernel. Each instance has its own state.
 */
import type { AnyModel } from "./types";

type Callback = (...args: any[]) => void;

export interface MemoryModel extends AnyModel {
  /** What the page sent with save_changes, in order (each entry the traits set since the last save). */
  readonly saved: Record<string, unknown>[];
  /** Messages the page sent with send(). */
  readonly sent: { content: unknown; buffers?: unknown }[];
  /** Simulate Python: set a trait and fire change:NAME. */
  pythonSet(name: string, value: unknown): void;
  /** Simulate a custom message from Python. */
  emitCustom(content: unknown, buffers?: DataView[]): void;
  /** Number of registered event handlers (leak checks). */
  handlerCount(): number;
}

export interface MemoryModelOptions {
  /** Called for each message the page sends (e.g. to answer attention_request). */
  onSend?: (content: unknown, model: MemoryModel) => void;
}

export function createMemoryModel(initial: Record<string, unknown>, opts: MemoryModelOptions = {}): MemoryModel {
  const state: Record<string, unknown> = { ...initial };
  const handlers = new Map<string, Set<Callback>>();
  let pending: Record<string, unknown> = {};
  const saved: Record<string, unknown>[] = [];
  const sent: { content: unknown; buffers?: unknown }[] = [];

  const emit = (event: string, ...args: unknown[]) => {
    for (const fn of [...(handlers.get(event) ?? [])]) fn(...args);
  };
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b) && typeof a === typeof b;

  const model: MemoryModel = {
    saved,
    sent,
    get: (name) => state[name],
    set(name, value) {
      if (same(state[name], value)) return;
      state[name] = value;
      pending[name] = value;
      emit(`change:${name}`, model, value);
    },
    save_changes() {
      if (Object.keys(pending).length === 0) return;
      saved.push(pending);
      pending = {};
    },
    on(event, cb) {
      let set = handlers.get(event);
      if (!set) handlers.set(event, (set = new Set()));
      set.add(cb);
    },
    off(event, cb) {
      if (!event) {
        handlers.clear();
        return;
      }
      if (!cb) handlers.delete(event);
      else handlers.get(event)?.delete(cb);
    },
    send(content, _callbacks, buffers) {
      sent.push({ content, buffers });
      opts.onSend?.(content, model);
    },
    pythonSet(name, value) {
      if (same(state[name], value)) return;
      state[name] = value;
      emit(`change:${name}`, model, value);
    },
    emitCustom(content, buffers = []) {
      emit("msg:custom", content, buffers);
    },
    handlerCount() {
      let n = 0;
      for (const set of handlers.values()) n += set.size;
      return n;
    },
  };
  return model;
}

