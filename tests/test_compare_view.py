"""al.compare and the edit box: two runs aligned by token, each number taken from its own run."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import attnlens as al
from attnlens.bundled import load_model
from attnlens.widget.protocol import answer
from families import build
from wire import reply_arrays as arrays
from wire import softmax

A = "The cat sat on the mat. The cat sat on the"
B = "The dog sat on the mat. The dog sat on the"
INSERTED = "The cat sat on the red mat. The cat sat on the"


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.mark.parametrize("text_b", [B, INSERTED])
def test_compare_reply_aligns_both_runs(model, bundled_tokenizer, text_b) -> None:
    tr_a, tr_b = al.trace(model, bundled_tokenizer, A), al.trace(model, bundled_tokenizer, text_b)
    lens = al.compare(tr_a, tr_b)
    assert lens.view == "compare" and lens._meta["compare"] == {"version": 1, "text_a": A, "text_b": text_b}
    reply, buffers = answer(tr_a, {"what": "compare", "stack": "self", "layer": 1, "version": 1}, lens._session)
    assert reply["key"] == "compare:self:1:1"
    out, data = arrays(reply, buffers), reply["data"]
    pairs = data["pairs"]
    # Every token of each run appears once, in order.
    assert [i for i, _ in pairs if i is not None] == list(range(len(tr_a.tokens)))
    assert [j for _, j in pairs if j is not None] == list(range(len(tr_b.tokens)))
    assert data["tokens_b"] == tr_b.tokens
    for (i, j), changed in zip(pairs, data["changed"], strict=True):
        assert changed == (i is None or j is None or tr_a.tokens[i] != tr_b.tokens[j])
    assert any(data["changed"]) and not all(data["changed"])
    # Attention cells: each run's own attention at the aligned (query, key), 0 where a run has no token.
    att_a, att_b = tr_a.attention(1).astype(np.float64), tr_b.attention(1).astype(np.float64)
    for qc, (qi, qj) in enumerate(pairs):
        for kc, (ki, kj) in enumerate(pairs):
            want_a = att_a[:, qi, ki] if qi is not None and ki is not None else np.zeros(tr_a.n_heads)
            want_b = att_b[:, qj, kj] if qj is not None and kj is not None else np.zeros(tr_a.n_heads)
            np.testing.assert_allclose(out["a"][:, qc, kc], want_a, atol=1e-3)
            np.testing.assert_allclose(out["b"][:, qc, kc], want_b, atol=1e-3)
    # Predictions after the last token of each run.
    pa, pb = softmax(tr_a.logits_at(len(tr_a.tokens) - 1)), softmax(tr_b.logits_at(len(tr_b.tokens) - 1))
    rows_a, rows_b = data["predictions"]["a"], data["predictions"]["b"]
    assert [r["id"] for r in rows_a] == list(np.argsort(-pa, kind="stable")[:5])
    assert [r["id"] for r in rows_b] == list(np.argsort(-pb, kind="stable")[:5])
    for r in rows_a + rows_b:
        assert (r["before"], r["after"]) == (pytest.approx(pa[r["id"]], rel=1e-5), pytest.approx(pb[r["id"]], rel=1e-5))


def test_compare_attribution_explains_a_prediction_in_both_runs(model, bundled_tokenizer) -> None:
    tr_a, tr_b = al.trace(model, bundled_tokenizer, A), al.trace(model, bundled_tokenizer, INSERTED)
    lens = al.compare(tr_a, tr_b)
    request = {"what": "compare_attribution", "stack": "self", "version": 1, "method": "input_x_gradient"}
    reply, buffers = answer(tr_a, request, lens._session)
    out = arrays(reply, buffers)
    target = int(np.argmax(tr_a.logits_at(len(tr_a.tokens) - 1)))
    assert reply["data"]["target_id"] == target
    va = tr_a.attribute(target=target, method="input_x_gradient")
    vb = tr_b.attribute(target=target, method="input_x_gradient")
    pairs = answer(tr_a, {"what": "compare", "layer": 0, "version": 1}, lens._session)[0]["data"]["pairs"]
    np.testing.assert_allclose(out["a"], [0.0 if i is None else va[i] for i, _ in pairs], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(out["b"], [0.0 if j is None else vb[j] for _, j in pairs], rtol=1e-6, atol=1e-7)


def test_edit_box_reruns_the_model_and_names_a_new_version(model, bundled_tokenizer, tmp_path) -> None:
    tr_a = al.trace(model, bundled_tokenizer, A)
    lens = al.Lens(tr_a, view="head,compare")
    assert lens._meta["compare"] == {"version": 0, "text_a": A, "text_b": ""}
    sent: list[tuple[dict, list]] = []
    lens.send = lambda content, buffers=None: sent.append((content, buffers or []))  # type: ignore[method-assign]
    lens._on_page_message(lens, {"kind": "request", "what": "edit", "stack": "self", "text": B, "id": 1}, [])
    assert [c["kind"] for c, _ in sent] == ["working", "reply"]
    assert sent[-1][0]["key"] == "edit:self:" + B and sent[-1][0]["data"] == {"version": 1, "text": B}
    np.testing.assert_allclose(lens._session.run(1).attention(0), al.trace(model, bundled_tokenizer, B).attention(0))
    request = {"kind": "request", "what": "compare", "stack": "self", "layer": 0, "version": 1, "id": 2}
    lens._on_page_message(lens, request, [])
    assert sent[-1][0]["kind"] == "reply" and sent[-1][0]["key"] == "compare:self:0:1"
    # The saved page opens on the edited comparison, with every layer.
    lens.save_html(tmp_path / "cmp.html")
    html = (tmp_path / "cmp.html").read_text()
    state = json.loads(re.search(r'class="attnlens-state">(.*?)</script>', html).group(1))
    assert state["_meta"]["compare"]["version"] == 1 and state["_meta"]["compare"]["text_b"] == B
    saved = {"compare:self:0:1", "compare:self:1:1", "compare_attribution:self:1:integrated_gradients"}
    assert saved <= set(state["_replies"])


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"what": "edit", "text": "   "}, "needs a text of 1 to 20,000 characters"),
        ({"what": "compare", "layer": 0, "version": 7}, r"comparison 7 is not kept by the kernel; press Compare"),
        ({"what": "compare_attribution", "version": 1}, "needs a method name"),
    ],
)
def test_bad_compare_requests_say_what_to_do(model, bundled_tokenizer, request_, message) -> None:
    tr = al.trace(model, bundled_tokenizer, A)
    lens = al.compare(tr, al.trace(model, bundled_tokenizer, B))
    reply, _ = answer(tr, request_, lens._session)
    assert reply["kind"] == "error" and re.search(message, reply["message"]), reply


def test_compare_refuses_runs_of_different_models(model, bundled_tokenizer, tokenizer) -> None:
    other = al.trace(build("gpt2", "sdpa"), tokenizer, "The cat sat")
    with pytest.raises(ValueError, match=r"come from different models .* trace both texts with the same model"):
        al.compare(al.trace(model, bundled_tokenizer, A), other)
    with pytest.raises(TypeError, match=r"compare= needs a Trace from attnlens.trace"):
        al.Lens(al.trace(model, bundled_tokenizer, A), compare="The dog sat")
