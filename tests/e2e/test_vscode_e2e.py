"""attnlens under VS Code's own widget manager (@vscode/jupyter-ipywidgets8 from npm) with a real kernel.

tests/e2e/vscode/ builds a page (served by the test's Jupyter server on 127.0.0.1) that hosts widgets as
the VS Code Jupyter extension's notebook webview does: the unmodified bundle, a kernel proxy in front of
one real kernel socket, anywidget's module loaded through require.js from the kernel environment's
nbextensions folder, VS Code's theme variables on the page. What it does not cover is in docs/hosts.md.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
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
    guard_network,
    wait_kernel_layer,
)
from lab_page import PageLog, check_render, next_frames
from lab_server import REPO, SCREENSHOTS, TEXT, JupyterServer, model_choice, start_server

pytestmark = pytest.mark.e2e

HARNESS = REPO / "tests" / "e2e" / "vscode"
OUTPUT_WIDTH = 640  # VS Code's notebook output column in a laptop-sized window
PY_LAYER = 4
# VS Code's editor background in the harness's Light Modern / Dark Modern themes (tests/e2e/vscode/harness.ts).
EDITOR_BG = {"light": [255, 255, 255], "dark": [31, 31, 31]}


def _anywidget_nbextension() -> pathlib.Path:
    """The folder VS Code loads anywidget's front end from: share/jupyter/nbextensions/anywidget of the
    kernel's environment (its "local" widget source)."""
    from jupyter_core.paths import jupyter_path

    for base in jupyter_path("nbextensions"):
        if (pathlib.Path(base) / "anywidget" / "index.js").is_file():
            return pathlib.Path(base) / "anywidget"
    pytest.fail(f"anywidget's nbextension (index.js) is in none of {jupyter_path('nbextensions')}")


def _build_harness(static_root: pathlib.Path) -> None:
    if not (HARNESS / "node_modules" / "@vscode" / "jupyter-ipywidgets8").is_dir():
        pytest.fail(f"the VS Code harness needs its npm packages: run `npm ci` in {HARNESS} (see .ci/run)")
    built = subprocess.run(["node", "build.mjs"], cwd=HARNESS, capture_output=True, text=True, check=False)
    if built.returncode != 0:
        pytest.fail(f"building the VS Code harness failed:\n{built.stdout}\n{built.stderr}")
    dest = static_root / "vscode-harness"
    shutil.copytree(HARNESS / "dist", dest)
    shutil.copytree(_anywidget_nbextension(), dest / "nbextensions" / "anywidget")


@pytest.fixture(scope="module")
def vscode_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    base = tmp_path_factory.mktemp("vscode")
    static_root = base / "static"
    _build_harness(static_root)
    (base / "config").mkdir()
    config = {"ServerApp": {"extra_static_paths": [str(static_root)]}}  # the harness page, same origin
    (base / "config" / "jupyter_server_config.json").write_text(json.dumps(config))
    server = start_server(base)
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Harness:
    page: Any
    log: PageLog
    foreign: list[str]
    root: Any

    def run(self, code: str) -> str:
        result = self.page.evaluate("(code) => window.harness.run(code)", code)
        assert not result["errors"], f"the cell raised: {result['errors']}"
        return str(result["text"])


@pytest.fixture(scope="module")
def vsc(browser: Any, vscode_server: JupyterServer) -> Iterator[Harness]:
    kernel = vscode_server.api("/api/kernels", method="POST")
    context = browser.new_context(viewport={"width": 1000, "height": 900}, device_scale_factor=1)
    foreign = guard_network(context)
    page = context.new_page()
    page.set_default_timeout(60_000)
    log = PageLog(vscode_server.origin)
    log.attach(page)
    try:
        page.goto(f"{vscode_server.origin}/static/vscode-harness/index.html?kernel={kernel['id']}&theme=light")
        page.evaluate(f"() => document.documentElement.style.setProperty('--harness-output-width', '{OUTPUT_WIDTH}px')")
        page.evaluate("() => window.harness.ready")
        load_code, _ = model_choice()
        out = Harness(page, log, foreign, page.locator(".attnlens").first).run(
            f"import os\nos.environ['HF_HUB_OFFLINE'] = '1'\nimport attnlens as al\n{load_code}\n"
            f"tr = al.trace(model, tok, {TEXT!r})\nlens = al.Lens(tr)\nlens"
        )
        assert "Traceback" not in out, out
        root = page.locator(".attnlens").first
        root.wait_for(state="visible", timeout=60_000)
        wait_kernel_layer(page, root, 0)
        yield Harness(page, log, foreign, root)
    finally:
        context.close()


