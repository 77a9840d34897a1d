"""Requests that rerun the model from the page (attribution, ablation): the reply carries exactly
what the Python API computes, the Lens says it is working first, and save_html keeps the answers."""

from __future__ import annotations

import json
import pathlib
import re

import numpy as np
import pytest

import attnlens as al
from attnlens.analysis.attribution import METHODS
from attnlens.bundled import load_model
from attnlens.widget.payloads.ablation import ablation_spec
from attnlens.widget.protocol import answer, request_key
from attnlens.widget.session import Session
from wire import reply_arrays as arrays
from wire import softmax

TEXT = "The cat sat on the mat. The cat sat on the"


@pytest.fixture(scope="module")
def trace(bundled_tokenizer) -> al.Trace:
    return al.trace(load_model(), bundled_tokenizer, TEXT)


@pytest.mark.parametrize("method", ["integrated_gradients", "saliency", "attention_rollout"])
def test_attribution_reply_is_the_api_result(trace, method) -> None:
    pos = 10
    request = {"what": "attribution", "stack": "self", "method": method, "position": pos, "target": "", "contrast": ""}
    reply, buffers = answer(trace, {**request, "id": 5})
    assert reply["id"] == 5 and reply["key"] == f"attribution:self:{method}:{pos}::"
    values = arrays(reply, buffers)["values"]
    expected = trace.attribute(method=method, position=pos)
    np.testing.assert_allclose(values, expected, rtol=1e-6, atol=1e-6)  # float32 on the wire: exact
    data = reply["data"]
    top = int(np.argmax(trace.logits_at(pos)))
    assert data["target_id"] == top and data["position"] == pos and data["contrast_id"] is None
    assert data["target_prob"] == pytest.approx(softmax(trace.logits_at(pos))[top], rel=1e-6)
    assert data["total"] == pytest.approx(float(expected.sum()), rel=1e-5, abs=1e-6)


def test_attribution_with_target_and_contrast_text(trace, bundled_tokenizer) -> None:
    target_id = bundled_tokenizer(" m", add_special_tokens=False)["input_ids"][0]
    contrast_id = bundled_tokenizer(" c", add_special_tokens=False)["input_ids"][0]
    request = {"what": "attribution", "method": "input_x_gradient", "position": 16, "target": " m", "contrast": " c"}
    reply, buffers = answer(trace, request)
    assert reply["key"] == "attribution:self:input_x_gradient:16: m: c"
    expected = trace.attribute(target=target_id, contrast=contrast_id, method="input_x_gradient", position=16)
    np.testing.assert_allclose(arrays(reply, buffers)["values"], expected, rtol=1e-6, atol=1e-6)
    assert (reply["data"]["target_token"], reply["data"]["contrast_token"]) == (" m", " c")


def test_free_text_in_keys_is_escaped(trace) -> None:
    assert request_key("attribution", "self", extra=("lime", "3", "a:b%", "")) == "attribution:self:lime:3:a%3Ab%25:"


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"method": "shapley_magic", "position": 1}, r"unknown attribution method 'shapley_magic'; attnlens offers \["),
        ({"method": "saliency", "position": 99}, r"position 99 is out of range: the text has positions 0 to 16"),
        ({"method": "saliency", "position": 3, "target": "zq zq"}, r"is \d+ tokens .* not one; pass a single token"),
        ({"method": "saliency", "position": 3, "target": 7}, r"target must be a token's text"),
        ({"position": 3}, r"needs a method name"),
    ],
)
def test_bad_attribution_requests_get_an_error_reply(trace, request_, message) -> None:
    reply, buffers = answer(trace, {"what": "attribution", "id": 9, **request_})
    assert reply["kind"] == "error" and buffers == [] and reply["id"] == 9
    assert re.search(message, reply["message"]), reply["message"]


def test_every_offered_method_is_named_in_the_meta(trace) -> None:
    lens = al.Lens(trace)
    assert lens._meta["methods"] == list(METHODS) and lens._meta["can_rerun"] is True


