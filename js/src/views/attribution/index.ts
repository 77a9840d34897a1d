/**
 * Attribution view: how much each input token pushed the prediction after the explained position
 * towards its target (orange) or away from it (blue). Choosing a method or a target asks the kernel
 * (reply "attribution", float32 [tokens]); replies are cached per (method, position, target,
 * contrast), so going back is instant. Clicking a token explains the prediction there.
 * DOM in `dom.ts`, listeners in `events.ts`, what is shown in `draw.ts` (pure).
 */
import { keyOf } from "../../replies";
import type { Store } from "../../store";
import { readTheme, watchTheme } from "../../theme";
import type { ViewHandle } from "../../types";
import { frameScheduler, type ViewData, viewHandle } from "../common/index";
import { buildAttributionDom, paintChips, setState } from "./dom";
import { attributionReadout, attributionStatus, chipLooks, explainText } from "./draw";
import { bindAttributionEvents, type AttributionState } from "./events";
import { mountMatrix } from "./matrix";
import { METHOD_TITLES, attributionRequest, explainedPosition, symmetricRange } from "./layout";

export function mount(el: HTMLElement, store: Store, data: ViewData): ViewHandle {
  const win = el.ownerDocument.defaultView;
  const { meta, replies } = data;
  const tokens = meta.tokens;
  const positions = data.logitsTokens.length;
  const d = buildAttributionDom(el, meta.methods.length ? meta.methods : Object.keys(METHOD_TITLES), tokens);
  const st: AttributionState = { target: "", contrast: "", hoverChip: null };
  let ticker: ReturnType<typeof setInterval> | null = null;
  const stopTicker = () => {
    if (ticker !== null) clearInterval(ticker);
    ticker = null;
  };
  const currentRequest = () => {
    const s = store.get();
    return attributionRequest(data.logitsStack, s.method, explainedPosition(s, positions), st.target, st.contrast);
  };

  const draw = () => {
    const s = store.get();
    if (d.methodSel.value !== s.method) d.methodSel.value = s.method;
    const req = currentRequest();
    const pos = Number(req.params?.position);
    const key = keyOf(req);
    const reply = replies.get(key);
    const info = reply?.data ?? {};
    d.explain.textContent = explainText(data.logitsTokens[pos] ?? "", pos, s, info, st.target, st.contrast);
    d.section.setAttribute("data-position", String(pos));
    d.section.setAttribute("data-method", s.method);
    const values = reply?.arrays.values;
    d.chips.forEach((c, i) => c.classList.toggle("al-locked", i === pos));
    if (!values) {
      const rs = replies.state(key);
      const shown = attributionStatus(s.method, rs, meta.can_rerun, Date.now());
      if (!shown.ticking) stopTicker();
      else if (ticker === null && win) ticker = setInterval(() => sched.schedule(), 1000);
      setState(d, shown.text, rs.state);
      d.readout.textContent = "";
      return paintChips(d, null);
    }
    stopTicker();
    setState(d, "", "ready");
    const range = symmetricRange(values.values, values.scale);
    const total = typeof info.total === "number" ? info.total : 0;
    paintChips(d, chipLooks(tokens, values.values, values.scale, range, total, readTheme(d.section).bgRgb));
    d.readout.textContent = attributionReadout(tokens, st.hoverChip, values.values, values.scale, range, total);
    data.drawn("attribution", s.layer);
  };
  const sched = frameScheduler(win, () => {
    draw();
    matrix.draw();
  });
  const matrix = mountMatrix(d.matrixBox, store, data, () => sched.schedule());
  const request = () => replies.request(currentRequest());
  const cleanups = bindAttributionEvents(d, store, st, () => {
    request();
    sched.schedule();
  }, () => sched.schedule());
  cleanups.push(
    stopTicker,
    () => matrix.destroy(),
    store.subscribe((s, p) => {
      if (s.method !== p.method || s.token !== p.token || s.target !== p.target) {
        request();
        sched.schedule();
      } else if (s.layer !== p.layer) sched.schedule(); // nothing to redraw, but report it drawn
    }),
    replies.subscribe(() => sched.schedule()),
    watchTheme(el.ownerDocument, () => sched.schedule()),
  );
  request();
  draw();
  sched.schedule(); // again once the panel is in the page: colours need its computed theme
  return viewHandle(d.section, sched, cleanups);
}
