"""save_html: one self-contained file that stays interactive with the network cut."""

from __future__ import annotations

import base64
import copy
import json
import pathlib
import re
import zlib

import numpy as np
import pytest
from transformers import AutoModel

import attnlens as al
from families import minilm_dir

TEXT = "The cat sat on the mat because it was tired."


@pytest.fixture(scope="module")
def saved(tmp_path_factory, minilm_tokenizer) -> tuple[pathlib.Path, al.Trace]:
    model = AutoModel.from_pretrained(minilm_dir()).eval()
    tr = al.trace(model, minilm_tokenizer, TEXT)
    lens = al.Lens(tr, layer=1)
    lens.heads = [0, 3, 7]
    path = tmp_path_factory.mktemp("export") / "lens.html"
    assert lens.save_html(path) == str(path)
    return path, tr


def embedded_state(html: str) -> dict:
    (raw,) = re.findall(r'<script type="application/vnd.attnlens\+json" class="attnlens-state">(.*?)</script>',
                        html, flags=re.S)
    return json.loads(raw)


def buffer_bytes(buffer: dict) -> bytes:
    """A saved buffer's bytes as the page reads them: base64, inflated when zlib-compressed."""
    raw = base64.b64decode(buffer["base64"])
    if buffer.get("encoding") == "deflate":
        raw = zlib.decompress(raw)
        assert len(raw) == buffer["bytes"]
    return raw


def test_file_carries_every_layer_and_the_selection(saved) -> None:
    path, tr = saved
    html = path.read_text()
    state = embedded_state(html)
    assert state["layer"] == 1 and state["heads"] == [0, 3, 7]
    assert state["_meta"]["tokens"] == tr.tokens
    replies = state["_replies"]
    # The head view's level-of-detail attention, every layer (a short text fits the budget): each row's
    # strongest keys, and every head's overview plane, which at block 1 is the attention itself.
    assert {f"attention_rows:self:{i}:0:64:8" for i in range(tr.n_layers)} <= set(replies)
    assert {"thumbnails:self", "qk:self:1"} <= set(replies)  # model view, neuron view of the current layer
    for layer in range(tr.n_layers):
        payload = replies[f"attention_tile_heads:self:{layer}:max:1:0:0"]["arrays"]["tiles"]
        raw = buffer_bytes(payload["buffer"])
        assert payload["dtype"] == "uint8"
        values = np.frombuffer(raw, np.uint8).reshape(payload["shape"]).astype(np.float32) / 255
        np.testing.assert_allclose(values, tr.attention(layer), atol=0.5 / 255 + 1e-3)
    assert "</script" not in html.split('class="attnlens-state">', 1)[1].split("</script>", 1)[0]


def test_page_has_no_address_to_fetch(saved) -> None:
    html = saved[0].read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "default-src 'none'" in html  # the page's own policy forbids fetching anything


def test_offline_page_is_interactive_and_requests_nothing(saved, browser) -> None:
    path, _ = saved
    url = path.as_uri()
    requests: list[str] = []
    page = browser.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.route("**/*", lambda route: route.continue_() if route.request.url == url else route.abort())
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    root = page.locator(".attnlens")
    root.wait_for()
    assert root.get_attribute("data-layer") == "1" and root.get_attribute("data-heads") == "0,3,7"
    page.locator('[data-token-index="2"][data-side="left"]').click()
    assert root.get_attribute("data-token") == "2"
    slider = page.locator('input[type=range][data-control="layer"]')
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert root.get_attribute("data-layer") == "3"
    page.wait_for_function("() => !document.querySelector('.attnlens').textContent.includes('loading')")
    assert "was not saved in this page" not in root.inner_text()
    page.locator('[data-control="mode"]').click()
    assert root.get_attribute("data-mode") == "heatmap"
    assert requests == [url], requests
    assert errors == []
    page.close()


HOSTILE = "</script><!--<script>alert(1)</script><img src=x onerror=alert(2)>&amp;"


def test_hostile_token_text_survives_as_text(saved, tmp_path, browser) -> None:
    _, tr = saved
    tr = copy.copy(tr)
    tr.tokens = [*tr.tokens]
    tr.tokens[2] = HOSTILE
    path = tmp_path / "hostile.html"
    al.Lens(tr).save_html(path)
    html = path.read_text()
    assert embedded_state(html)["_meta"]["tokens"][2] == HOSTILE
    assert html.count("<script") == 2 and html.count("</script>") == 2
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri())
    label = page.locator('[data-token-index="2"][data-side="left"]')
    label.wait_for()
    assert HOSTILE in (label.get_attribute("title") or "") + (label.get_attribute("aria-label") or "")
    assert page.locator(".attnlens img, .attnlens script").count() == 0
    assert dialogs == []
    page.close()


def _download(page, control: str) -> bytes:
    with page.expect_download() as info:
        page.locator(f'[data-control="{control}"]').click()
    return pathlib.Path(info.value.path()).read_bytes()


def test_save_buttons_download_the_current_view(saved, browser) -> None:
    """The page's own PNG/SVG buttons, offline: the image has the view's size and follows the selection."""
    import io
    import xml.etree.ElementTree as ET

    from PIL import Image

    path, tr = saved
    page = browser.new_page(accept_downloads=True)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    root = page.locator(".attnlens")
    root.wait_for()
    page.wait_for_function("() => !document.querySelector('.attnlens').textContent.includes('loading')")
    first = Image.open(io.BytesIO(_download(page, "save-png"))).convert("RGB")
    views = page.locator(".al-views").bounding_box()
    assert views is not None
    assert abs(first.width - 2 * views["width"]) <= 4 and abs(first.height - 2 * views["height"]) <= 4
    assert len(set(first.getdata())) > 20  # lines and text, not a blank rectangle
    slider = page.locator('input[type=range][data-control="layer"]')
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert root.get_attribute("data-layer") == "3"
    page.wait_for_timeout(300)
    second = Image.open(io.BytesIO(_download(page, "save-png"))).convert("RGB")
    assert second.size == first.size and list(second.getdata()) != list(first.getdata())
    svg = ET.fromstring(_download(page, "save-svg"))
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert tr.tokens[2] in texts
    assert not [e for e in svg.iter() if e.tag.endswith("script")]
    assert all(r == path.as_uri() or r.startswith(("blob:", "data:")) for r in requests), requests
    page.close()
