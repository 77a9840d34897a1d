"""A notebook saved with its widget state and reopened without a kernel, and an old output after a kernel
restart, in a real JupyterLab: the widget shows what was saved, and says what it cannot do and why."""

from __future__ import annotations

import json
import pathlib
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from lab_page import CANVAS_INK, WAIT_KERNEL_IDLE, PageLog, open_notebook, run_all, wait_attr, wait_drawn
from lab_server import SCREENSHOTS, JupyterServer, bundled_lens_source, write_code_notebook

pytestmark = pytest.mark.e2e

TEXT = "The cat sat on the mat. The cat sat on the"
SOURCE = bundled_lens_source(TEXT, "head,model,attribution")
WIDGETS_PLUGIN = "@jupyter-widgets/jupyterlab-manager:plugin"
NO_KERNEL = "this needs a running kernel"
KERNEL_GONE = "the kernel that made this widget is gone (restarted or shut down); run the cell again"
TOKEN = 5


def put_setting(server: JupyterServer, plugin: str, values: dict[str, Any]) -> None:
    """Write a user setting through JupyterLab's settings API (read by pages opened afterwards)."""
    body = json.dumps({"raw": json.dumps(values)}).encode()
    req = urllib.request.Request(f"{server.origin}/lab/api/settings/{plugin}", data=body, method="PUT")
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status in (200, 204), resp.status


@pytest.fixture(scope="module")
def context(browser: Any, jupyter_server: JupyterServer) -> Iterator[Any]:
    # Widget state is saved with the notebook only with this setting (off by default in JupyterLab);
    # set back afterwards so other tests' saves stay as they were.
    put_setting(jupyter_server, WIDGETS_PLUGIN, {"saveState": True})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(viewport={"width": 1400, "height": 1100}, device_scale_factor=1)
    try:
        yield ctx
    finally:
        ctx.close()
        put_setting(jupyter_server, WIDGETS_PLUGIN, {})


def open_run(context: Any, server: JupyterServer, name: str) -> tuple[Any, PageLog, Any]:
    write_code_notebook(server.root / name, SOURCE)
    page = context.new_page()
    page.set_default_timeout(30_000)
    log = PageLog(server.origin)
    log.attach(page)
    # A fresh workspace each: JupyterLab would otherwise reopen other tests' notebooks in hidden tabs.
    open_notebook(page, f"{server.origin}/lab/workspaces/{name.split('.')[0]}/tree/{name}?reset", log)
    run_all(page, log)
    root = page.locator(".attnlens").first
    wait_drawn(page, root)
    return page, log, root


def wait_state(page: Any, el: Any, state: str, timeout_ms: int = 60_000) -> None:
    try:
        page.wait_for_function(
            "([el, s]) => el.getAttribute('data-state') === s", arg=[el.element_handle(), state], timeout=timeout_ms
        )
    except Exception:
        pytest.fail(f"data-state stayed {el.get_attribute('data-state')!r}, not {state!r}: {el.text_content()!r}")


def attribution_values(view: Any) -> list[float]:
    values = view.locator("[data-position]").evaluate_all("els => els.map(e => e.dataset.value)")
    return [float(v) for v in values if v is not None]


def saved_widget_state(path: pathlib.Path) -> dict[str, Any]:
    """The Lens model's saved state in the notebook file (the one with ``_replies``)."""
    nb = json.loads(path.read_text())
    models = nb["metadata"].get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    lenses = [m["state"] for m in models.values() if "_replies" in m.get("state", {})]
    assert len(lenses) == 1, f"expected one saved Lens model in {path.name}, found {len(lenses)}"
    return lenses[0]  # type: ignore[no-any-return]


def save_until(page: Any, path: pathlib.Path, keys: set[str]) -> dict[str, Any]:
    """Save the notebook until its widget state holds ``keys`` (Python adds answers to ``_replies``
    after replying; the page's copy of the trait follows a moment later)."""
    state: dict[str, Any] = {}
    for _ in range(20):
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        state = saved_widget_state(path)
        if keys <= set(state["_replies"]):
            return state
        time.sleep(0.5)
    pytest.fail(f"the saved widget state has {sorted(state.get('_replies', {}))}, not all of {sorted(keys)}")


