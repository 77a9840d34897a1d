"""attnlens in a real JupyterLab and Notebook 7, driven by headless Chromium.

One server and one browser for the run; one notebook (and kernel) per front end. Selection changes travel
page → Python (click a token, move the layer slider, then a NEW cell prints the traits: messages from the
page reach the kernel only between executions) and Python → page (a cell sets ``lens.layer``).
Screenshots of the light and dark themes go to artifacts/screenshots/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from lab_page import (
    CANVAS_INK,
    PageLog,
    check_render,
    drag_slider,
    next_frames,
    open_notebook,
    run_all,
    run_new_cell,
    set_theme,
    wait_attr,
    wait_drawn,
)
from lab_server import SCREENSHOTS, JupyterServer, model_choice, write_notebook

pytestmark = pytest.mark.e2e

N_LAYERS = model_choice()[1]
assert N_LAYERS >= 3, f"the e2e scenario needs a model with at least 3 layers, not {N_LAYERS}"
SLIDER_LAYER = 2  # page → Python
PY_LAYER = 4 if N_LAYERS > 4 else (N_LAYERS - 1 if N_LAYERS - 1 != SLIDER_LAYER else 0)  # Python → page
TOKEN = 3


@dataclass
class Session:
    page: Any
    log: PageLog
    root: Any  # locator of the widget root


def _open(browser: Any, server: JupyterServer, name: str, url_path: str) -> Iterator[Session]:
    write_notebook(server.root / name)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(30_000)
    log = PageLog(server.origin)
    log.attach(page)
    try:
        open_notebook(page, f"{server.origin}{url_path}{name}", log)
        run_all(page, log)
        root = page.locator(".attnlens").first
        wait_drawn(page, root)
        yield Session(page, log, root)
    finally:
        context.close()


@pytest.fixture(scope="module")
def lab(browser: Any, jupyter_server: JupyterServer) -> Iterator[Session]:
    yield from _open(browser, jupyter_server, "e2e_lab.ipynb", "/lab/tree/")


@pytest.fixture(scope="module")
def nb7(browser: Any, jupyter_server: JupyterServer) -> Iterator[Session]:
    yield from _open(browser, jupyter_server, "e2e_nb7.ipynb", "/notebooks/")


# ---- shared scenario ----------------------------------------------------------------------------------
def page_to_python(s: Session) -> None:
    page, root = s.page, s.root
    assert root.get_attribute("data-token") == ""
    assert root.get_attribute("data-layer") == "0"

    # Click a token label in the left ("from") column: it locks that token.
    label = root.locator(f'[data-token-index="{TOKEN}"][data-side="left"]')
    label.click()
    wait_attr(page, root, "data-token", str(TOKEN))
    assert label.get_attribute("aria-pressed") == "true"

    # Drag the layer slider with the mouse, as a user would.
    slider = root.locator('input[type=range][data-control="layer"]')
    drag_slider(page, slider, SLIDER_LAYER)
    wait_attr(page, root, "data-layer", str(SLIDER_LAYER))
    assert slider.input_value() == str(SLIDER_LAYER)
    wait_drawn(page, root)  # the layer came from the kernel on request and was drawn

    # A new cell, run after the clicks, sees the page's selection.
    out = run_new_cell(page, "print(lens.token, lens.layer)", s.log)
    assert out.strip() == f"{TOKEN} {SLIDER_LAYER}", out


def python_to_page(s: Session) -> None:
    page, root = s.page, s.root
    run_new_cell(page, f"lens.layer = {PY_LAYER}", s.log)
    wait_attr(page, root, "data-layer", str(PY_LAYER))
    slider = root.locator('input[type=range][data-control="layer"]')
    assert slider.input_value() == str(PY_LAYER)
    wait_drawn(page, root)
    status = root.locator(".al-head .al-status").text_content() or ""
    assert "loading" not in status.lower(), status
    ink = page.evaluate(CANVAS_INK, root.locator("canvas.al-lines").element_handle())
    assert ink["ink"] > 0, f"the lines canvas is blank after lens.layer = {PY_LAYER}: {ink}"

    # Heads and token from Python as well.
    run_new_cell(page, "lens.heads = [0, 2]; lens.token = None", s.log)
    wait_attr(page, root, "data-heads", "0,2")
    wait_attr(page, root, "data-token", "")
    pressed = root.locator('[data-control="head"][aria-pressed="true"]')
    assert sorted(int(h) for h in pressed.evaluate_all("els => els.map(e => e.dataset.head)")) == [0, 2]
    out = run_new_cell(page, "lens.heads = list(range(tr.n_heads)); print(*lens.heads, sep=',')", s.log)
    wait_attr(page, root, "data-heads", out.strip())


def keys_stay_in_widget(s: Session) -> None:
    """Keys typed in the widget drive its controls and never reach the notebook's shortcuts."""
    page, root = s.page, s.root
    n_cells = "() => window.jupyterapp.shell.currentWidget.content.widgets.length"
    cells_before = page.evaluate(n_cells)
    ids_before = page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.content.model.sharedModel.cells.map(c => c.getId())"
    )
    slider = root.locator('input[type=range][data-control="layer"]')
    before = int(slider.input_value())
    target = before + 1 if before + 1 < N_LAYERS else before - 1
    slider.focus()
    slider.press("ArrowRight" if target > before else "ArrowLeft")
    problems = []
    if root.get_attribute("data-layer") != str(target):
        problems.append(
            f"ArrowRight/Left on the focused layer slider left data-layer at {root.get_attribute('data-layer')!r} "
            f"(expected {target}): JupyterLab's notebook shortcut took the key"
        )
    # A focused token label: 'b' is "insert cell below" in the notebook's command mode.
    root.locator('[data-token-index="1"][data-side="left"]').focus()
    page.keyboard.press("b")
    after = page.evaluate(n_cells)
    if after != cells_before:
        problems.append(f"pressing 'b' on a focused token label changed the notebook: {cells_before} -> {after} cells")
        # Put the notebook back as it was: delete the cells the key added (ids not seen before).
        page.evaluate(
            """(ids) => { const nb = window.jupyterapp.shell.currentWidget.content;
                 const shared = nb.model.sharedModel;
                 for (let i = shared.cells.length - 1; i >= 0; i--)
                   if (!ids.includes(shared.cells[i].getId())) shared.deleteCell(i); }""",
            ids_before,
        )
    assert not problems, "; ".join(problems)


