"""Checks shared by the tests of the other notebook hosts (VS Code's widget manager, marimo, Voilà).

The JupyterLab tests drive the page through ``window.jupyterapp``; these hosts have no such handle, so
the scenario here is written against the widget's DOM contract only (see /work/shared/DESIGN.md,
"Front-end contract") plus a host-specific way to ask Python what it sees.
"""

from __future__ import annotations

import os
import signal
import subprocess
import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest
from lab_page import CANVAS_INK, check_render, drag_slider, next_frames, wait_attr, wait_drawn

TOKEN = 3  # the token label clicked
SLIDER_LAYER = 2  # the layer the slider is dragged to: not in the first payload (layer 0)


def guard_network(context: Any) -> list[str]:
    """Abort every request of ``context`` that would leave the machine, and return the list it records them in.

    A route sees each request before it is sent (websockets are not routed: PageLog checks those)."""
    foreign: list[str] = []

    def handle(route: Any) -> None:
        url = route.request.url
        parts = urllib.parse.urlsplit(url)
        if parts.scheme in ("data", "blob") or parts.hostname in ("127.0.0.1", "localhost", "::1"):
            route.continue_()
        else:
            foreign.append(url)
            route.abort()

    context.route("**/*", handle)
    return foreign


FITS = """(root) => {
  const r = root.getBoundingClientRect();
  const parent = (root.parentElement || root.getRootNode().host).getBoundingClientRect();
  const bars = Array.from(root.querySelectorAll('.al-controls, .al-header')).map(e => ({
    cls: e.className, scrollWidth: e.scrollWidth, clientWidth: e.clientWidth,
    right: e.getBoundingClientRect().right}));
  const page = document.scrollingElement || document.documentElement;
  return {root: {w: r.width, left: r.left, right: r.right,
                scrollWidth: root.scrollWidth, clientWidth: root.clientWidth},
          parent: {w: parent.width, right: parent.right}, bars,
          pageScrollWidth: page.scrollWidth, pageClientWidth: page.clientWidth};
}"""


def check_fits(page: Any, root: Any, what: str) -> dict[str, Any]:
    """The widget fits the host's output width: no horizontal scrolling of its controls, nothing past the
    output's right edge."""
    fit = page.evaluate(FITS, root.element_handle())
    assert fit["bars"], f"{what}: no controls bar (.al-controls) found in the widget"
    for bar in fit["bars"]:
        assert bar["scrollWidth"] <= bar["clientWidth"], f"{what}: the controls bar scrolls sideways: {bar}"
        assert bar["right"] <= fit["root"]["right"] + 0.5, f"{what}: a controls bar sticks out of the widget: {bar}"
    assert fit["root"]["right"] <= fit["parent"]["right"] + 0.5, f"{what}: the widget is wider than its output: {fit}"
    return fit


def check_drawn(page: Any, root: Any, what: str) -> dict[str, Any]:
    """Root, token labels, a canvas with ink (pixels read back), readable text."""
    assert "attnlens" in (root.get_attribute("class") or "").split()
    return check_render(page, root, what)


def click_and_slide(page: Any, root: Any) -> None:
    """Click a token label, drag the layer slider to a layer the kernel must send, wait until it is drawn."""
    label = root.locator(f'[data-token-index="{TOKEN}"][data-side="left"]')
    label.click()
    wait_attr(page, root, "data-token", str(TOKEN))
    slider = root.locator('input[type=range][data-control="layer"]')
    drag_slider(page, slider, SLIDER_LAYER)
    wait_attr(page, root, "data-layer", str(SLIDER_LAYER))
    wait_kernel_layer(page, root, SLIDER_LAYER)


def wait_kernel_layer(page: Any, root: Any, layer: int, timeout_ms: int = 60_000) -> None:
    """Wait until ``layer`` (asked of the kernel) is drawn: the root's data-drawn-layer and a canvas with ink."""
    try:
        page.wait_for_function(
            "([root, layer]) => root.getAttribute('data-drawn-layer') === String(layer)",
            arg=[root.element_handle(), layer],
            timeout=timeout_ms,
            polling=100,
        )
    except Exception:
        status = root.locator(".al-status").first.text_content()
        pytest.fail(
            f"layer {layer} was not drawn (data-drawn-layer {root.get_attribute('data-drawn-layer')!r}, "
            f"status {status!r}): did the kernel's reply arrive?"
        )
    wait_drawn(page, root)
    next_frames(page, 2)
    ink = page.evaluate(CANVAS_INK, root.locator("canvas.al-lines, canvas.al-heat").first.element_handle())
    assert ink["ink"] > 0 and ink["colors"] >= 2, f"layer {layer} from the kernel drew a blank canvas: {ink}"


def canvas_pixels(page: Any, root: Any) -> str:
    """A digest of the head view's canvas pixels (to tell two drawn layers apart)."""
    return str(
        page.evaluate(
            """(c) => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                 let h = 0; for (let i = 0; i < d.length; i += 7) h = (h * 31 + d[i]) >>> 0; return h; }""",
            root.locator("canvas.al-lines, canvas.al-heat").first.element_handle(),
        )
    )


def expect_python(read: Callable[[], str], expected: str, what: str, tries: int = 40) -> str:
    """Poll a host-specific reader of the kernel's state until it shows ``expected``."""
    import time

    last = ""
    for _ in range(tries):
        last = read()
        if last.strip() == expected:
            return last
        time.sleep(0.5)
    pytest.fail(f"{what}: Python saw {last!r}, expected {expected!r}")


def stop_server(proc: subprocess.Popen[Any]) -> None:
    """End a host's server and its process group (SIGTERM, then SIGKILL after 15 s)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
