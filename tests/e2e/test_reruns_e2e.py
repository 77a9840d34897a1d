"""Attribution and ablation in a real JupyterLab: the page asks the kernel to rerun the model, shows
progress, then the kernel's numbers; the selection made in the page reaches Python."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from lab_page import PageLog, open_notebook, run_all, run_new_cell, wait_attr
from lab_server import SCREENSHOTS, JupyterServer, bundled_lens_source, write_code_notebook

pytestmark = pytest.mark.e2e

TEXT = "The cat sat on the mat. The cat sat on the"
SOURCE = bundled_lens_source(TEXT, "head,attribution,model,ablation")


@pytest.fixture(scope="module")
def lab(browser: Any, jupyter_server: JupyterServer) -> Iterator[tuple[Any, PageLog, Any]]:
    write_code_notebook(jupyter_server.root / "e2e_reruns.ipynb", SOURCE)
    context = browser.new_context(viewport={"width": 1400, "height": 1100}, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(30_000)
    log = PageLog(jupyter_server.origin)
    log.attach(page)
    try:
        open_notebook(page, f"{jupyter_server.origin}/lab/tree/e2e_reruns.ipynb", log)
        run_all(page, log)
        yield page, log, page.locator(".attnlens").first
    finally:
        context.close()


def wait_state(page: Any, el: Any, state: str, timeout_ms: int = 60_000) -> None:
    page.wait_for_function(
        "([el, s]) => el.getAttribute('data-state') === s", arg=[el.element_handle(), state], timeout=timeout_ms
    )


def test_attribution_follows_the_page_selection_with_the_kernels_values(lab) -> None:
    page, log, root = lab
    view = root.locator(".al-attribution")
    wait_state(page, view, "ready")  # integrated gradients of the last position, computed by the kernel
    root.locator('[data-token-index="5"][data-side="left"]').click()
    wait_attr(page, root, "data-token", "5")
    wait_attr(page, view, "data-position", "5")
    wait_state(page, view, "ready")
    shown = [float(v) for v in view.locator("[data-position]").evaluate_all("els => els.map(e => e.dataset.value)")]
    out = run_new_cell(page, "print(*tr.attribute(position=lens.token).tolist(), sep=',')", log)
    expected = [float(x) for x in out.strip().split(",")]
    assert shown == pytest.approx(expected, rel=1e-5, abs=1e-6)
    # A method chosen in the page reaches Python and is computed by the kernel.
    view.locator('select[data-control="method"]').select_option("attention_rollout")
    wait_attr(page, root, "data-method", "attention_rollout")
    wait_state(page, view, "ready")
    out = run_new_cell(page, "print(lens.method, *tr.attribute(method=lens.method, position=5).round(6).tolist())", log)
    method, *values = out.split()
    shown = [float(v) for v in view.locator("[data-position]").evaluate_all("els => els.map(e => e.dataset.value)")]
    assert method == "attention_rollout" and shown == pytest.approx([float(v) for v in values], abs=2e-6)
    log.assert_clean()


def test_heads_marked_in_the_model_view_are_ablated_by_the_kernel(lab) -> None:
    page, log, root = lab
    root.locator('[data-control="mark-heads"]').click()
    for head in (0, 1):
        root.locator(f'.al-model [data-layer="1"][data-head="{head}"]').click()
    wait_attr(page, root, "data-ablate", "head:1:0,head:1:1")
    root.locator('[data-control="run-ablation"]').click()
    ablation = root.locator(".al-ablation")
    wait_state(page, ablation, "ready")
    cells = ablation.locator(".al-ablate-table td").all_text_contents()
    out = run_new_cell(
        page,
        "import numpy as np\n"
        "h, n = lens.ablation(); ab = tr.ablate(heads=h, neurons=n)\n"
        "def p(t):\n"
        "    e = np.exp(t.logits_at(5) - t.logits_at(5).max())\n"
        "    return e / e.sum()\n"
        "top = int(np.argmax(p(tr)))\n"
        "print(lens.ablate, repr(tok.convert_ids_to_tokens([top])[0]), f'{p(tr)[top]:.3f}', f'{p(ab)[top]:.3f}')",
        log,
    )
    assert out.startswith("['head:1:0', 'head:1:1']"), out
    *_, before, after = out.split()
    assert cells[1:3] == [before, after], (cells[:4], out)
    page.screenshot(path=str(SCREENSHOTS / "lab-attribution-ablation.png"), full_page=True)
    log.assert_clean()


def test_edit_box_compares_a_second_run_traced_by_the_kernel(lab) -> None:
    page, log, root = lab
    run_new_cell(page, "lens.view = 'head,compare'", log)
    wait_attr(page, root, "data-view", "head,compare")
    view = root.locator(".al-compare")
    box = view.locator('input[data-control="compare-text"]')
    assert box.input_value() == TEXT  # run A's text, ready to edit
    edited = TEXT.replace("cat", "dog")
    box.fill(edited)
    box.press("Enter")
    wait_state(page, view, "ready")
    titles = view.locator('[data-row="tok_b"]').evaluate_all("els => els.map(e => e.title)")
    shown_b = [re.sub(r" \(B token \d+\)$", "", t) for t in titles]
    out = run_new_cell(
        page,
        "import json\n"
        f"b = al.trace(model, tok, {edited!r})\n"
        "run = lens._session.run(1)\n"
        "print(json.dumps([b.tokens, run.tokens == b.tokens]))",
        log,
    )
    tokens_b, same = __import__("json").loads(out)
    assert same and shown_b == tokens_b
    changed = view.locator(".al-cmp-changed[data-row='tok_b']").all_text_contents()
    assert changed and all("d" in t or "o" in t or "g" in t for t in changed), changed
    page.screenshot(path=str(SCREENSHOTS / "lab-compare.png"), full_page=True)
    log.assert_clean()