# ---- JupyterLab ---------------------------------------------------------------------------------------
def test_lab_page_to_python(lab: Session) -> None:
    page_to_python(lab)
    lab.log.assert_clean()


def test_lab_python_to_page(lab: Session) -> None:
    python_to_page(lab)
    lab.log.assert_clean()


def test_lab_keys_stay_in_widget(lab: Session) -> None:
    keys_stay_in_widget(lab)


def test_lab_linked_views(lab: Session) -> None:
    """A click in the model view moves every view and Python; a click on an MLP neuron sets lens.neuron."""
    page, root = lab.page, lab.root
    run_new_cell(page, 'lens.view = "head,model,mlp"; lens.token = 4', lab.log)
    wait_attr(page, root, "data-view", "head,model,mlp")
    cell = root.locator('[data-layer="3"][data-head="5"]')
    cell.wait_for()
    cell.click()
    wait_attr(page, root, "data-layer", "3")
    wait_attr(page, root, "data-heads", "5")
    # the other views followed in the page, with no kernel round trip needed
    assert root.locator('input[type=range][data-control="layer"]').input_value() == "3"
    pressed = root.locator('[data-control="head"][aria-pressed="true"]')
    assert pressed.evaluate_all("els => els.map(e => e.dataset.head)") == ["5"]
    neuron = root.locator('[data-control="neuron"]').first
    neuron.wait_for()
    chosen = neuron.get_attribute("data-neuron")
    neuron.click()
    wait_attr(page, root, "data-neuron", str(chosen))
    out = run_new_cell(page, "print(lens.layer, *lens.heads, lens.neuron, lens.view)", lab.log)
    assert out.strip() == f"3 5 {chosen} head,model,mlp", out
    lab.log.assert_clean()
    run_new_cell(page, 'lens.view = "head"; lens.heads = list(range(tr.n_heads))', lab.log)
    wait_attr(page, root, "data-view", "head")