def test_saved_notebook_reopens_without_a_kernel_as_it_was(context: Any, jupyter_server: JupyterServer) -> None:
    name = "e2e_reopen.ipynb"
    page, log, root = open_run(context, jupyter_server, name)
    # The selection made in the page: a locked token, layer 1 (not seeded at display), an attribution.
    root.locator(f'[data-token-index="{TOKEN}"][data-side="left"]').click()
    wait_attr(page, root, "data-token", str(TOKEN))
    slider = root.locator('input[type=range][data-control="layer"]')
    slider.focus()
    slider.press("ArrowRight")
    wait_attr(page, root, "data-layer", "1")
    wait_drawn(page, root)
    view = root.locator(".al-attribution")
    wait_attr(page, view, "data-position", str(TOKEN))
    wait_state(page, view, "ready")
    shown = attribution_values(view)
    assert len(shown) > TOKEN
    keys = {"attention_rows:self:0:0:64:8", "attention_rows:self:1:0:64:8", "thumbnails:self",
            f"attention_row:self:1:query:{TOKEN}"}
    state = save_until(page, jupyter_server.root / name, keys)
    attribution_keys = [k for k in state["_replies"] if k.startswith("attribution:")]
    assert state["layer"] == 1 and state["token"] == TOKEN and attribution_keys, (state["layer"], state["token"])
    # Shut the kernel down: the output still on screen says so when asked for something new.
    kernel_id = page.evaluate(
        """async () => {
          const panel = window.jupyterapp.shell.currentWidget;
          const id = panel.sessionContext.session.kernel.id;
          await panel.sessionContext.shutdown();
          return id;
        }"""
    )
    view.locator('select[data-control="method"]').select_option("saliency")
    wait_state(page, view, "no-kernel", 15_000)
    assert KERNEL_GONE in (view.locator(".al-status").first.text_content() or "")
    # Close it and open it again. JupyterLab starts a new kernel: ipywidgets draws saved widgets only
    # with a kernel (jupyter-widgets/ipywidgets#3773: with "No Kernel" no widget manager is made and
    # every widget output stays "Loading widget..."). The new kernel has not run the cell.
    reopened = page.evaluate(
        """async (path) => {
          const app = window.jupyterapp;
          const old = app.shell.currentWidget;
          old.context.model.dirty = false;
          old.dispose();
          const w = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
          await w.context.ready;
          await w.sessionContext.ready;
          return w.context.path;
        }""",
        name,
    )
    assert reopened == name
    page.wait_for_function(WAIT_KERNEL_IDLE, timeout=90_000, polling=200)
    new_kernel = page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.id")
    assert new_kernel != kernel_id and kernel_id not in [k["id"] for k in jupyter_server.api("/api/kernels")]
    counts = page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.content.widgets.map(c => c.model.executionCount)"
    )
    assert counts == [1], counts  # the cell's saved output, not run again
    root = page.locator(".attnlens").first
    try:
        root.wait_for(state="visible", timeout=30_000)
    except Exception as err:
        page.screenshot(path=str(SCREENSHOTS / "lab-reopened-failed.png"), full_page=True)
        outputs = page.evaluate(
            "() => Array.from(document.querySelectorAll('.jp-OutputArea-output'))"
            ".map(o => o.className + ': ' + o.innerHTML.slice(0, 400))"
        )
        errors = [*log.console_errors[-8:], *log.page_errors[-4:]]
        pytest.fail(f"the reopened notebook shows no widget: {err}\noutputs: {outputs}\nerrors: {errors}")
    # As it was: the same selection, layer 1's attention drawn, the model view and the attribution.
    wait_attr(page, root, "data-layer", "1")
    wait_attr(page, root, "data-token", str(TOKEN))
    wait_drawn(page, root)
    wait_attr(page, root, "data-drawn-layer", "1")
    ink = page.evaluate(CANVAS_INK, root.locator("canvas.al-lines").element_handle())
    assert ink["ink"] > 0 and ink["colors"] >= 2, ink
    wait_state(page, root.locator(".al-model .al-status").first, "ready")
    view = root.locator(".al-attribution")
    wait_state(page, view, "ready")
    assert attribution_values(view) == pytest.approx(shown, rel=1e-6, abs=1e-9)
    page.screenshot(path=str(SCREENSHOTS / "lab-reopened-no-kernel.png"), full_page=True)
    # Something that was not saved: the widget says it needs a running kernel (after the 5 s wait).
    view.locator('select[data-control="method"]').select_option("lime")
    wait_state(page, view, "no-kernel", 15_000)
    status = view.locator(".al-status").first.text_content() or ""
    assert NO_KERNEL in status and "LIME" in status, status
    page.screenshot(path=str(SCREENSHOTS / "lab-reopened-needs-kernel.png"), full_page=True)
    # ipywidgets logs the one trait sync tried on the shut-down kernel's comm (before the widget knew).
    log.console_errors[:] = [e for e in log.console_errors if not e.startswith("Could not send widget sync message")]
    log.assert_clean()
    page.close()


def test_old_output_after_a_kernel_restart_says_the_kernel_is_gone(context: Any, jupyter_server: JupyterServer) -> None:
    page, log, root = open_run(context, jupyter_server, "e2e_restart.ipynb")
    view = root.locator(".al-attribution")
    wait_state(page, view, "ready")
    page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart()")
    page.wait_for_function(WAIT_KERNEL_IDLE, timeout=60_000, polling=200)
    # The old output is still there, drawn from what it holds.
    assert root.is_visible() and root.get_attribute("data-drawn-layer") == "0"
    # Something it does not hold (both layers' rows were fetched or prefetched, the heatmap's overview
    # was not): the head view says the kernel is gone (not "loading", not a timeout).
    root.locator('[data-control="mode"]').click()
    wait_attr(page, root, "data-mode", "heatmap")
    head_status = root.locator(".al-head > .al-status")
    wait_state(page, head_status, "no-kernel", 15_000)
    text = head_status.text_content() or ""
    assert KERNEL_GONE in text and NO_KERNEL not in text, text
    # Another attribution method: the same.
    view.locator('select[data-control="method"]').select_option("saliency")
    wait_state(page, view, "no-kernel", 15_000)
    text = view.locator(".al-status").first.text_content() or ""
    assert KERNEL_GONE in text, text
    page.screenshot(path=str(SCREENSHOTS / "lab-kernel-restarted.png"), full_page=True)
    log.assert_clean()
    page.close()
