"""Large replies travel in chunks of at most 8 MiB (Jupyter server closes a websocket above 10 MiB), and
a Lens seeds its first layer only when it is small; the page asks for the rest."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from ipywidgets.widgets.widget import _remove_buffers
from transformers import GPT2Config, GPT2LMHeadModel

import attnlens as al
from attnlens.widget.protocol import CHUNK_BYTES, SEED_BYTES, chunked
from families import text_of
from wire import decode_array

TOKENS = 1500
HEADS = 4  # 4 x 1500 x 1500 uint8 = 9 MB: over one chunk


def reassemble(messages: list[tuple[dict[str, Any], list[Any]]]) -> tuple[dict[str, Any], list[bytes]]:
    """An independent reading of the chunk format (as the page does it): in order, every byte once."""
    first, _ = messages[0]
    if first["kind"] != "chunk":
        assert len(messages) == 1
        return first, [bytes(b) for b in messages[0][1]]
    out = [bytearray(n) for n in first["sizes"]]
    filled = [0] * len(out)
    for index, (msg, parts) in enumerate(messages):
        assert msg["kind"] == "chunk" and msg["index"] == index and msg["count"] == len(messages)
        assert msg["key"] == first["reply"]["key"] and msg["id"] == first["reply"]["id"]
        assert ("reply" in msg) == (index == 0)
        assert len(parts) == len(msg["pieces"])
        for piece, part in zip(msg["pieces"], parts, strict=True):
            data = bytes(part)
            assert piece["offset"] == filled[piece["buffer"]], "pieces of a buffer come in order, without gaps"
            out[piece["buffer"]][piece["offset"] : piece["offset"] + len(data)] = data
            filled[piece["buffer"]] += len(data)
    assert filled == first["sizes"]
    return first["reply"], [bytes(b) for b in out]


def test_small_reply_is_one_message_unchanged() -> None:
    reply = {"kind": "reply", "key": "k", "id": 1, "arrays": {}, "data": {}}
    [(msg, parts)] = chunked(reply, [b"abc", b"de"], limit=5)
    assert msg is reply and [bytes(p) for p in parts] == [b"abc", b"de"]


@pytest.mark.parametrize("limit", [1, 3, 7, 64, 1000])
def test_chunks_split_buffers_and_reassemble_exactly(limit: int) -> None:
    rng = np.random.default_rng(limit)
    buffers = [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in (0, 50, 1, 333, 7)]
    reply = {"kind": "reply", "key": "attention:self:0", "id": 9, "arrays": {}, "data": {}}
    messages = chunked(reply, buffers, limit=limit)
    total = sum(map(len, buffers))
    assert len(messages) == -(-total // limit)  # as few chunks as fit
    for _msg, parts in messages:
        assert sum(memoryview(p).nbytes for p in parts) <= limit
    got_reply, got = reassemble(messages)
    assert got_reply is reply and got == buffers


def test_chunk_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="chunk limit 0 must be positive"):
        chunked({"key": "k"}, [b"x"], limit=0)


@pytest.fixture(scope="module")
def long_trace(tokenizer) -> al.Trace:
    config = GPT2Config(n_layer=2, n_head=HEADS, n_embd=64, n_positions=2048, vocab_size=tokenizer.vocab_size,
                        initializer_range=0.3)
    torch.manual_seed(0)
    tr = al.trace(GPT2LMHeadModel(config).eval(), tokenizer, text_of(tokenizer, TOKENS))
    assert tr.n_tokens == TOKENS
    return tr


def test_large_layer_is_not_seeded_and_arrives_in_chunks(long_trace: al.Trace) -> None:
    lens = al.Lens(long_trace)
    state = lens.get_state()
    _, _, state_buffers = _remove_buffers(state)
    assert state["_replies"] == {} and sum(memoryview(b).nbytes for b in state_buffers) <= SEED_BYTES
    sent: list[tuple[dict[str, Any], list[Any]]] = []
    lens.send = lambda content, buffers=None: sent.append((content, buffers))  # type: ignore[method-assign]
    lens._on_page_message(lens, {"kind": "request", "what": "attention", "stack": "self", "layer": 1, "id": 5}, [])
    assert len(sent) >= 2 and all(m["kind"] == "chunk" for m, _ in sent)
    assert all(sum(memoryview(p).nbytes for p in parts) <= CHUNK_BYTES for _, parts in sent)
    reply, buffers = reassemble(sent)
    assert reply["kind"] == "reply" and reply["key"] == "attention:self:1" and reply["id"] == 5
    spec = reply["arrays"]["attention"]
    assert spec["dtype"] == "uint8"
    decoded = decode_array({**spec, "buffer": buffers[spec["buffer"]]})
    np.testing.assert_allclose(decoded, long_trace.attention(1), atol=0.5 / 255 + 1e-6)


def test_small_layer_is_still_seeded(tokenizer) -> None:
    config = GPT2Config(n_layer=1, n_head=2, n_embd=32, n_positions=64, vocab_size=tokenizer.vocab_size)
    tr = al.trace(GPT2LMHeadModel(config).eval(), tokenizer, "a short text")
    assert list(al.Lens(tr).get_state()["_replies"]) == ["attention:self:0"]
