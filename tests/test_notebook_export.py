"""Notebook exports are never blank offline (issue 15).

A small notebook (two Lenses on the bundled model, one through ``al.show``) is run three ways, each by
its real command: ``attnlens export`` (every Lens a live, self-contained widget), ``jupyter nbconvert
--to html --execute`` with nbconvert's defaults (the picture), ``jupyter nbconvert --to notebook
--execute`` (what GitHub and nbviewer show: the PNG in each output). Pages are opened in Chromium with
every request but the file itself aborted, and pixels are compared.
"""

from __future__ import annotations

import base64
import io
import json
import os
import pathlib
import subprocess
import sys

import nbformat
import numpy as np
import pytest
from PIL import Image

from attnlens.nbexport import AttnlensPreprocessor
from attnlens.widget.headless import PAGE_MIME, WIDGET_MIME
from attnlens.widget.lens import STATIC

CELLS = [
    "import attnlens as al\nfrom attnlens.bundled import load\nmodel, tokenizer = load()",
    "lens = al.show(model, tokenizer, 'When Mary and John went to the store, John gave a drink to', layer=1)",
    "tr = al.trace(model, tokenizer, 'Harry Potter met Hermione. Then Harry Potter left.')\nal.Lens(tr, layer=0)",
]
N_LENSES = 2
STATE_MIME = "application/vnd.jupyter.widget-state+json"


def run(*args: str, cwd: pathlib.Path) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("ATTNLENS_EXPORT", None)
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> pathlib.Path:
    folder = tmp_path_factory.mktemp("nbexport")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Two lenses\nEach one should be live offline."),
        *[nbformat.v4.new_code_cell(c) for c in CELLS],
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "course.ipynb")
    return folder


@pytest.fixture(scope="module")
def exported(folder) -> tuple[pathlib.Path, str]:
    out = run(sys.executable, "-m", "attnlens.cli", "export", "course.ipynb", "--out", "live.html", cwd=folder)
    return folder / "live.html", out


@pytest.fixture(scope="module")
def executed(folder) -> nbformat.NotebookNode:
    run("jupyter", "nbconvert", "--to", "notebook", "--execute", "course.ipynb", "--output", "executed", cwd=folder)
    return nbformat.read(folder / "executed.ipynb", as_version=4)


def lens_outputs(nb: nbformat.NotebookNode) -> list[dict]:
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    return [o for o in outputs if "attnlens-static" in o.get("data", {}).get("text/html", "")]