def test_lab_screenshots_light_dark(lab: Session) -> None:
    """The head view in JupyterLab Light and Dark, lines and heatmap; saved to artifacts/screenshots/."""
    page, root = lab.page, lab.root
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    run_new_cell(page, f"lens.token = None; lens.mode = 'lines'; lens.layer = {SLIDER_LAYER}", lab.log)
    wait_attr(page, root, "data-layer", str(SLIDER_LAYER))
    wait_attr(page, root, "data-mode", "lines")
    wait_drawn(page, root)
    page.mouse.move(1, 1)  # no hover
    report: dict[str, Any] = {}
    mode_btn = root.locator('[data-control="mode"]')
    try:
        for theme, light, tag in (("JupyterLab Light", True, "light"), ("JupyterLab Dark", False, "dark")):
            set_theme(page, theme, light)
            for mode in ("lines", "heatmap"):
                if root.get_attribute("data-mode") != mode:
                    mode_btn.click()  # page → store → trait; the view switches in the page
                    wait_attr(page, root, "data-mode", mode)
                    page.mouse.move(1, 1)
                wait_drawn(page, root)
                next_frames(page, 2)
                root.scroll_into_view_if_needed()
                root.screenshot(path=str(SCREENSHOTS / f"lab-{tag}-{mode}.png"))
                if mode == "lines":
                    page.screenshot(path=str(SCREENSHOTS / f"lab-{tag}-page.png"))
                report[f"{tag}-{mode}"] = check_render(page, root, f"JupyterLab {tag}, {mode}")
        # The mode clicked in the page reached Python.
        out = run_new_cell(page, "print(lens.mode)", lab.log)
        assert out.strip() == root.get_attribute("data-mode")
    finally:
        (SCREENSHOTS / "lab-render-report.json").write_text(json.dumps(report, indent=1))
        set_theme(page, "JupyterLab Light", True)
    lab.log.assert_clean()


# ---- Notebook 7 ---------------------------------------------------------------------------------------
def test_notebook7_page_to_python(nb7: Session) -> None:
    page_to_python(nb7)
    nb7.log.assert_clean()


def test_notebook7_python_to_page(nb7: Session) -> None:
    python_to_page(nb7)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    nb7.page.mouse.move(1, 1)
    next_frames(nb7.page, 2)
    nb7.root.screenshot(path=str(SCREENSHOTS / "notebook7-light-lines.png"))
    check_render(nb7.page, nb7.root, "Notebook 7")
    nb7.log.assert_clean()


def test_notebook7_keys_stay_in_widget(nb7: Session) -> None:
    keys_stay_in_widget(nb7)


# ---- both ---------------------------------------------------------------------------------------------
def test_nothing_leaves_localhost_and_no_widget_errors(lab: Session, nb7: Session) -> None:
    """Every request of both pages went to the test server (or data:/blob:); the widget logged no error."""
    summary = {}
    for name, s in (("lab", lab), ("notebook7", nb7)):
        assert s.log.requests, f"{name}: no request was recorded (is the recorder attached?)"
        summary[name] = {
            "requests": len(s.log.requests),
            "websockets": s.log.websockets,
            "console_errors": s.log.console_errors,
            "page_errors": s.log.page_errors,
        }
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "e2e-page-log.json").write_text(json.dumps(summary, indent=1))
    for s in (lab, nb7):
        s.log.assert_clean()
