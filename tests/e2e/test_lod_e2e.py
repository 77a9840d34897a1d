"""Level-of-detail attention through real JupyterLab at 8,192 tokens × 12 heads (issue #12).

One layer of that trace is 805 MB as uint8; the page must never ask for it. The test moves the layer
slider and counts the websocket bytes received for the change (Playwright's frame events: a byte
count is deterministic), then zooms the heatmap into one full-resolution tile, hovers a cell and
compares the readout with ``tr.attention(layer)[h, i, j]`` computed in a later cell."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lab_page import PageLog, open_notebook, run_all, run_new_cell, wait_attr
from lab_server import REPO, SCREENSHOTS, JupyterServer, write_code_notebook

pytestmark = pytest.mark.e2e

TOKENS = 8192
HEADS = 12
HEAD = 7
LAYER_BYTES_LIMIT = 2 << 20

SOURCE = f"""\
import os, sys, tempfile
os.environ['HF_HUB_OFFLINE'] = '1'
sys.path.insert(0, {str(REPO / 'tests')!r})
import torch
import attnlens as al
from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel
from families import NoSegments, minilm_dir, text_of
tok = NoSegments(AutoTokenizer.from_pretrained(minilm_dir()))
torch.manual_seed(0)
d = tempfile.mkdtemp()
GPT2LMHeadModel(GPT2Config(n_layer=2, n_head={HEADS}, n_embd=96, n_positions={TOKENS},
                           vocab_size=tok.vocab_size, initializer_range=0.3)).save_pretrained(d)
model = GPT2LMHeadModel.from_pretrained(d).eval()
tr = al.trace(model, tok, text_of(tok, {TOKENS}))
lens = al.Lens(tr, view='head,model', heads=[{HEAD}])
print('tokens', tr.n_tokens)
lens"""


def frame_size(payload: str | bytes) -> int:
    return len(payload.encode("utf-8")) if isinstance(payload, str) else len(payload)


def test_8192_tokens_layer_change_and_zoom(browser: Any, jupyter_server: JupyterServer) -> None:
    write_code_notebook(jupyter_server.root / "lod.ipynb", SOURCE)
    context = browser.new_context(viewport={"width": 1400, "height": 1400}, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(60_000)
    log = PageLog(jupyter_server.origin)
    log.attach(page)
    received: list[int] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda p: received.append(frame_size(p))))
    try:
        open_notebook(page, f"{jupyter_server.origin}/lab/tree/lod.ipynb", log)
        run_all(page, log, timeout_ms=300_000)
        root = page.locator(".attnlens").first
        wait_attr(page, root, "data-drawn-layer", "0", timeout_ms=120_000)
        page.wait_for_timeout(1500)  # prefetches of the neighbouring layer land before counting

        # A layer change: every byte the kernel sends for it, at most 2 MB.
        before = sum(received)
        slider = root.locator('input[type=range][data-control="layer"]')
        slider.fill("1")
        wait_attr(page, root, "data-drawn-layer", "1", timeout_ms=60_000)
        page.wait_for_timeout(1500)
        layer_bytes = sum(received) - before
        assert 0 < layer_bytes <= LAYER_BYTES_LIMIT, f"{layer_bytes} bytes arrived for one layer change"

        # The heatmap: zoom into one full-resolution tile, hover a cell, read the exact value.
        root.locator('[data-control="mode"]').click()
        heat = root.locator(".al-zoom[data-heat-block]").first
        heat.wait_for(state="visible")
        for _ in range(16):
            if heat.get_attribute("data-heat-block") == "1":
                break
            root.locator('[data-control="zoom-in"]').click()
            page.wait_for_timeout(150)
        assert heat.get_attribute("data-heat-block") == "1", "the heatmap did not reach full resolution"
        page.wait_for_function(
            "(el) => el.getAttribute('data-heat-drawn') === '1'", arg=heat.element_handle(), timeout=60_000
        )
        canvas = heat.locator("canvas.al-heat")
        box = canvas.bounding_box()
        assert box is not None
        readout = root.locator('[data-readout="heat-cell"]')
        cells: list[tuple[int, int, float]] = []
        for fx, fy in ((0.2, 0.85), (0.3, 0.6), (0.1, 0.9)):
            page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
            page.wait_for_function(
                "(el) => el.getAttribute('data-value') !== null && el.getAttribute('data-value') !== ''",
                arg=readout.element_handle(), timeout=30_000,
            )
            page.wait_for_timeout(300)
            row, col = int(readout.get_attribute("data-row") or -1), int(readout.get_attribute("data-col") or -1)
            cells.append((row, col, float(readout.get_attribute("data-value") or "nan")))
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        root.screenshot(path=str(SCREENSHOTS / "lab-8192-heatmap-zoomed.png"))

        query = json.dumps([[r, c] for r, c, _ in cells])
        out = run_new_cell(
            page,
            f"import json\nA = tr.attention(1)\nprint(json.dumps([float(A[{HEAD}, r, c]) for r, c in {query}]))\n"
            "del A; tr._cache.clear()",
            log, timeout_ms=240_000,
        )
        python = json.loads(out.strip().splitlines()[-1])
        for (row, col, shown), expected in zip(cells, python, strict=True):
            assert 0 <= col <= row < TOKENS, (row, col)
            assert abs(shown - expected) <= 1e-6 + 1e-4 * abs(expected), (row, col, shown, expected)
        assert any(v > 0 for _, _, v in cells), cells
        log.assert_clean()
    finally:
        context.close()
