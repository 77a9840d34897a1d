// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { frameScheduler, replySignature, themeReader, whenChanged } from "./index";

/** A window whose animation frames run only when the test says so. */
function fakeWindow() {
  const frames = new Map<number, () => void>();
  let next = 1;
  const win = {
    requestAnimationFrame(fn: () => void) {
      frames.set(next, fn);
      return next++;
    },
    cancelAnimationFrame(id: number) {
      frames.delete(id);
    },
  } as unknown as Window;
  const runFrame = () => {
    const fns = [...frames.values()];
    frames.clear();
    for (const fn of fns) fn();
  };
  return { win, frames, runFrame };
}

describe("frameScheduler", () => {
  it("schedule() draws once on the next frame however often it is called", () => {
    const { win, runFrame } = fakeWindow();
    let draws = 0;
    const s = frameScheduler(win, () => draws++);
    s.schedule();
    s.schedule();
    expect(draws).toBe(0);
    runFrame();
    expect(draws).toBe(1);
    runFrame();
    expect(draws).toBe(1);
  });

  it("soon() draws once when the task ends, before the frame, and drops the pending frame draw", async () => {
    const { win, frames, runFrame } = fakeWindow();
    let draws = 0;
    const s = frameScheduler(win, () => draws++);
    s.schedule(); // e.g. a hover
    s.soon(); // then a layer change in the same task
    s.soon();
    s.schedule(); // covered by the coming draw
    expect(draws).toBe(0);
    await Promise.resolve();
    expect(draws).toBe(1);
    expect(frames.size).toBe(0);
    runFrame();
    expect(draws).toBe(1);
  });

  it("draws nothing after cancel()", async () => {
    const { win, runFrame } = fakeWindow();
    let draws = 0;
    const s = frameScheduler(win, () => draws++);
    s.schedule();
    s.soon();
    s.cancel();
    await Promise.resolve();
    runFrame();
    expect(draws).toBe(0);
  });
});

describe("themeReader", () => {
  it("reads the theme once while the element is in the document, again after reset()", () => {
    const el = document.createElement("div");
    el.style.setProperty("--al-bg", "#000000");
    const t = themeReader(el);
    t.get(); // outside the document: nothing to cache yet
    document.body.append(el);
    expect(t.get().dark).toBe(true);
    el.style.setProperty("--al-bg", "#ffffff");
    expect(t.get().dark).toBe(true); // cached
    t.reset();
    expect(t.get().dark).toBe(false);
    el.remove();
  });
});

describe("reply notifications", () => {
  it("whenChanged runs only when what the view shows changed (by identity)", () => {
    let value: object | string = "loading:";
    let runs = 0;
    const fire = whenChanged(() => value, () => runs++);
    fire();
    fire();
    expect(runs).toBe(1);
    const reply = { arrays: {} };
    value = reply;
    fire();
    fire(); // another key arrived: same reply object
    expect(runs).toBe(2);
    value = { arrays: {} }; // the same key replaced
    fire();
    expect(runs).toBe(3);
  });

  it("replySignature is the reply when it is in, else its state and message", () => {
    const r = {};
    expect(replySignature(r, { state: "ready" })).toBe(r);
    expect(replySignature(undefined, { state: "loading" })).toBe("loading:");
    expect(replySignature(undefined, { state: "error", message: "boom" })).toBe("error:boom");
    expect(replySignature(undefined, { state: "error", message: "a" })).not.toBe(replySignature(undefined, { state: "error", message: "b" }));
  });
});
