"""Playwright drivers for JupyterLab / Notebook 7 pages: run cells, wait for the widget, read pixels."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest


# ---- the page -------------------------------------------------------------------------------------
@dataclass
class PageLog:
    """What a page did on the network and in its console, recorded from the moment it opened."""

    origin: str
    requests: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("websocket", lambda ws: self.websockets.append(ws.url))

        def on_console(msg: Any) -> None:
            if msg.type == "error":
                loc = msg.location or {}
                self.console_errors.append(f"{msg.text} @ {loc.get('url', '')}:{loc.get('lineNumber', '')}")

        page.on("console", on_console)
        page.on("pageerror", lambda err: self.page_errors.append(f"{err}\n{getattr(err, 'stack', '')}"))

    def foreign_requests(self) -> list[str]:
        ws_origin = self.origin.replace("http://", "ws://", 1)
        ok = (self.origin + "/", "data:", "blob:")
        bad = [u for u in self.requests if not (u.startswith(ok) or u == self.origin)]
        bad += [u for u in self.websockets if not u.startswith(ws_origin + "/")]
        return bad

    def widget_errors(self) -> list[str]:
        """Console errors and uncaught exceptions that come from the widget (its blob/data module)."""
        keys = ("attnlens", "anywidget", "blob:", "data:text/javascript", "al-")
        errs = [e for e in self.console_errors if any(k in e for k in keys)]
        errs += [e for e in self.page_errors if any(k in e for k in keys)]
        return errs

    def assert_clean(self) -> None:
        bad = self.foreign_requests()
        assert not bad, f"requests left the test server {self.origin}: {bad}"
        errs = self.widget_errors()
        assert not errs, f"the widget logged errors in the page: {errs}"
        # Errors of the host app itself (Notebook 7.6 throws "Cannot read properties of undefined
        # (reading 'schema')" from its shortcuts plugin on every load, widget or not) are not the
        # widget's: they are written to artifacts/screenshots/e2e-page-log.json by the last test.


WAIT_KERNEL_IDLE = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell && app.shell.currentWidget;
  const ctx = panel && panel.sessionContext;
  const kernel = ctx && ctx.session && ctx.session.kernel;
  return !!(ctx && ctx.isReady && kernel && kernel.status === 'idle' && kernel.connectionStatus === 'connected');
}"""

CELLS_DONE = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  return panel.content.widgets.every(c => c.model.type !== 'code' ||
    (c.model.executionCount !== null && !(c.promptNode && c.promptNode.textContent.includes('*'))));
}"""

CELL_ERRORS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const errs = [];
  for (const c of panel.content.widgets) {
    if (c.model.type !== 'code') continue;
    for (const o of c.model.outputs.toJSON()) {
      if (o.output_type === 'error') errs.push(o.ename + ': ' + o.evalue + '\\n' + (o.traceback || []).join('\\n'));
    }
  }
  return errs;
}"""


def _fail_with_cells(page: Any, log: PageLog | None, what: str, err: Exception) -> None:
    try:
        errors = page.evaluate(CELL_ERRORS)
    except Exception as e:  # the app itself may not be there
        errors = [f"(could not read cell outputs: {e})"]
    extra = f"\npage errors: {log.page_errors}\nconsole errors: {log.console_errors[-10:]}" if log else ""
    pytest.fail(f"{what}: {err}\ncell errors: {errors}{extra}")


def open_notebook(page: Any, url: str, log: PageLog | None = None, timeout_ms: int = 90_000) -> None:
    """Open a notebook URL (Lab or Notebook 7) and wait for the app and an idle, connected kernel.

    A JupyterLab URL opens in a fresh workspace of its own: the shared default workspace would restore
    earlier tests' notebooks in hidden tabs, whose widgets ``.attnlens`` would then find first."""
    if "/lab/tree/" in url and "?" not in url:
        origin, _, path = url.partition("/lab/tree/")
        name = "".join(c if c.isalnum() else "-" for c in path)
        url = f"{origin}/lab/workspaces/{name}/tree/{path}?reset"
    page.goto(url, wait_until="domcontentloaded", timeout=timeout_ms)
    try:
        page.wait_for_function(
            "() => !!(window.jupyterapp && window.jupyterapp.shell && window.jupyterapp.shell.currentWidget"
            " && window.jupyterapp.shell.currentWidget.sessionContext)",
            timeout=timeout_ms,
        )
        page.wait_for_function(WAIT_KERNEL_IDLE, timeout=timeout_ms, polling=200)
    except Exception as err:
        _fail_with_cells(page, log, f"the notebook at {url} did not open with an idle kernel", err)