def test_ablation_reply_matches_trace_ablate(trace) -> None:
    heads, neurons = [(1, 1), (1, 0)], [(0, 5)]
    request = {
        "what": "ablation", "stack": "self", "layer": 1, "position": 16, "mode": "zero",
        "heads": [list(x) for x in heads], "neurons": [list(x) for x in neurons],
    }
    session = Session()
    reply, buffers = answer(trace, request, session)
    spec = ablation_spec(heads, neurons, "zero")
    assert spec == "zero;h1.0,h1.1;n0.5"  # js/src/views/ablation/spec.test.ts expects the same string
    assert reply["key"] == f"ablation:self:1:16:{spec}"
    rerun = trace.ablate(heads=heads, neurons=neurons)
    np.testing.assert_allclose(arrays(reply, buffers)["attention"], rerun.attention(1), atol=1e-3)
    before, after = softmax(trace.logits_at(16)), softmax(rerun.logits_at(16))
    rows = reply["data"]["before"]
    assert [r["id"] for r in rows] == list(np.argsort(-before, kind="stable")[:5])
    for r in rows + reply["data"]["after"]:
        assert r["before"] == pytest.approx(before[r["id"]], rel=1e-5)
        assert r["after"] == pytest.approx(after[r["id"]], rel=1e-5)
    assert [r["id"] for r in reply["data"]["after"]] == list(np.argsort(-after, kind="stable")[:5])
    # Cutting the induction layer's heads changes the prediction on the repeated text.
    assert after[rows[0]["id"]] < before[rows[0]["id"]]
    # Another layer of the same ablation reuses the rerun.
    again, _ = answer(trace, {**request, "layer": 0}, session)
    assert again["key"] == f"ablation:self:0:16:{spec}" and len(session._ablations) == 1


def test_ablation_with_nothing_marked_says_what_to_do(trace) -> None:
    reply, _ = answer(trace, {"what": "ablation", "layer": 0, "position": 1, "heads": [], "neurons": []})
    assert reply["kind"] == "error" and "mark heads in the model view" in reply["message"]
    reply, _ = answer(trace, {"what": "ablation", "layer": 0, "position": 1, "heads": [[0, "a"]]})
    assert reply["kind"] == "error" and "list of [layer, index] pairs" in reply["message"]


def test_lens_says_working_then_replies_and_saves_the_answer(trace, tmp_path) -> None:
    lens = al.Lens(trace, view="head,attribution")
    sent: list[tuple[dict, list]] = []
    lens.send = lambda content, buffers=None: sent.append((content, buffers or []))  # type: ignore[method-assign]
    request = {"kind": "request", "what": "attribution", "stack": "self", "method": "saliency", "position": 4,
               "target": "", "contrast": "", "id": 2}
    lens._on_page_message(lens, request, [])
    assert [c["kind"] for c, _ in sent] == ["working", "reply"] and sent[0][0]["id"] == 2
    key = sent[1][0]["key"]
    # A second identical request is answered from the session, not rerun.
    lens._on_page_message(lens, {**request, "id": 3}, [])
    assert sent[-1][0]["key"] == key and sent[-1][0]["id"] == 3
    page = (tmp_path / "lens.html")
    lens.save_html(page)
    state = json.loads(re.search(r'class="attnlens-state">(.*?)</script>', page.read_text()).group(1))
    assert key in state["_replies"]  # computed in the page's session, kept in the export
    # The default attribution (last position, the lens's method) is saved too.
    assert f"attribution:self:integrated_gradients:{len(trace.tokens) - 1}::" in state["_replies"]


