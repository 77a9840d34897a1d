"""What a notebook saved with its widget state holds: the answers the page asked for, within the
seed budget, so the reopened page redraws its selection without a kernel."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import attnlens as al
import attnlens.widget.lens as lens_module
from attnlens.bundled import load_model
from wire import decode_array

TEXT = "The cat sat on the mat. The cat sat on the"


@pytest.fixture(scope="module")
def trace(bundled_tokenizer: Any) -> al.Trace:
    return al.trace(load_model(), bundled_tokenizer, TEXT)


def ask(lens: al.Lens, **request: Any) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    lens.send = lambda content, buffers=None: sent.append(content)  # type: ignore[method-assign]
    lens._on_page_message(lens, {"kind": "request", "stack": "self", "id": 1, **request}, [])
    return sent


def test_answers_the_page_asked_for_are_kept_in_the_saved_state(trace: al.Trace) -> None:
    lens = al.Lens(trace, view="head,model")
    assert list(lens._replies) == ["attention:self:0"]
    assert ask(lens, what="attention", layer=1)[-1]["kind"] == "reply"
    ask(lens, what="thumbnails")
    state = lens.get_state()["_replies"]
    assert list(state) == ["attention:self:0", "attention:self:1", "thumbnails:self"]
    kept = state["attention:self:1"]["arrays"]["attention"]
    np.testing.assert_allclose(decode_array(kept), trace.attention(1), atol=1e-3)
    assert "id" not in state["attention:self:1"]  # a seed, not an answer to one request
    # An error is not kept; asking twice keeps one copy.
    assert ask(lens, what="attention", layer=7)[-1]["kind"] == "error"
    ask(lens, what="attention", layer=1)
    assert list(lens._replies) == ["attention:self:0", "attention:self:1", "thumbnails:self"]


def test_a_rerun_answer_is_kept_too(trace: al.Trace) -> None:
    lens = al.Lens(trace, view="head,attribution")
    n = len(trace.tokens)
    reply = ask(lens, what="attribution", method="saliency", position=n - 1)[-1]
    assert reply["kind"] == "reply" and reply["key"] in lens._replies


def test_kept_answers_stay_within_the_seed_budget(trace: al.Trace, monkeypatch: pytest.MonkeyPatch) -> None:
    lens = al.Lens(trace)
    seeded = sum(len(s["buffer"]) for r in lens._replies.values() for s in r["arrays"].values())
    monkeypatch.setattr(lens_module, "SEED_BYTES", seeded + 1)  # room for nothing more than the seed
    ask(lens, what="attention", layer=1)
    assert list(lens._replies) == ["attention:self:0"]
    monkeypatch.setattr(lens_module, "SEED_BYTES", 1 << 20)
    monkeypatch.setattr(lens_module, "KEPT_REPLIES", 2)
    for layer in (1, 0):
        ask(lens, what="mlp_top", layer=layer)
    assert list(lens._replies) == ["attention:self:0", "mlp_top:self:1"]  # the third did not fit