def open_offline(browser, path: pathlib.Path):
    """A page on ``path`` where every other request is aborted; the list of URLs it tried."""
    url = path.as_uri()
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    tried: list[str] = []
    context.on("request", lambda r: tried.append(r.url))
    context.route("**/*", lambda route: route.continue_() if route.request.url == url else route.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    return page, tried, errors


def canvases(root) -> list[np.ndarray]:
    """The pixels of every canvas in a widget."""
    urls = root.evaluate("r => Array.from(r.querySelectorAll('canvas')).map(c => c.toDataURL('image/png'))")
    return [np.asarray(Image.open(io.BytesIO(base64.b64decode(u.split(",", 1)[1]))).convert("RGBA")) for u in urls]


def changed(before: list[np.ndarray], after: list[np.ndarray]) -> int:
    assert [a.shape for a in before] == [a.shape for a in after]
    return sum(int(np.any(a != b, axis=-1).sum()) for a, b in zip(before, after, strict=True))


def colours(image: np.ndarray) -> int:
    return len(np.unique(image.reshape(-1, image.shape[-1]), axis=0))


def test_export_command_reports_every_lens_live(exported) -> None:
    path, out = exported
    assert f"{N_LENSES} live attnlens widget(s), 0 picture(s)" in out and path.exists()
    html = path.read_text()
    assert html.count('class="attnlens-state"') == N_LENSES
    script = (STATIC / "standalone.js").read_text()
    assert html.count(script[:300]) == 1 and html.count(script[-300:]) == 1  # the bundle once per page
    assert WIDGET_MIME not in html and STATE_MIME not in html  # no CDN widget manager
    assert "require.min.js" not in html and "mathjax" not in html.lower()


def test_exported_widgets_are_live_and_independent_offline(exported, browser) -> None:
    page, tried, errors = open_offline(browser, exported[0])
    roots = page.locator(".attnlens")
    roots.nth(N_LENSES - 1).wait_for()
    assert roots.count() == N_LENSES
    for i in range(N_LENSES):
        page.wait_for_function("i => document.querySelectorAll('.attnlens')[i].hasAttribute('data-drawn-layer')", arg=i)
    first, second = roots.nth(0), roots.nth(1)
    assert (first.get_attribute("data-layer"), second.get_attribute("data-layer")) == ("1", "0")
    before = [canvases(first), canvases(second)]
    assert max(colours(c) for c in before[0]) > 20  # attention lines drawn, not an empty canvas
    first.locator('[data-token-index="4"][data-side="left"]').click()
    assert first.get_attribute("data-token") == "4"
    page.wait_for_timeout(300)  # the next frames
    assert changed(before[0], canvases(first)) > 500  # the locked token's lines only: other pixels
    assert second.get_attribute("data-token") in ("", None) and changed(before[1], canvases(second)) == 0
    second.locator('[data-token-index="2"][data-side="left"]').click()
    assert second.get_attribute("data-token") == "2" and first.get_attribute("data-token") == "4"
    shot = exported[0].with_name("exported.png")
    page.screenshot(path=str(shot), full_page=True)
    assert tried == [exported[0].as_uri()], tried  # nothing but the file itself was even attempted
    assert errors == []
    page.context.close()


def test_default_nbconvert_html_shows_the_picture_offline(folder, browser) -> None:
    run("jupyter", "nbconvert", "--to", "html", "--execute", "course.ipynb", "--output", "default", cwd=folder)
    html = (folder / "default.html").read_text()
    assert html.count('class="attnlens-static"') == N_LENSES and f'<script type="{WIDGET_MIME}">' not in html
    page, _tried, _errors = open_offline(browser, folder / "default.html")  # its CDN scripts fail here
    pictures = page.locator("figure.attnlens-static img")
    assert pictures.count() == N_LENSES
    for i in range(N_LENSES):
        img = pictures.nth(i)
        img.scroll_into_view_if_needed()
        assert img.evaluate("i => i.complete && i.naturalWidth") > 300
        shown = np.asarray(Image.open(io.BytesIO(img.screenshot())).convert("RGB"))
        assert shown.shape[0] > 200 and colours(shown) > 20  # attention drawn, not blank
        assert (shown < 200).any(axis=-1).mean() > 0.01  # dark pixels: labels and lines
    page.context.close()


def test_executed_notebook_carries_a_picture_for_static_renderers(executed) -> None:
    outputs = lens_outputs(executed)
    assert len(outputs) == N_LENSES
    for output in outputs:
        image = np.asarray(Image.open(io.BytesIO(base64.b64decode(output["data"]["image/png"]))).convert("RGB"))
        assert image.shape[0] > 200 and image.shape[1] > 300
        assert colours(image) > 20 and (image < 200).any(axis=-1).mean() > 0.01
        assert WIDGET_MIME not in output["data"] and PAGE_MIME not in output["data"]
    first, second = (np.asarray(Image.open(io.BytesIO(base64.b64decode(o["data"]["image/png"])))) for o in outputs)
    assert first.shape != second.shape or np.any(first != second)  # each its own view


def as_saved_by_jupyterlab(nb: nbformat.NotebookNode, other_widget: bool) -> nbformat.NotebookNode:
    """The executed notebook as JupyterLab saves it: each Lens output also names its widget model."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    state = nb.metadata["widgets"][STATE_MIME]["state"]
    lens_models = [k for k, v in state.items() if "_meta" in v["state"]]
    assert len(lens_models) == N_LENSES
    for output, model in zip(lens_outputs(nb), lens_models, strict=True):
        output["data"][WIDGET_MIME] = {"model_id": model, "version_major": 2, "version_minor": 1}
    if other_widget:
        layout = next(k for k, v in state.items() if v["model_name"] == "LayoutModel")
        state["slider"] = {"model_name": "IntSliderModel", "state": {"layout": f"IPY_MODEL_{layout}", "value": 3}}
        nb.cells.append(nbformat.v4.new_code_cell("w", outputs=[nbformat.v4.new_output(
            "display_data", data={WIDGET_MIME: {"model_id": "slider", "version_major": 2, "version_minor": 1}})]))
    return nb


def test_preprocessor_turns_saved_widget_views_into_pictures(executed) -> None:
    nb, resources = AttnlensPreprocessor().preprocess(as_saved_by_jupyterlab(executed, False), {})
    assert resources["attnlens"] == {"live": 0, "pictures": N_LENSES, "keep_cdn": False}
    assert all(WIDGET_MIME not in o["data"] and "image/png" in o["data"] for o in lens_outputs(nb))
    assert "widgets" not in nb.metadata  # so nbconvert adds no CDN widget manager
    nb, resources = AttnlensPreprocessor().preprocess(as_saved_by_jupyterlab(executed, True), {})
    kept = nb.metadata["widgets"][STATE_MIME]["state"]
    assert resources["attnlens"]["keep_cdn"] and "slider" in kept and len(kept) == 2  # the slider and its layout
    assert not [v for v in kept.values() if "_meta" in v["state"]]


def test_nbconvert_exporter_on_a_saved_notebook_needs_no_network(folder, executed, browser) -> None:
    nbformat.write(as_saved_by_jupyterlab(executed, False), folder / "saved.ipynb")
    run("jupyter", "nbconvert", "--to", "attnlens.nbexport.AttnlensHTMLExporter", "saved.ipynb", "--output", "saved",
        cwd=folder)
    page, tried, errors = open_offline(browser, folder / "saved.html")
    page.locator("figure.attnlens-static img").nth(N_LENSES - 1).wait_for()
    assert page.locator("figure.attnlens-static img").nth(0).evaluate("i => i.complete && i.naturalWidth") > 300
    assert tried == [(folder / "saved.html").as_uri()], tried
    assert errors == []
    page.context.close()


def test_export_rejects_what_is_not_a_notebook(tmp_path) -> None:
    from attnlens.nbexport import export_notebook

    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(ValueError, match="expected a notebook"):
        export_notebook(tmp_path / "x.txt")
    with pytest.raises(ValueError, match="no such notebook"):
        export_notebook(tmp_path / "missing.ipynb")


def test_live_outputs_keep_the_picture_only_when_asked(executed) -> None:
    for keep in (False, True):
        nb = as_saved_by_jupyterlab(executed, False)
        for output in lens_outputs(nb):
            output["data"][PAGE_MIME] = {"layer": 0, "_meta": {"tokens": ["</script><b>x"]}}
        png = lens_outputs(nb)[0]["data"]["image/png"]
        nb, resources = AttnlensPreprocessor(noscript_picture=keep).preprocess(nb, {})
        assert resources["attnlens"] == {"live": N_LENSES, "pictures": 0, "keep_cdn": False}
        live = lens_outputs_live(nb)
        pages = [o["data"]["text/html"] for o in live]
        assert len(pages) == N_LENSES and all(set(o["data"]) == {"text/html", "text/plain"} for o in live)
        assert ("<noscript>" in pages[0] and png in pages[0]) is keep
        assert "</script><b>" not in pages[0] and pages[0].count("</script>") == 2  # state block, bundle
        assert pages[1].count("</script>") == 1  # the bundle only once


def lens_outputs_live(nb: nbformat.NotebookNode) -> list[dict]:
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    return [o for o in outputs if "attnlens-export" in o.get("data", {}).get("text/html", "")]
