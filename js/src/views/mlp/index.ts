/**
 * MLP neurons: for the selected token (hovered, else locked, else the last) and layer, the neurons that
 * fire most (reply "mlp_top"). Clicking one sets the `neuron` trait and colours every token by that
 * neuron's activation (reply "neuron"). DOM in `dom.ts`, listeners in `events.ts`, what is shown in
 * `draw.ts` (pure).
 */
import { requestKey } from "../../replies";
import type { Selection, Store } from "../../store";
import type { RGB } from "../../colors";
import { watchTheme } from "../../theme";
import { formatToken } from "../../tokens";
import type { ViewHandle } from "../../types";
import { activeToken, frameScheduler, onResize, pendingText, showState, themeReader, type ViewData, viewHandle } from "../common/index";
import { setStatusLine } from "../common/dom";
import { buildMlpDom, renderNeuronList, renderStrip, type ChipPaint, type MlpDom } from "./dom";
import { chipColors, mlpHint, neuronLegend, neuronRows } from "./draw";
import { bindMlpEvents } from "./events";
import { activationRange, topNeurons } from "./layout";

const noPaint: ChipPaint = () => null;

type Ctx = { d: MlpDom; replies: ViewData["replies"]; stack: string; tokens: readonly string[] };

/** The top neurons of the layer at token t; whether they are in. */
function drawList(c: Ctx, s: Readonly<Selection>, t: number): boolean {
  const topKey = requestKey("mlp_top", c.stack, s.layer);
  const reply = c.replies.get(topKey);
  c.d.list.replaceChildren();
  if (!reply) showState(c.d.status, c.replies.state(topKey), `top neurons of layer ${s.layer}`);
  else {
    showState(c.d.status, { state: "ready" }, "");
    renderNeuronList(c.d, neuronRows(topNeurons(reply, t), s.neuron, s.ablate, s.layer));
  }
  return Boolean(reply);
}

/** The selected neuron's status, and how to colour the chips by it (null while it loads). */
function neuronPaint(c: Ctx, layer: number, neuron: number, bg: RGB): ChipPaint | null {
  const nKey = requestKey("neuron", c.stack, layer, neuron);
  const nr = c.replies.get(nKey)?.arrays.activations;
  if (!nr) {
    setStatusLine(c.d.nStatus, pendingText(c.replies.state(nKey), `neuron ${neuron} of layer ${layer}`), c.replies.state(nKey).state);
    return null;
  }
  const range = activationRange(nr.values);
  setStatusLine(c.d.nStatus, neuronLegend(neuron, layer, range), "ready");
  return (i) => {
    const v = (nr.values[i] ?? 0) * nr.scale;
    return { ...chipColors(v, range, bg), label: `${formatToken(c.tokens[i] ?? "").spoken} (token ${i}): activation ${v.toFixed(2)}` };
  };
}

export function mount(el: HTMLElement, store: Store, data: ViewData): ViewHandle {
  const win = el.ownerDocument.defaultView;
  const { stack, replies } = data;
  const tokens = data.queryTokens;
  const d = buildMlpDom(el);
  const themes = themeReader(d.section);
  let paintChip: ChipPaint = noPaint;
  const ctx: Ctx = { d, replies, stack: stack.name, tokens };
  const strip = () => renderStrip(d, tokens, store.get().neuron !== null, store.get().token, paintChip);

  const draw = () => {
    const s = store.get();
    const t = activeToken(s, tokens.length) ?? 0;
    d.hint.textContent = mlpHint(s.layer, tokens[t] ?? "", t, s);
    if (!stack.has_mlp) {
      setStatusLine(d.status, "MLP activations were not captured for this model or stack.", "empty");
      d.list.replaceChildren();
      return;
    }
    const listed = drawList(ctx, s, t);
    paintChip = noPaint;
    if (s.neuron === null) {
      setStatusLine(d.nStatus, "No neuron selected.", "empty");
      strip();
      if (listed) data.drawn("mlp", s.layer); // the top neurons are the whole view until one is chosen
      return;
    }
    const p = neuronPaint(ctx, s.layer, s.neuron, themes.get().bgRgb);
    paintChip = p ?? noPaint;
    strip();
    if (p) data.drawn("mlp", s.layer);
  };
  const sched = frameScheduler(win, draw);

  const request = () => {
    const s = store.get();
    if (!stack.has_mlp) return;
    replies.request({ what: "mlp_top", stack: stack.name, layer: s.layer });
    if (s.neuron !== null) replies.request({ what: "neuron", stack: stack.name, layer: s.layer, neuron: s.neuron });
  };
  const cleanups = bindMlpEvents(d, store, strip);
  cleanups.push(
    store.subscribe((s, p) => {
      if (s.layer !== p.layer || s.neuron !== p.neuron) request();
      if (s.layer !== p.layer || s.neuron !== p.neuron || s.token !== p.token || s.ablate !== p.ablate) sched.soon();
      else if (s.hover !== p.hover) sched.schedule();
    }),
    replies.subscribe(() => sched.schedule()),
    watchTheme(el.ownerDocument, () => {
      themes.reset();
      sched.schedule();
    }),
    onResize(d.strip, strip),
  );
  request();
  draw();
  return viewHandle(d.section, sched, cleanups);
}