@pytest.mark.parametrize(
    ("trait", "value", "message"),
    [
        ("method", "lrp", r"unknown attribution method 'lrp'; choose one of \["),
        ("ablate", ["head:9:0"], r"ablate item 'head:9:0' is out of range: layers 0 to 1"),
        ("ablate", ["heads:0:0"], r"is not 'head:LAYER:HEAD' or 'neuron:LAYER:NEURON'"),
        ("ablate", ["head:0:1", "head:0:1"], r"names a part twice"),
        ("ablate_mode", "resample", r"unknown ablate_mode 'resample'"),
    ],
)
def test_bad_rerun_traits_are_refused(trace, trait, value, message) -> None:
    import traitlets

    lens = al.Lens(trace)
    with pytest.raises(traitlets.TraitError, match=message):
        setattr(lens, trait, value)


def test_marked_parts_read_back_as_ablate_arguments(trace) -> None:
    lens = al.Lens(trace, ablate=["neuron:0:5", "head:1:1"])
    assert lens.ablation() == ([(1, 1)], [(0, 5)])
    ablated = trace.ablate(*lens.ablation())
    assert not np.allclose(ablated.logits_at(16), trace.logits_at(16))


def test_saved_page_shows_kept_answers_and_says_what_needs_a_kernel(
    trace, bundled_tokenizer, browser, tmp_path
) -> None:
    """Offline: the attribution and comparison saved with the page draw; another method says it needs a
    kernel at once (not after a timeout), and nothing leaves the page."""
    other = al.trace(load_model(), bundled_tokenizer, TEXT.replace("cat", "dog"))
    lens = al.compare(trace, other, view="attribution,compare", method="saliency")
    path = pathlib.Path(lens.save_html(tmp_path / "saved.html"))
    url = path.as_uri()
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(url)
        view = page.locator(".al-attribution")
        page.wait_for_function("() => document.querySelector('.al-attribution').dataset.state === 'ready'")
        shown = [float(v) for v in view.locator("[data-position]").evaluate_all("els => els.map(e => e.dataset.value)")]
        np.testing.assert_allclose(shown, trace.attribute(method="saliency"), rtol=1e-6, atol=1e-7)
        page.wait_for_function("() => document.querySelector('.al-compare').dataset.state === 'ready'")
        assert page.locator(".al-compare [data-row='tok_b']").count() == len(other.tokens)
        view.locator('select[data-control="method"]').select_option("lime")
        errored = "() => document.querySelector('.al-attribution').dataset.state === 'error'"
        page.wait_for_function(errored, timeout=2000)
        status = view.locator(".al-status").first.text_content() or ""
        assert "was not saved in this page; it needs a running kernel" in status, status
        assert requests == [url] and not errors, (requests, errors)
    finally:
        page.close()


def test_matrix_reply_is_the_output_by_input_matrix_of_generated_text(bundled_tokenizer) -> None:
    tr = al.generate(load_model(), bundled_tokenizer, "The cat sat on the mat. The cat", max_new_tokens=5)
    request = {"what": "attribution_matrix", "stack": "self", "method": "input_x_gradient", "id": 4}
    reply, buffers = answer(tr, request)
    assert reply["key"] == "attribution_matrix:self:input_x_gradient"
    rows = [p for p, g in enumerate(tr.generated) if g]
    assert reply["data"] == {"rows": rows, "method": "input_x_gradient"}
    expected = tr.attribute_matrix(method="input_x_gradient")
    np.testing.assert_allclose(arrays(reply, buffers)["values"], expected, rtol=1e-6, atol=1e-7)
    # Each row explains its token from the ones before it: nothing after it contributes.
    for i, p in enumerate(rows):
        assert not np.any(arrays(reply, buffers)["values"][i, p:])


def test_matrix_of_a_long_text_is_refused_with_the_python_call_to_use(bundled_tokenizer) -> None:
    tr = al.trace(load_model(), bundled_tokenizer, "word " * 300)
    assert tr.n_tokens > 256
    reply, _ = answer(tr, {"what": "attribution_matrix", "method": "saliency"})
    assert reply["kind"] == "error" and "call trace.attribute_matrix(rows=[...]) from Python" in reply["message"]
