"""Bad input gets a ValueError/TypeError that says what was wrong and what to do."""

from __future__ import annotations

import pytest

import attnlens as al
from families import random_model


@pytest.fixture(scope="module")
def gpt2():
    return random_model("gpt2", "sdpa")


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("", ValueError, "text is empty"),
        ("   \n", ValueError, "text is empty"),
        (42, TypeError, "text must be a str, got int"),
        (["a", "list"], TypeError, "text must be a str, got list"),
        (None, TypeError, "text must be a str, got NoneType"),
    ],
)
def test_bad_text(gpt2, minilm_tokenizer, text, error, message) -> None:
    with pytest.raises(error, match=message):
        al.trace(gpt2, minilm_tokenizer, text)


def test_text_longer_than_the_model_accepts(gpt2, minilm_tokenizer) -> None:
    with pytest.raises(ValueError, match=r"tokens long but this model accepts at most 256 positions"):
        al.trace(gpt2, minilm_tokenizer, "word " * 400)


def test_tokenizer_that_does_not_fit_the_model(minilm_tokenizer) -> None:
    from transformers import GPT2Config, GPT2LMHeadModel

    small_vocab_model = GPT2LMHeadModel(GPT2Config(n_layer=1, n_head=2, n_embd=16, vocab_size=500))
    with pytest.raises(ValueError, match="does not belong to this model"):
        al.trace(small_vocab_model, minilm_tokenizer, "Zebras quizzically juxtapose vexing xylophones.")


@pytest.mark.parametrize(
    ("model", "tokenizer", "message"),
    [
        ("not a model", None, "model must be a Hugging Face transformers model"),
        (object(), None, "model must be a Hugging Face transformers model"),
    ],
)
def test_not_a_model(model, tokenizer, message, minilm_tokenizer) -> None:
    with pytest.raises(TypeError, match=message):
        al.trace(model, tokenizer or minilm_tokenizer, "hello")


def test_not_a_tokenizer(gpt2) -> None:
    with pytest.raises(TypeError, match="tokenizer must be a Hugging Face tokenizer, got str"):
        al.trace(gpt2, "gpt2", "hello")


def test_layer_out_of_range_on_the_trace(gpt2, minilm_tokenizer) -> None:
    tr = al.trace(gpt2, minilm_tokenizer, "hello there")
    with pytest.raises(ValueError, match=r"layer 3 is out of range: this model has 3 layers \(0 to 2\)"):
        tr.attention(3)
    with pytest.raises(TypeError, match="layer must be an int, got str"):
        tr.attention("1")  # type: ignore[arg-type]
