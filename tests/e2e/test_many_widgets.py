"""Ten widgets in one JupyterLab notebook, of different texts and views: each keeps its own selection.
A click or key in one changes no other, checked on all ten roots after every action and then on all
ten Lens objects in Python."""

from __future__ import annotations

from typing import Any

import pytest
from lab_page import PageLog, open_notebook, run_all, run_new_cell, wait_attr, wait_drawn
from lab_server import JupyterServer, model_choice, write_code_notebook

pytestmark = pytest.mark.e2e

N = 10
TEXTS = [f"Widget {i} reads sentence number {i} about {w}." for i, w in
         enumerate(["cats", "dogs", "rain", "maps", "jazz", "tea", "salt", "ice", "wind", "glass"])]
VIEWS = ["head", "head,model", "head,neuron", "head,mlp", "head", "head,model", "head,neuron", "head,mlp",
         "head", "head,model"]


def _attrs(page: Any) -> list[tuple[str | None, str | None, str | None]]:
    return [tuple(x) for x in page.evaluate(  # type: ignore[misc]
        "() => Array.from(document.querySelectorAll('.attnlens'), r => "
        "[r.getAttribute('data-token'), r.getAttribute('data-layer'), r.getAttribute('data-view')])"
    )]


def test_ten_widgets_keep_their_own_selection(browser: Any, jupyter_server: JupyterServer) -> None:
    load, _ = model_choice()
    source = (
        "import os\nos.environ['HF_HUB_OFFLINE'] = '1'\nimport attnlens as al\nfrom IPython.display import display\n"
        f"{load}\n"
        f"lenses = [al.Lens(al.trace(model, tok, t)) for t in {TEXTS!r}]\n"
        f"for lens, v in zip(lenses, {VIEWS!r}):\n    lens.view = v\n    display(lens)"
    )
    write_code_notebook(jupyter_server.root / "ten.ipynb", source)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(30_000)
    log = PageLog(jupyter_server.origin)
    log.attach(page)
    try:
        open_notebook(page, f"{jupyter_server.origin}/lab/tree/ten.ipynb", log)
        run_all(page, log)
        page.wait_for_function(f"() => document.querySelectorAll('.attnlens').length === {N}")
        roots = [page.locator(".attnlens").nth(i) for i in range(N)]
        for root in roots:
            wait_drawn(page, root)
        expected = [("", "0", v) for v in VIEWS]
        assert _attrs(page) == expected
        for i, root in enumerate(roots):
            token = 1 + i % 5
            root.locator(f'[data-token-index="{token}"][data-side="left"]').first.click()
            wait_attr(page, root, "data-token", str(token))
            expected[i] = (str(token), expected[i][1], expected[i][2])
            assert _attrs(page) == expected, f"clicking token {token} in widget {i} changed another widget"
            if i % 2 == 0:
                slider = root.locator('input[type=range][data-control="layer"]')
                slider.focus()
                slider.press("ArrowRight")
                wait_attr(page, root, "data-layer", "1")
                expected[i] = (expected[i][0], "1", expected[i][2])
                assert _attrs(page) == expected, f"moving the layer of widget {i} changed another widget"
        out = run_new_cell(page, "print(*[f'{l.token},{l.layer},{l.view}' for l in lenses])", log)
        assert out.split() == [",".join(e) for e in expected], out
        log.assert_clean()
    finally:
        context.close()