def run_all(page: Any, log: PageLog | None = None, timeout_ms: int = 120_000) -> None:
    """Run every cell through the app's command registry and wait for the widget root to be visible."""
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    try:
        page.wait_for_function(CELLS_DONE, timeout=timeout_ms, polling=200)
    except Exception as err:
        _fail_with_cells(page, log, "run-all did not finish", err)
    errors = page.evaluate(CELL_ERRORS)
    assert not errors, f"a cell raised: {errors}"
    try:
        page.locator(".attnlens").first.wait_for(state="visible", timeout=30_000)
    except Exception as err:
        _fail_with_cells(page, log, "the widget root .attnlens did not become visible", err)


def run_new_cell(page: Any, code: str, log: PageLog | None = None, timeout_ms: int = 60_000) -> str:
    """Append a code cell at the end, run it, wait for it to finish, and return its output text."""
    index = page.evaluate(
        """async (code) => {
          const app = window.jupyterapp;
          const nb = app.shell.currentWidget.content;
          nb.activeCellIndex = nb.widgets.length - 1;
          nb.mode = 'command';
          await app.commands.execute('notebook:insert-cell-below');
          const cell = nb.activeCell;
          cell.model.sharedModel.setSource(code);
          const index = nb.widgets.indexOf(cell);
          app.commands.execute('notebook:run-cell');
          return index;
        }""",
        code,
    )
    try:
        page.wait_for_function(
            """(i) => {
              const panel = window.jupyterapp.shell.currentWidget;
              const c = panel.content.widgets[i];
              const kernel = panel.sessionContext.session.kernel;
              return !!c && c.model.executionCount !== null && kernel.status === 'idle'
                && !(c.promptNode && c.promptNode.textContent.includes('*'));
            }""",
            arg=index,
            timeout=timeout_ms,
            polling=100,
        )
    except Exception as err:
        _fail_with_cells(page, log, f"the new cell {code!r} did not finish", err)
    errors = page.evaluate(CELL_ERRORS)
    assert not errors, f"a cell raised: {errors}"
    # The text the user sees in the cell's output area.
    return str(
        page.evaluate(
            """(i) => {
              const c = window.jupyterapp.shell.currentWidget.content.widgets[i];
              const outs = c.node.querySelectorAll('.jp-OutputArea-output');
              return Array.from(outs).map(o => o.textContent).join('');
            }""",
            index,
        )
    )


def wait_drawn(page: Any, root: Any, timeout_ms: int = 20_000) -> None:
    """Wait until the head view has the current layer's attention and drew it (no loading left)."""
    handle = root.element_handle()
    try:
        page.wait_for_function(
            """(root) => {
              const sec = root.querySelector('.al-head');
              const st = root.querySelector('.al-head .al-status');
              if (!sec || !st || sec.classList.contains('al-pending')) return false;
              return ['ready', 'limited'].includes(st.getAttribute('data-state'));
            }""",
            arg=handle,
            timeout=timeout_ms,
            polling=100,
        )
    except Exception as err:
        state = page.evaluate(
            "(root) => { const st = root.querySelector('.al-status'); "
            "return st ? [st.getAttribute('data-state'), st.textContent] : null; }",
            handle,
        )
        pytest.fail(f"the view did not finish drawing (status: {state}): {err}")


def wait_attr(page: Any, root: Any, name: str, value: str, timeout_ms: int = 10_000) -> None:
    try:
        page.wait_for_function(
            "([root, name, value]) => root.getAttribute(name) === value",
            arg=[root.element_handle(), name, value],
            timeout=timeout_ms,
            polling=50,
        )
    except Exception:
        actual = root.get_attribute(name)
        pytest.fail(f"the widget root's {name} is {actual!r}, expected {value!r}")


def drag_slider(page: Any, slider: Any, value: int) -> None:
    """Drag a range input's thumb with the mouse until it shows ``value`` (press, move in steps, release)."""
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    assert box is not None, "the layer slider has no box (hidden?)"
    lo, hi = (int(slider.get_attribute(a) or 0) for a in ("min", "max"))
    assert lo <= value <= hi, f"layer {value} is outside the slider's range {lo}..{hi}"
    y = box["y"] + box["height"] / 2
    current = int(slider.input_value())
    # Start on the thumb (its centre moves from the left end to the right end over the range).
    frac = (current - lo) / max(1, hi - lo)
    x = box["x"] + 6 + frac * (box["width"] - 12)
    page.mouse.move(x, y)
    page.mouse.down()
    step = 3 if value >= current else -3
    x_end = box["x"] + box["width"] if step > 0 else box["x"]
    while int(slider.input_value()) != value and (x < x_end if step > 0 else x > x_end):
        x += step
        page.mouse.move(x, y, steps=1)
    page.mouse.up()
    assert int(slider.input_value()) == value, f"dragging the slider did not reach {value}"


CANVAS_INK = """(canvas) => {
  if (!canvas || canvas.width === 0 || canvas.height === 0) return {w: 0, h: 0, ink: 0, colors: 0};
  const ctx = canvas.getContext('2d');
  const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0; const colors = new Set();
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] <= 8) continue;
    ink++;
    if (colors.size < 64) colors.add((d[i] >> 4) + ',' + (d[i + 1] >> 4) + ',' + (d[i + 2] >> 4));
  }
  return {w: canvas.width, h: canvas.height, ink, colors: colors.size};
}"""


