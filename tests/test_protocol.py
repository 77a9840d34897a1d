"""Requests from the page: every reply decodes to exactly what the trace holds; bad requests get a
message, never an exception in the kernel."""

from __future__ import annotations

import numpy as np
import pytest

import attnlens as al
from attnlens.widget.payloads.mlp import top_neurons
from attnlens.widget.payloads.model import pool_max
from attnlens.widget.protocol import answer, request_key
from families import build
from wire import reply_arrays as arrays

TEXT = "When Mary and John went to the store, John gave a drink to"


@pytest.fixture(scope="module")
def trace(minilm_tokenizer) -> al.Trace:
    return al.trace(build("llama", "sdpa"), minilm_tokenizer, TEXT)


def test_attention_reply(trace) -> None:
    reply, buffers = answer(trace, {"kind": "request", "what": "attention", "stack": "self", "layer": 2, "id": 7})
    assert reply["id"] == 7 and reply["key"] == "attention:self:2"
    np.testing.assert_allclose(arrays(reply, buffers)["attention"], trace.attention(2), atol=1e-3)


def test_thumbnails_keep_each_heads_peak(trace) -> None:
    out = arrays(*answer(trace, {"what": "thumbnails", "stack": "self"}))["thumbnails"]
    n = trace.n_tokens
    assert out.shape == (3, 8, min(n, 32), min(n, 32))
    assert np.allclose(out.max(axis=(-2, -1)), 1.0)  # scaled per head to the full range
    expected = pool_max(trace.attention(1)[3], 32)
    # read from the layer's float16 pyramid: half a uint8 step plus float16 rounding (2⁻¹¹ relative)
    np.testing.assert_allclose(out[1, 3], expected / expected.max(), atol=0.5 / 255 + 1e-3)


def test_pool_max_reference() -> None:
    m = np.arange(36, dtype=np.float32).reshape(6, 6)
    np.testing.assert_array_equal(pool_max(m, 3), [[7, 9, 11], [19, 21, 23], [31, 33, 35]])
    np.testing.assert_array_equal(pool_max(m, 10), m)  # never upsampled


def test_qk_reply_carries_grouped_keys(trace) -> None:
    reply, buffers = answer(trace, {"what": "qk", "stack": "self", "layer": 0})
    out = arrays(reply, buffers)
    np.testing.assert_allclose(out["queries"], trace.queries(0), rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(out["keys"], trace.keys(0), rtol=2e-3, atol=2e-3)
    assert reply["data"] == {"scaling": pytest.approx(trace.stack().layers[0].scaling), "kv_heads": 2, "group": 4}


def test_logit_lens_reply_round_trips(trace) -> None:
    reply, buffers = answer(trace, {"what": "logit_lens", "stack": "self"})
    out = arrays(reply, buffers)
    lens = trace.logit_lens(k=5)
    vocab = reply["data"]["vocab"]
    texts = [[[vocab[i] for i in row] for row in layer] for layer in out["indices"]]
    assert texts == lens.tokens
    np.testing.assert_allclose(out["probs"], lens.probs, atol=1e-3)


def test_mlp_top_and_single_neuron(trace) -> None:
    out = arrays(*answer(trace, {"what": "mlp_top", "stack": "self", "layer": 1}))
    acts = trace.mlp(1)
    ref_idx, ref_val = top_neurons(acts)
    np.testing.assert_array_equal(out["indices"], ref_idx)
    np.testing.assert_allclose(out["values"], ref_val, rtol=1e-3, atol=1e-3)
    assert np.all(np.diff(ref_val, axis=1) <= 0)  # best first
    assert set(ref_idx[0]) == set(np.argsort(-acts[0])[:10])
    neuron = int(ref_idx[3, 0])
    single = arrays(*answer(trace, {"what": "neuron", "stack": "self", "layer": 1, "neuron": neuron}))
    np.testing.assert_allclose(single["activations"], acts[:, neuron], rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"what": "everything"}, "unknown request 'everything'"),
        ({"what": "attention", "layer": 3}, r"layer 3 is out of range \(0 to 2\)"),
        ({"what": "attention", "layer": "1"}, "layer '1' is out of range"),
        ({"what": "attention", "stack": "cross", "layer": 0}, "no attention stack 'cross'"),
        ({"what": "neuron", "layer": 0, "neuron": 10**6}, "neuron 1000000 is out of range"),
        ({"what": "neuron", "layer": 0}, "neuron None is out of range"),
    ],
)
def test_bad_requests_get_an_error_reply(trace, request_, message) -> None:
    reply, buffers = answer(trace, {"kind": "request", "id": 1, **request_})
    assert reply["kind"] == "error" and buffers == [] and reply["id"] == 1
    assert __import__("re").search(message, reply["message"]), reply["message"]


def test_requests_for_what_a_base_model_lacks_say_why(minilm_tokenizer) -> None:
    from transformers import AutoModel

    from families import minilm_dir

    tr = al.trace(AutoModel.from_pretrained(minilm_dir()), minilm_tokenizer, "hello world")
    reply, _ = answer(tr, {"what": "logit_lens"})
    assert reply["kind"] == "error" and "no unembedding" in reply["message"]


def test_request_keys() -> None:
    assert request_key("attention", "self", 3) == "attention:self:3"
    assert request_key("neuron", "decoder", 2, 117) == "neuron:decoder:2:117"
    assert request_key("logit_lens", "self") == "logit_lens:self"
