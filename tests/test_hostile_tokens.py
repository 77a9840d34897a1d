"""Hostile token text in every view, tooltip and image, in real Chromium.

A real tokenizer (WordLevel, saved and loaded with from_pretrained) whose tokens ARE the hostile strings
drives a random-weight GPT-2 (also through from_pretrained), so the strings reach the page as input
tokens and as logit-lens predictions; one token is then replaced by lone surrogate halves, as a
byte-level tokenizer's surrogateescape decoding produces. For each view the test hovers and clicks every
token-bearing element and checks: no dialog, no console error, no new script/img/style/iframe/object
element, the text shown as text, and a layout that stays inside the widget.
"""

from __future__ import annotations

import copy
import io
import pathlib
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

import attnlens as al

LONG = "W" * 10_000
HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "</style><style>*{display:none}</style>",
    "\"'`\\",
    "\u202eevil\u202c",  # right-to-left override
    "a\u200db\u200d\u200dc",  # zero-width joiners
    LONG,
    "&amp;<b>bold</b>&lt;",
    "<!--",
    "${alert(1)}",
]
SURROGATES = "\udcff\ud83d"  # lone halves; replaces the last token of the trace
SEP = "\u241e"
# The views of the page; each gets its own saved page.
VIEWS = ["head", "model", "neuron", "logit_lens", "mlp", "attribution", "ablation", "compare"]
ACTIVE = ("[data-token-index], [data-key-index], [data-position], [data-control='neuron'], "
          "[data-layer][data-head], .al-cell, [data-part], .al-cmp-cell")
TOKEN_VIEWS = ("head", "neuron", "mlp", "logit_lens", "attribution", "compare")
DANGEROUS = "script, img, style, iframe, object, embed, link, svg script, [onerror], [onload]"
WIDTH = 1200


@pytest.fixture(scope="module")
def trace(tmp_path_factory) -> al.Trace:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    d = tmp_path_factory.mktemp("hostile-model")
    vocab = {"[UNK]": 0, **{t: i + 1 for i, t in enumerate(HOSTILE)}}
    core = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Split(SEP, behavior="removed")
    PreTrainedTokenizerFast(tokenizer_object=core, unk_token="[UNK]").save_pretrained(d)
    torch.manual_seed(0)
    GPT2LMHeadModel(GPT2Config(n_layer=2, n_head=2, n_embd=32, n_positions=64, vocab_size=len(vocab),
                               initializer_range=0.3)).save_pretrained(d)
    tok = AutoTokenizer.from_pretrained(d)
    model = GPT2LMHeadModel.from_pretrained(d).eval()
    tr = al.trace(model, tok, SEP.join([*HOSTILE, HOSTILE[0]]))
    assert tr.tokens[: len(HOSTILE)] == HOSTILE  # the tokenizer really produced the hostile strings
    tr = copy.copy(tr)
    tr.tokens = [*tr.tokens[:-1], SURROGATES]
    return tr


