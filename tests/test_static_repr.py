"""Where JavaScript does not run (GitHub, nbviewer, nbconvert without widget state) a Lens still shows
a picture: its display bundle carries an image/png of the current view beside the widget view."""

from __future__ import annotations

import base64
import io
import os
import pathlib

import nbformat
import numpy as np
from nbclient import NotebookClient
from nbconvert import HTMLExporter
from PIL import Image

import attnlens as al
from attnlens.widget.static_repr import MAX_WIDTH, static_mimebundle, with_static
from test_images import N, hand_made

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
CELLS = [
    "import attnlens as al\nfrom attnlens.bundled import load\nmodel, tokenizer = load()",
    "tr = al.trace(model, tokenizer, 'When Mary and John went to the store, John gave a drink to')\n"
    "lens = al.Lens(tr, layer=1)\nlens",
]


def picture(bundle: dict) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(bundle["image/png"])))


def test_bundle_has_the_current_view_as_png_and_plain_html() -> None:
    lens = al.Lens(hand_made())
    bundle = static_mimebundle(lens)
    image = picture(bundle)
    assert image.format == "PNG" and 300 <= image.width <= MAX_WIDTH and image.height > N * 15
    assert bundle["text/html"].startswith('<figure class="attnlens-static"')
    assert f'src="data:image/png;base64,{bundle["image/png"]}"' in bundle["text/html"]
    assert "<script" not in bundle["text/html"]
    lens.layer = 2
    assert np.any(np.asarray(picture(static_mimebundle(lens))) != np.asarray(image))  # follows the selection


def test_long_inputs_become_a_heatmap_no_wider_than_the_column() -> None:
    lens = al.Lens(hand_made([f"w{i}" for i in range(400)]))
    image = picture(static_mimebundle(lens))
    assert image.width <= MAX_WIDTH and image.height <= MAX_WIDTH * 1.5


def test_with_static_keeps_the_widget_view_first() -> None:
    lens = al.Lens(hand_made())
    data, metadata = with_static(lens, ({WIDGET_MIME: {"model_id": "x"}, "text/plain": "Lens"}, {}))
    assert list(data)[-2:] == [WIDGET_MIME, "text/plain"] and "image/png" in data and metadata == {}


def test_executed_notebook_shows_a_picture_without_javascript(tmp_path: pathlib.Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    os.environ["HF_HUB_OFFLINE"] = "1"
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    (out,) = [o for o in nb.cells[1].outputs if o.get("output_type") == "execute_result"]
    assert "image/png" in out["data"]  # what GitHub falls back to
    # nothing renders the widget in an nbclient run, so the Lens leaves its view out (attnlens.widget.headless)
    assert WIDGET_MIME not in out["data"] and "widgets" in nb.metadata
    image = picture(out["data"])
    assert 300 <= image.width <= MAX_WIDTH and 20 * 15 < image.height < 20 * 30 + 200
    html, _ = HTMLExporter().from_notebook_node(nb)  # widget state saved: nbconvert still shows the picture
    assert f"data:image/png;base64,{out['data']['image/png']}" in html.replace("\n", "")