def test_vscode_renders_and_fits_the_output(vsc: Harness) -> None:
    page, root = vsc.page, vsc.root
    # The situation VS Code creates: JupyterLab's light-theme variables on :root, from the manager bundle.
    jp_bg = page.evaluate("() => getComputedStyle(document.documentElement).getPropertyValue('--jp-layout-color1')")
    assert jp_bg.strip(), "the VS Code widget manager did not set JupyterLab's variables (is the bundle loaded?)"
    assert root.locator("xpath=..").evaluate("e => !!e.closest('.cell-output-ipywidget-background')")
    assert page.locator(".attnlens").count() == 1, "the cell's one widget output was drawn more than once"
    check_drawn(page, root, "VS Code harness")
    fit = check_fits(page, root, "VS Code harness")
    assert fit["parent"]["w"] <= OUTPUT_WIDTH, fit
    assert fit["pageScrollWidth"] <= fit["pageClientWidth"], f"the page scrolls sideways: {fit}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(1, 1)
    page.screenshot(path=str(SCREENSHOTS / "vscode-light-page.png"))


def test_vscode_click_and_slider_reach_python(vsc: Harness) -> None:
    page, root = vsc.page, vsc.root
    before = canvas_pixels(page, root)
    click_and_slide(page, root)
    assert canvas_pixels(page, root) != before, "the layer from the kernel drew the same pixels as layer 0"
    assert vsc.run("print(lens.token, lens.layer)").strip() == f"{TOKEN} {SLIDER_LAYER}"


def test_vscode_python_to_page(vsc: Harness) -> None:
    vsc.run(f"lens.layer = {PY_LAYER}")
    wait_kernel_layer(vsc.page, vsc.root, PY_LAYER)
    assert vsc.root.locator('input[type=range][data-control="layer"]').input_value() == str(PY_LAYER)


BG = """(root) => getComputedStyle(root).backgroundColor.match(/[\\d.]+/g).slice(0, 3).map(Number)"""


def test_vscode_theme_light_and_dark(vsc: Harness) -> None:
    """VS Code's theme wins over the JupyterLab light variables the manager put on :root; canvases follow."""
    page, root = vsc.page, vsc.root
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(1, 1)
    report = {}
    try:
        for kind in ("dark", "light"):
            page.evaluate("(k) => window.harness.setTheme(k)", kind)
            next_frames(page, 3)
            assert page.evaluate(BG, root.element_handle()) == EDITOR_BG[kind], f"{kind}: widget background"
            report[kind] = check_render(page, root, f"VS Code {kind}")
            root.scroll_into_view_if_needed()
            root.screenshot(path=str(SCREENSHOTS / f"vscode-{kind}.png"))
        dark_ink, light_ink = report["dark"]["ink"], report["light"]["ink"]
        assert report["dark"]["contrast"]["bg"][:3] == EDITOR_BG["dark"], report["dark"]["contrast"]
        assert dark_ink["ink"] > 0 and light_ink["ink"] > 0
    finally:
        (SCREENSHOTS / "vscode-render-report.json").write_text(json.dumps(report, indent=1, default=str))
        page.evaluate("() => window.harness.setTheme('light')")


def test_vscode_nothing_leaves_localhost(vsc: Harness) -> None:
    assert vsc.log.requests, "no request was recorded (is the recorder attached?)"
    assert not vsc.foreign, f"requests tried to leave the machine: {vsc.foreign}"
    vsc.log.assert_clean()
