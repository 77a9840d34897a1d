"""attnlens in marimo, as an app (`marimo run`), driven by headless Chromium.

One notebook shows two independent widgets: one wrapped with ``mo.ui.anywidget`` (a downstream cell
renders ``wrapped.value``, so it re-runs when the page changes a trait) and one Lens displayed directly
(a trait observer sets ``mo.state``, which re-runs the cell that reads it). The test clicks and drags in
the page and reads the downstream cells' text: that is Python's view of the selection.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from host_checks import (
    SLIDER_LAYER,
    TOKEN,
    canvas_pixels,
    check_drawn,
    check_fits,
    click_and_slide,
    expect_python,
    guard_network,
    stop_server,
    wait_kernel_layer,
)
from lab_page import PageLog, next_frames
from lab_server import SCREENSHOTS, SRC, TEXT, free_port, model_choice

pytestmark = pytest.mark.e2e


def notebook_source() -> str:
    load_code, _ = model_choice()
    setup = "\n".join(
        "    " + line
        for line in (
            "import os",
            "os.environ['HF_HUB_OFFLINE'] = '1'",
            "import marimo as mo",
            "import attnlens as al",
            *load_code.splitlines(),
            f"tr = al.trace(model, tok, {TEXT!r})",
            "wrapped = mo.ui.anywidget(al.Lens(tr))",
            "direct = al.Lens(tr)",
            "get_seen, set_seen = mo.state('none')",
            "direct.observe(lambda _c: set_seen(f'{direct.token} {direct.layer}'), names=['token', 'layer'])",
        )
    )
    return f"""import marimo

app = marimo.App(width="full")


@app.cell
def _():
{setup}
    return direct, get_seen, mo, wrapped


@app.cell
def _(wrapped):
    wrapped
    return


@app.cell
def _(mo, wrapped):
    mo.md(f"wrapped-sees: {{wrapped.value['token']}} {{wrapped.value['layer']}}")
    return


@app.cell
def _(direct):
    direct
    return


@app.cell
def _(get_seen, mo):
    mo.md(f"direct-sees: {{get_seen()}}")
    return
"""


@dataclass
class MarimoApp:
    proc: subprocess.Popen[bytes]
    origin: str
    log_path: pathlib.Path

    def log_tail(self) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-40:])


@pytest.fixture(scope="module")
def marimo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MarimoApp]:
    base = tmp_path_factory.mktemp("marimo")
    nb = base / "lens_app.py"
    nb.write_text(notebook_source())
    port = free_port()
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", MARIMO_SKIP_UPDATE_CHECK="1")
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])])
    cmd = [sys.executable, "-m", "marimo", "run", str(nb), "--host", "127.0.0.1", "--port", str(port),
           "--headless", "--no-token", "--no-sandbox"]  # fmt: skip
    log_path = base / "marimo.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=base, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    app = MarimoApp(proc, f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"marimo exited with {proc.returncode}:\n{app.log_tail()}")
            try:
                with urllib.request.urlopen(app.origin + "/", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"marimo did not answer within 60 s:\n{app.log_tail()}")
            time.sleep(0.25)
        yield app
    finally:
        stop_server(proc)


@dataclass
class Page:
    page: Any
    log: PageLog
    foreign: list[str]

    def seen(self, prefix: str) -> str:
        """The text of the downstream cell that starts with ``prefix`` (what Python sees)."""
        texts = self.page.get_by_text(prefix).all_text_contents()
        return texts[0].split(prefix, 1)[1] if texts else ""


@pytest.fixture(scope="module")
def mo_page(browser: Any, marimo_app: MarimoApp) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, device_scale_factor=1)
    foreign = guard_network(context)
    page = context.new_page()
    page.set_default_timeout(60_000)
    log = PageLog(marimo_app.origin)
    log.attach(page)
    try:
        page.goto(marimo_app.origin + "/")
        try:
            page.locator(".attnlens").nth(1).wait_for(state="visible", timeout=120_000)
        except Exception as err:
            pytest.fail(f"marimo did not show the two widgets: {err}\n{marimo_app.log_tail()}")
        for i in range(2):
            wait_kernel_layer(page, page.locator(".attnlens").nth(i), 0)
        yield Page(page, log, foreign)
    finally:
        context.close()


@pytest.mark.parametrize(("which", "index"), [("wrapped", 0), ("direct", 1)])
def test_marimo_renders_and_fits_full_width(mo_page: Page, which: str, index: int) -> None:
    page = mo_page.page
    root = page.locator(".attnlens").nth(index)
    root.scroll_into_view_if_needed()
    check_drawn(page, root, f"marimo, {which}")
    fit = check_fits(page, root, f"marimo, {which}")
    # marimo's full-width cells: the widget takes the width it is given.
    assert fit["root"]["w"] >= 0.9 * fit["parent"]["w"], fit
    assert fit["pageScrollWidth"] <= fit["pageClientWidth"], f"the page scrolls sideways: {fit}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(1, 1)
    next_frames(page, 2)
    root.screenshot(path=str(SCREENSHOTS / f"marimo-{which}.png"))


@pytest.mark.parametrize(("which", "index"), [("wrapped", 0), ("direct", 1)])
def test_marimo_click_and_slider_reach_python(mo_page: Page, which: str, index: int) -> None:
    page = mo_page.page
    root = page.locator(".attnlens").nth(index)
    root.scroll_into_view_if_needed()
    assert mo_page.seen(f"{which}-sees: ").strip() in ("None 0", "none")
    other = page.locator(".attnlens").nth(1 - index)
    other_state = (other.get_attribute("data-layer"), other.get_attribute("data-token"))
    before = canvas_pixels(page, root)
    click_and_slide(page, root)  # layer 2 is not in the first payload: the kernel's reply is drawn
    assert canvas_pixels(page, root) != before, "the layer from the kernel drew the same pixels as layer 0"
    expect_python(lambda: mo_page.seen(f"{which}-sees: "), f"{TOKEN} {SLIDER_LAYER}", f"marimo, {which}")
    other_now = (other.get_attribute("data-layer"), other.get_attribute("data-token"))
    assert other_now == other_state, "the other widget on the page moved too"


def test_marimo_nothing_leaves_localhost(mo_page: Page) -> None:
    assert mo_page.log.requests, "no request was recorded (is the recorder attached?)"
    assert not mo_page.foreign, f"requests tried to leave the machine: {mo_page.foreign}"
    mo_page.log.assert_clean()