def _page(browser: Any, path: pathlib.Path) -> tuple[Any, dict[str, list[str]]]:
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    log: dict[str, list[str]] = {"dialogs": [], "console": [], "errors": []}
    page.on("dialog", lambda d: (log["dialogs"].append(d.message), d.dismiss()))
    page.on("console", lambda m: log["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: log["errors"].append(str(e)))
    page.goto(path.as_uri())
    page.locator(".attnlens").wait_for()
    # Every view has a status, and none is still loading (the MLP view without a neuron sets no
    # data-drawn-layer, so that attribute is not the signal here).
    page.wait_for_function(
        """() => { const s = Array.from(document.querySelectorAll('.attnlens .al-status:not(.al-zoom .al-status)'));
                   return s.length > 0 && s.every(e => e.dataset.state && e.dataset.state !== 'loading'); }"""
    )
    return page, log


@pytest.mark.parametrize("view", VIEWS)
def test_hostile_tokens_stay_text_in_every_view(trace: al.Trace, view: str, tmp_path, browser) -> None:
    lens = al.Lens(trace, compare=trace)  # the compare view sets the run beside itself
    lens.view = view
    lens.ablate = ["head:1:0", "head:0:1"]  # the ablation view shows its saved run: predictions are tokens too
    path = pathlib.Path(lens.save_html(tmp_path / f"{view}.html"))
    page, log = _page(browser, path)
    try:
        root = page.locator(".attnlens")
        dangerous_before = page.locator(DANGEROUS).count()
        body = page.locator(f'.al-view[data-view-name="{view}"] .al-view-body')
        targets = body.locator(ACTIVE)
        n = targets.count()
        assert n > 0, f"the {view} view has nothing to hover"
        for i in range(min(n, 60)):
            t = targets.nth(i)
            if not t.is_visible():
                continue
            t.hover(timeout=5000)
            if i % 3 == 0:
                t.click(timeout=5000)
            assert page.locator(DANGEROUS).count() == dangerous_before, f"{view}: an element appeared"
        assert log["dialogs"] == [], f"{view}: a dialog opened: {log['dialogs']}"
        assert log["errors"] == [] and log["console"] == [], f"{view}: {log}"

        # Text shown as text: the page's text and titles carry the strings (long ones truncated).
        shown = page.evaluate(
            """(root) => [root.innerText, ...Array.from(root.querySelectorAll('[title]'), e => e.title),
                         ...Array.from(root.querySelectorAll('[aria-label]'), e => e.getAttribute('aria-label'))]
                         .join('\\n')""",
            root.element_handle(),
        )
        for token in (HOSTILE[0], HOSTILE[1], HOSTILE[7]) if view in TOKEN_VIEWS else ():
            assert token[:12] in shown, f"{view}: {token!r} is not shown as text"
        if view in TOKEN_VIEWS:  # invisible characters are made visible
            labels = page.evaluate(
                "(root) => Array.from(root.querySelectorAll('[data-token-index], [data-key-index], [data-position]'),"
                " e => e.textContent).join('\\n')",
                root.element_handle(),
            )
            for marker in ("‹U+202E›", "‹U+200D›", "‹U+DCFF›"):
                assert marker in labels, f"{view}: no {marker} among the token labels"
            assert "\u202e" not in labels and "\u200d" not in labels, f"{view}: an invisible character is drawn raw"

        # Layout: nothing pushes the widget wider than the page; the long token is cut, its title whole.
        widths = page.evaluate(
            "(root) => ({scroll: root.scrollWidth, client: root.clientWidth,"
            " doc: document.documentElement.scrollWidth})",
            root.element_handle(),
        )
        assert widths["scroll"] <= widths["client"] + 2 and widths["doc"] <= WIDTH, f"{view}: {widths}"
        boxes = page.evaluate(
            """(root) => Array.from(root.querySelectorAll('*')).filter(e => e.textContent.includes('WWWWWW')
                 && e.childElementCount === 0).map(e => ({w: e.getBoundingClientRect().width,
                 text: e.textContent.length, title: (e.closest('[title]') || {title: ''}).title.length}))""",
            root.element_handle(),
        )
        for b in boxes:
            assert b["w"] <= WIDTH / 2 and b["text"] < 200, f"{view}: the 10,000-character token is drawn whole: {b}"
        if view in ("head", "mlp", "attribution", "compare"):
            assert any(b["title"] >= len(LONG) for b in boxes), f"{view}: no full text on hover for the long token"
        page.screenshot(path=str(tmp_path / f"{view}.png"))
        shots = pathlib.Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        root.screenshot(path=str(shots / f"hostile-{view}.png"))
    finally:
        page.close()


def test_head_view_heatmap_and_page_png_with_hostile_tokens(trace: al.Trace, tmp_path, browser) -> None:
    lens = al.Lens(trace)
    lens.mode = "heatmap"
    page, log = _page(browser, pathlib.Path(lens.save_html(tmp_path / "heat.html")))
    try:
        before = page.locator(DANGEROUS).count()
        canvas = page.locator(".al-zoom canvas.al-heat")
        box = canvas.bounding_box()
        assert box is not None
        for k in range(5):
            page.mouse.move(box["x"] + 5 + k * 0.15 * box["width"], box["y"] + 5 + k * 0.15 * box["height"])
        page.wait_for_timeout(300)
        readout = page.locator('[data-readout="heat-cell"]').text_content() or ""
        assert "from" in readout or "query" in readout, readout
        with page.expect_download() as info:
            page.locator('[data-control="save-png"]').click()
        img = Image.open(io.BytesIO(pathlib.Path(info.value.path()).read_bytes()))
        assert img.width <= 2 * WIDTH and img.height < 4000
        assert page.locator(DANGEROUS).count() == before
        assert log == {"dialogs": [], "console": [], "errors": []}, log
    finally:
        page.close()


@pytest.mark.parametrize("mode", ["lines", "heatmap"])
def test_save_png_with_hostile_tokens(trace: al.Trace, tmp_path, mode: str) -> None:
    lens = al.Lens(trace)
    lens.mode = mode
    img = np.asarray(Image.open(lens.save_png(tmp_path / f"{mode}.png")).convert("RGB"))
    assert img.shape[1] <= 1000 and img.shape[0] < 2000, img.shape  # the long token did not widen the image
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 10  # something drawn
