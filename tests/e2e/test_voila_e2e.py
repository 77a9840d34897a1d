"""attnlens in Voilà (a notebook served as an app), driven by headless Chromium.

The notebook displays the Lens and an ipywidgets Label; an observer on ``token``/``layer`` writes what
Python sees into the Label, which the test reads in the page.
"""

from __future__ import annotations

import os
import pathlib
import socket
import subprocess
import sys
import time
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
from lab_server import SCREENSHOTS, SRC, TEXT, free_port, model_choice, write_code_notebook

pytestmark = pytest.mark.e2e

SEEN = "python-sees: "
# Voilà's own "lab" template links Font Awesome from a CDN (share/jupyter/voila/templates/lab/index.html.j2).
# Those two requests are the host's, not the widget's: the route blocks them and the widget renders anyway.
VOILA_TEMPLATE_CDN = (
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@%5E5/css/all.min.css",
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@%5E5/css/v4-shims.min.css",
)


def notebook_source() -> str:
    load_code, _ = model_choice()
    return (
        "import os\n"
        "os.environ['HF_HUB_OFFLINE'] = '1'\n"
        "import ipywidgets as widgets\n"
        "from IPython.display import display\n"
        "import attnlens as al\n"
        f"{load_code}\n"
        f"tr = al.trace(model, tok, {TEXT!r})\n"
        "lens = al.Lens(tr)\n"
        f"seen = widgets.Label({SEEN!r} + 'nothing yet')\n"
        f"show = lambda _c: setattr(seen, 'value', f'{SEEN}{{lens.token}} {{lens.layer}}')\n"
        "lens.observe(show, names=['token', 'layer'])\n"
        "display(lens, seen)"
    )


@dataclass
class VoilaApp:
    proc: subprocess.Popen[bytes]
    origin: str
    log_path: pathlib.Path

    def log_tail(self) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-40:])


@pytest.fixture(scope="module")
def voila_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VoilaApp]:
    base = tmp_path_factory.mktemp("voila")
    write_code_notebook(base / "lens_app.ipynb", notebook_source())
    dirs = {name: base / name for name in ("runtime", "config", "data")}
    for d in dirs.values():
        d.mkdir()
    port = free_port()
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", JUPYTER_PLATFORM_DIRS="1",
               JUPYTER_RUNTIME_DIR=str(dirs["runtime"]), JUPYTER_CONFIG_DIR=str(dirs["config"]))  # fmt: skip
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])])
    cmd = [sys.executable, "-m", "voila", "lens_app.ipynb", "--no-browser", f"--port={port}",
           "--Voila.ip=127.0.0.1", "--Voila.port_retries=0"]  # fmt: skip
    log_path = base / "voila.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=base, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    app = VoilaApp(proc, f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"Voilà exited with {proc.returncode}:\n{app.log_tail()}")
            try:  # the port is open (GET / would already run the notebook)
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"Voilà did not answer within 60 s:\n{app.log_tail()}")
            time.sleep(0.25)
        yield app
    finally:
        stop_server(proc)


@dataclass
class Page:
    page: Any
    log: PageLog
    foreign: list[str]
    root: Any

    def seen(self) -> str:
        texts = self.page.get_by_text(SEEN).all_text_contents()
        return texts[0].split(SEEN, 1)[1] if texts else ""


@pytest.fixture(scope="module")
def voila_page(browser: Any, voila_app: VoilaApp) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, device_scale_factor=1)
    foreign = guard_network(context)
    page = context.new_page()
    page.set_default_timeout(60_000)
    log = PageLog(voila_app.origin)
    log.attach(page)
    try:
        page.goto(voila_app.origin + "/", timeout=120_000)  # Voilà runs the notebook before it answers
        root = page.locator(".attnlens").first
        try:
            root.wait_for(state="visible", timeout=120_000)
        except Exception as err:
            pytest.fail(f"Voilà did not show the widget: {err}\n{voila_app.log_tail()}")
        wait_kernel_layer(page, root, 0)
        yield Page(page, log, foreign, root)
    finally:
        context.close()


def test_voila_renders_and_fits(voila_page: Page) -> None:
    page, root = voila_page.page, voila_page.root
    check_drawn(page, root, "Voilà")
    fit = check_fits(page, root, "Voilà")
    assert fit["pageScrollWidth"] <= fit["pageClientWidth"], f"the page scrolls sideways: {fit}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(1, 1)
    next_frames(page, 2)
    page.screenshot(path=str(SCREENSHOTS / "voila-page.png"))


def test_voila_click_and_slider_reach_an_observer(voila_page: Page) -> None:
    page, root = voila_page.page, voila_page.root
    assert voila_page.seen() == "nothing yet"
    before = canvas_pixels(page, root)
    click_and_slide(page, root)  # layer 2 is not in the first payload: the kernel's reply is drawn
    assert canvas_pixels(page, root) != before, "the layer from the kernel drew the same pixels as layer 0"
    expect_python(voila_page.seen, f"{TOKEN} {SLIDER_LAYER}", "Voilà observer")


def test_voila_nothing_leaves_localhost(voila_page: Page) -> None:
    assert voila_page.log.requests, "no request was recorded (is the recorder attached?)"
    ours = [u for u in voila_page.foreign + voila_page.log.foreign_requests() if u not in VOILA_TEMPLATE_CDN]
    assert not ours, f"requests tried to leave the machine: {ours}"
    errs = voila_page.log.widget_errors()
    assert not errs, f"the widget logged errors in the page: {errs}"
