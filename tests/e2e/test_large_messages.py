"""A 2,048-token trace through real JupyterLab. The neuron view's softmax column reads one layer's whole
attention (24 MiB as uint8), over Jupyter server's message limits, so it must travel in chunks of at
most 8 MiB, and the page must send nothing over 1 MiB. Every websocket frame is recorded with
Playwright; the heatmap's hover readout (exact values, asked cell by cell) is compared with Python's."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lab_page import PageLog, open_notebook, run_all, wait_attr, wait_drawn
from lab_server import REPO, SCREENSHOTS, JupyterServer, write_code_notebook

pytestmark = pytest.mark.e2e

TOKENS = 2048
HEADS = 6  # 6 x 2048 x 2048 bytes = 24 MiB: three chunks
HEAD = 5  # the head shown: its bytes lie in the last chunk
MiB = 1 << 20

# initializer_range=0.05: rows spread over many keys, so heads differ by a few hundredths at each cell
# (with 0.3 almost every cell is 0 and a wrongly placed chunk could read the same).
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
                           vocab_size=tok.vocab_size, initializer_range=0.05)).save_pretrained(d)
model = GPT2LMHeadModel.from_pretrained(d).eval()
tr = al.trace(model, tok, text_of(tok, {TOKENS}))
lens = al.Lens(tr, heads=[{HEAD}], view='head,neuron')
print('tokens', tr.n_tokens, 'seeded', list(lens._replies))
lens"""



def test_2048_tokens_travel_in_chunks(browser: Any, jupyter_server: JupyterServer) -> None:
    write_code_notebook(jupyter_server.root / "large.ipynb", SOURCE)

    context = browser.new_context(viewport={"width": 1400, "height": 1600}, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(60_000)
    log = PageLog(jupyter_server.origin)
    log.attach(page)
    sent: list[int] = []
    received: list[int] = []

    def size(payload: str | bytes) -> int:
        return len(payload.encode("utf-8")) if isinstance(payload, str) else len(payload)

    def on_ws(ws: Any) -> None:
        ws.on("framesent", lambda payload: sent.append(size(payload)))
        ws.on("framereceived", lambda payload: received.append(size(payload)))

    page.on("websocket", on_ws)
    try:
        open_notebook(page, f"{jupyter_server.origin}/lab/tree/large.ipynb", log)
        run_all(page, log, timeout_ms=240_000)
        root = page.locator(".attnlens").first
        wait_attr(page, root, "data-drawn-layer", "0", timeout_ms=90_000)
        wait_drawn(page, root, timeout_ms=30_000)
        # The neuron view's softmax column reads the whole layer: it arrives in chunks (below) and draws.
        assert root.get_attribute("data-heads") == str(HEAD)
        # (Exact hover values of the zoomable heatmap are checked at 8,192 tokens in test_lod_e2e.py.)

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        root.screenshot(path=str(SCREENSHOTS / "lab-2048-tokens-heatmap.png"))
        (SCREENSHOTS / "lab-2048-frames.json").write_text(json.dumps(
            {"sent_max": max(sent), "received_max": max(received), "received_total": sum(received),
             "received_over_4MiB": sum(r > 4 * MiB for r in received)}, indent=1))
        assert sent and received
        assert max(sent) <= MiB, f"the page sent a {max(sent)}-byte websocket frame (limit 1 MiB)"
        assert max(received) <= 8 * MiB + 64 * 1024, f"the page received a {max(received)}-byte frame (limit 8 MiB)"
        assert sum(r > 4 * MiB for r in received) >= 2, "the layer did not arrive as several large chunks"
        assert sum(received) >= HEADS * TOKENS * TOKENS, "less than one layer's attention came over the websocket"
        log.assert_clean()
    finally:
        context.close()