LAYOUT = """(root) => {
  const box = (e) => { const r = e.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; };
  const visible = (e) => { const r = e.getBoundingClientRect(); const cs = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none' && +cs.opacity > 0; };
  const side = (s) => Array.from(root.querySelectorAll(`[data-token-index][data-side="${s}"]`))
    .filter(visible).map(e => ({i: +e.dataset.tokenIndex, text: e.textContent, ...box(e),
      clipped: e.scrollWidth > e.clientWidth + 1}));
  return {root: box(root), left: side('left'), right: side('right'),
          nTokens: root.querySelectorAll('[data-token-index][data-side="left"]').length};
}"""

CONTRAST = """(el) => {
  const rgb = (s) => { const m = s.match(/[\\d.]+/g); return m ? m.slice(0, 4).map(Number) : null; };
  let bg = null;
  for (let e = el; e; e = e.parentElement) {
    const c = rgb(getComputedStyle(e).backgroundColor);
    if (c && (c.length < 4 || c[3] > 0.5)) { bg = c; break; }
  }
  bg = bg || [255, 255, 255];
  const fg = rgb(getComputedStyle(el).color);
  const lum = (c) => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const a = lum(fg), b = lum(bg);
  return {fg, bg, ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)};
}"""


def next_frames(page: Any, n: int = 2) -> None:
    """Let the page paint: wait ``n`` animation frames (draws are scheduled on rAF)."""
    page.evaluate(
        "(n) => new Promise(res => { const f = (k) => k ? requestAnimationFrame(() => f(k - 1)) : res(); f(n); })",
        n,
    )


def check_render(page: Any, root: Any, what: str) -> dict[str, Any]:
    """Sanity of a drawn view: size, labels visible and not overlapping, canvas not blank, text readable."""
    lay = page.evaluate(LAYOUT, root.element_handle())
    r = lay["root"]
    assert r["w"] > 300 and r["h"] > 200, f"{what}: the widget is only {r['w']:.0f}x{r['h']:.0f} px"
    mode = root.get_attribute("data-mode")
    if mode == "lines":  # the heatmap is the zoomable map, with its own edge labels
        assert len(lay["left"]) == lay["nTokens"] > 0, f"{what}: left token labels not all visible: {lay['left']}"
        assert len(lay["right"]) == lay["nTokens"], f"{what}: right token labels not all visible"
    for col in ("left", "right"):
        labels = lay[col]
        for a, b in itertools.pairwise(labels):
            assert b["y"] >= a["y"] + a["h"] - 0.5, f"{what}: {col} labels {a['i']} and {b['i']} overlap: {a} {b}"
    if lay["right"]:
        left_edge = max(lab["x"] + lab["w"] for lab in lay["left"])
        right_edge = min(lab["x"] for lab in lay["right"])
        assert right_edge > left_edge, f"{what}: the left and right label columns overlap"
    canvas = root.locator("canvas.al-lines" if mode == "lines" else ".al-zoom canvas.al-heat").first
    ink = page.evaluate(CANVAS_INK, canvas.element_handle())
    if mode == "lines":
        assert ink["ink"] > 0 and ink["colors"] >= 2, f"{what}: the lines canvas is blank or one colour: {ink}"
    else:
        assert ink["colors"] >= 3, f"{what}: the heatmap canvas is (nearly) uniform: {ink}"
    contrast: dict[str, Any] = {}
    if mode == "lines":
        label = root.locator('[data-token-index="1"][data-side="left"]').element_handle()
        contrast = page.evaluate(CONTRAST, label)
        assert contrast["ratio"] >= 3, f"{what}: token text is hard to read on its background: {contrast}"
    return {"layout": lay, "ink": ink, "contrast": contrast}


def set_theme(page: Any, theme: str, light: bool) -> None:
    page.evaluate("(t) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})", theme)
    page.wait_for_function(
        """([t, light]) => document.body.dataset.jpThemeName === t
             && document.body.dataset.jpThemeLight === String(light)""",
        arg=[theme, light],
        timeout=20_000,
    )
    # The theme's CSS variables are in effect once the layout colour flips.
    page.wait_for_function(
        """(light) => { const v = getComputedStyle(document.body).getPropertyValue('--jp-layout-color1').trim();
             const c = document.createElement('canvas').getContext('2d'); c.fillStyle = v;
             const h = c.fillStyle; if (!h.startsWith('#')) return false;
             const n = parseInt(h.slice(1), 16); const lum = ((n >> 16) + ((n >> 8) & 255) + (n & 255)) / 3;
             return light ? lum > 128 : lum < 128; }""",
        arg=light,
        timeout=20_000,
    )
    next_frames(page, 3)
