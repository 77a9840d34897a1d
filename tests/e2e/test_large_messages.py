"""A 2,048-token trace through real JupyterLab. The neuron view's softmax column reads one layer's whole
attention (24 MiB as uint8), over Jupyter server's message limits, so it must travel in chunks of at
most 8 MiB, and the page must send nothing over 1 MiB. Every websocket frame is recorded with
Playwright; the heatmap's hover readout (exact values, asked cell by cell) is compared with Python's."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lab_page import PageLog, open_notebook, run_all, run_new_cell, wait_attr, wait_drawn
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
lens = al.Lens(tr, heads=[{HEAD}], mode='heatmap', view='head,neuron')
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
        assert root.get_attribute("data-heads") == str(HEAD) and root.get_attribute("data-mode") == "heatmap"

        # Hover cells of the zoomable heatmap; the readout shows the exact value the kernel sent.
        heat = root.locator(".al-zoom[data-heat-block]").first
        page.wait_for_function("(el) => el.getAttribute('data-heat-drawn') !== ''", arg=heat.element_handle(),
                               timeout=60_000)
        canvas = heat.locator("canvas.al-heat").first
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        assert box is not None
        readout = root.locator('[data-readout="heat-cell"]')
        seen: dict[tuple[int, int], float] = {}
        for fx, fy in ((0.05, 0.3), (0.1, 0.5), (0.2, 0.6), (0.05, 0.9), (0.3, 0.95), (0.5, 0.8)):
            page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
            page.wait_for_function(
                "([el, y]) => el.getAttribute('data-value') && Number(el.getAttribute('data-row')) >= 0",
                arg=[readout.element_handle(), fy], timeout=30_000,
            )
            page.wait_for_timeout(300)
            row, col = int(readout.get_attribute("data-row") or -1), int(readout.get_attribute("data-col") or -1)
            seen[(row, col)] = float(readout.get_attribute("data-value") or "nan")
        assert len(seen) >= 4, seen

        cells = json.dumps([[r, c] for r, c in seen])
        out = run_new_cell(
            page,
            "import json\nA = tr.attention(0)\n"
            f"print(json.dumps([[float(A[h, r, c]) for h in range({HEADS})] for r, c in {cells}]))",
            log,
        )
        python = json.loads(out.strip().splitlines()[-1])
        tol = 1e-6  # exact float32 values from attention_cell
        for (cell, shown), per_head in zip(seen.items(), python, strict=True):
            assert abs(shown - per_head[HEAD]) <= tol, f"cell {cell}: page shows {shown}, Python has {per_head[HEAD]}"
        for h in range(HEADS - 1):  # any other head would not match
            assert max(abs(p[h] - p[HEAD]) for p in python) > 2 * tol, (
                f"head {h} matches head {HEAD} too closely at the hovered cells: {seen} {python}"
            )

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

