"""The Lens widget on the Python side: state it sends, traits it validates, requests it answers."""

from __future__ import annotations

import ipywidgets
import numpy as np
import pytest
import traitlets
from ipywidgets.widgets.widget import _remove_buffers
from transformers import AutoModel

import attnlens as al
from families import minilm_dir
from wire import decode_array

TEXT = "The quick brown fox jumps over the lazy dog."


@pytest.fixture(scope="module")
def minilm_trace(minilm_tokenizer):
    model = AutoModel.from_pretrained(minilm_dir()).eval()
    return al.trace(model, minilm_tokenizer, TEXT)


@pytest.fixture
def lens(minilm_trace):
    return al.Lens(minilm_trace, layer=1)


def test_initial_state_carries_tokens_and_one_layer_as_binary(lens, minilm_trace) -> None:
    state = lens.get_state()
    assert state["_meta"]["tokens"] == minilm_trace.tokens
    assert state["_meta"]["n_layers"] == 6 and state["_meta"]["n_heads"] == 12
    assert list(state["_replies"]) == ["attention:self:1"]  # later layers travel on request
    _, paths, _buffers = _remove_buffers(state)
    assert paths == [["_replies", "attention:self:1", "arrays", "attention", "buffer"]]
    seeded = state["_replies"]["attention:self:1"]["arrays"]["attention"]
    assert seeded["dtype"] == "float16" and isinstance(seeded["buffer"], bytes)
    np.testing.assert_allclose(decode_array(seeded), minilm_trace.attention(1), atol=1e-3)
    assert state["_meta"]["stacks"][0]["name"] == "self" and state["stack"] == "self"
    assert state["heads"] == list(range(12)) and state["token"] is None and state["layer"] == 1


def test_page_request_gets_the_layer_as_a_binary_buffer(lens, minilm_trace) -> None:
    sent = []
    lens.send = lambda content, buffers=None: sent.append((content, buffers))  # type: ignore[method-assign]
    lens._on_page_message(lens, {"kind": "request", "what": "attention", "stack": "self", "layer": 4, "id": 3}, [])
    content, buffers = sent[-1]
    assert content["kind"] == "reply" and content["key"] == "attention:self:4" and content["id"] == 3
    spec = content["arrays"]["attention"]
    assert spec["shape"] == [12, len(minilm_trace.tokens), len(minilm_trace.tokens)] and len(buffers) == 1
    decoded = decode_array({**spec, "buffer": buffers[spec["buffer"]]})
    np.testing.assert_allclose(decoded, minilm_trace.attention(4), atol=1e-3)
    lens._on_page_message(lens, {"kind": "request", "what": "attention", "layer": 99, "id": 4}, [])
    assert sent[-1][0]["kind"] == "error" and "layer 99 is out of range (0 to 5)" in sent[-1][0]["message"]


@pytest.mark.parametrize(
    ("trait", "value", "message"),
    [
        ("layer", 6, r"layer 6 is out of range: this model has layers 0 to 5"),
        ("layer", -1, r"layer -1 is out of range"),
        ("heads", [1, 1], r"has a duplicate"),
        ("heads", [12], r"heads \[12\] are out of range: this model has heads 0 to 11"),
        ("token", 99, r"token 99 is out of range: the text has tokens 0 to"),
        ("target", -2, r"target -2 is out of range"),
        ("view", "sankey", r"unknown view 'sankey'; choose from \['head', 'model'"),
        ("view", "head,head", r"names a view twice"),
        ("stack", "cross", r"unknown stack 'cross'; this trace has \['self'\]"),
        ("mode", "3d", r"unknown mode '3d'"),
    ],
)
def test_bad_trait_values_are_refused_and_state_is_unchanged(lens, trait, value, message) -> None:
    before = getattr(lens, trait)
    with pytest.raises(traitlets.TraitError, match=message):
        setattr(lens, trait, value)
    assert getattr(lens, trait) == before


def test_heads_are_kept_sorted(lens) -> None:
    lens.heads = [5, 2, 9]
    assert lens.heads == [2, 5, 9]


def test_observers_and_ipywidgets_link_follow_the_selection(lens) -> None:
    seen = []
    lens.observe(lambda change: seen.append(change["new"]), names="layer")
    slider = ipywidgets.IntSlider(min=0, max=5)
    ipywidgets.link((slider, "value"), (lens, "layer"))
    slider.value = 3
    assert lens.layer == 3 and seen[-1] == 3
    lens.layer = 5
    assert slider.value == 5
    lens.token = 2
    assert lens.token == 2


def test_lens_needs_a_trace() -> None:
    with pytest.raises(TypeError, match=r"Lens needs a Trace from attnlens.trace\(\.\.\.\), got str"):
        al.Lens("The cat sat")


def test_show_loads_from_a_path_with_from_pretrained() -> None:
    lens = al.show(minilm_dir(), "Paris is the capital of France.", display=False, layer=2)
    assert lens.layer == 2
    assert lens.trace.tokens[:3] == ["[CLS]", "paris", "is"]
    assert "Lens(Trace(" in repr(lens)


def test_show_with_a_path_that_does_not_exist_says_so() -> None:
    with pytest.raises(ValueError, match="no model directory at '/no/such/model'"):
        al.show("/no/such/model", "hello", display=False)
