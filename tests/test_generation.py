"""``al.generate``: the model writes (greedy by default, sampling options passed through), then the
whole sequence is traced. Compared token for token with ``model.generate`` and with HF's eager
attention over the full sequence."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import re

import numpy as np
import pytest
import torch
from transformers import BertForMaskedLM, BertModel

import attnlens as al
from families import build, twin

PROMPT = "The cat sat on the mat because it"
TOL = 5e-5
NEW = 8





def hf_generate(model, tokenizer, prompt: str, **kwargs) -> list[int]:
    batch = tokenizer(prompt, return_tensors="pt")
    with torch.no_grad():
        return model.generate(**batch, **kwargs)[0].tolist()


def stack(attentions) -> np.ndarray:
    return np.stack([a[0].float().numpy() for a in attentions])


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_greedy_generation_equals_hf_and_is_traced_like_hf(family: str, tokenizer) -> None:
    model = build(family, "sdpa")
    generation_config = model.generation_config.to_dict()
    tr = al.generate(model, tokenizer, PROMPT, max_new_tokens=NEW)
    expected = hf_generate(model, tokenizer, PROMPT, max_new_tokens=NEW, do_sample=False, pad_token_id=0)
    n_prompt = len(tokenizer(PROMPT)["input_ids"])
    assert len(expected) == n_prompt + NEW
    assert tr.token_ids.tolist() == expected
    assert tr.generated == [False] * n_prompt + [True] * NEW
    assert tr.tokens == [tokenizer.decode([i]) for i in expected]
    assert tr.special[:n_prompt] == al.trace(model, tokenizer, PROMPT).special
    assert len(set(expected[n_prompt:])) > 1, "a constant continuation proves little"
    # The trace over prompt + output is HF's eager forward over the same ids.
    with torch.no_grad():
        out = twin(model, family, "eager")(torch.tensor([expected]), output_attentions=True)
    ref = stack(out.attentions)
    assert tr.attentions.shape == ref.shape
    assert np.abs(tr.attentions - ref).max() <= TOL
    np.testing.assert_allclose(tr.logits, out.logits[0].numpy(), atol=1e-4)
    lens = tr.logit_lens(k=1)
    # greedy: each generated token is the top prediction after the token before it
    assert lens.token_ids[-1, n_prompt - 1 : -1, 0].tolist() == expected[n_prompt:]
    assert model.generation_config.to_dict() == generation_config
    assert model.config._attn_implementation == "sdpa"


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_the_prompt_rows_of_a_generated_trace_equal_the_prompt_alone(family: str, tokenizer) -> None:
    """Causal models: adding tokens after the prompt changes nothing the prompt tokens see."""
    model = build(family, "sdpa")
    full = al.generate(model, tokenizer, PROMPT, max_new_tokens=4)
    alone = al.trace(model, tokenizer, PROMPT)
    n = len(alone.tokens)
    for layer in range(alone.n_layers):
        np.testing.assert_allclose(full.attention(layer)[:, :n, :n], alone.attention(layer), atol=1e-5)
        np.testing.assert_array_equal(full.attention(layer)[:, :n, n:], 0.0)
    np.testing.assert_allclose(full.residual[:, :n], alone.residual, atol=1e-4)


def test_generation_that_stops_at_eos_marks_only_what_was_written(tokenizer) -> None:
    model = build("gpt2", "sdpa")
    greedy = al.generate(model, tokenizer, PROMPT, max_new_tokens=NEW).token_ids.tolist()
    n_prompt = len(tokenizer(PROMPT)["input_ids"])
    eos = greedy[n_prompt + 2]
    assert eos not in greedy[n_prompt : n_prompt + 2]
    tr = al.generate(model, tokenizer, PROMPT, max_new_tokens=NEW, eos_token_id=eos)
    assert tr.token_ids.tolist() == greedy[: n_prompt + 3]
    assert tr.generated == [False] * n_prompt + [True] * 3


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_a_tokenizer_that_returns_token_type_ids(family: str, minilm_tokenizer) -> None:
    """``al.trace`` accepts MiniLM's tokenizer (it returns token_type_ids) with GPT-2 and Llama; so must
    ``al.generate``, and its trace must be of the inputs the model generated from: each generated token
    is the top logit of the trace at the position before it, and the prompt rows equal ``al.trace``'s
    (GPT-2 adds an embedding for token_type_ids, so dropping them for the trace changes everything)."""
    model = build(family, "sdpa")
    assert "token_type_ids" in minilm_tokenizer(PROMPT)
    alone = al.trace(model, minilm_tokenizer, PROMPT)
    tr = al.generate(model, minilm_tokenizer, PROMPT, max_new_tokens=NEW)
    n = len(alone.tokens)
    assert tr.generated == [False] * n + [True] * NEW
    assert tr.logits[n - 1 : -1].argmax(-1).tolist() == tr.token_ids[n:].tolist()
    np.testing.assert_allclose(tr.logits[:n], alone.logits, atol=1e-4)


@pytest.mark.parametrize("family", ["t5", "bart"])
def test_seq2seq_generation_covers_the_decoder_output(family: str, tokenizer) -> None:
    model = build(family, "sdpa")
    tr = al.generate(model, tokenizer, PROMPT, max_new_tokens=6)
    expected = hf_generate(model, tokenizer, PROMPT, max_new_tokens=6, do_sample=False)
    assert tr.decoder_ids.tolist() == expected
    assert expected[0] == model.config.decoder_start_token_id
    assert tr.generated == [False] + [True] * (len(expected) - 1)
    assert tr.tokens == tokenizer.convert_ids_to_tokens(tokenizer(PROMPT)["input_ids"])
    assert tr.decoder_tokens == [tokenizer.decode([i]) for i in expected]
    batch = tokenizer(PROMPT, return_tensors="pt")
    with torch.no_grad():
        out = twin(model, family, "eager")(**batch, decoder_input_ids=torch.tensor([expected]),
                                            output_attentions=True)
    for name, attentions in [("encoder", out.encoder_attentions), ("decoder", out.decoder_attentions),
                             ("cross", out.cross_attentions)]:
        ours = np.stack([tr.attention(i, name) for i in range(len(attentions))])
        assert ours.shape == stack(attentions).shape, name
        assert np.abs(ours - stack(attentions)).max() <= TOL, name
    assert tr.attention(0, "cross").shape[1:] == (len(expected), len(tr.tokens))
    np.testing.assert_allclose(tr.logits, out.logits[0].numpy(), atol=1e-4)


@pytest.mark.parametrize("family", ["gpt2", "t5"])
def test_sampling_options_pass_through(family: str, tokenizer) -> None:
    model = build(family, "sdpa")
    options = dict(do_sample=True, top_k=50, temperature=1.5)
    torch.manual_seed(1234)
    tr = al.generate(model, tokenizer, PROMPT, max_new_tokens=NEW, **options)
    torch.manual_seed(1234)
    extra = {"pad_token_id": 0} if family == "gpt2" else {}
    expected = hf_generate(model, tokenizer, PROMPT, max_new_tokens=NEW, **options, **extra)
    ids = tr.decoder_ids if family == "t5" else tr.token_ids
    assert ids.tolist() == expected
    greedy = al.generate(model, tokenizer, PROMPT, max_new_tokens=NEW)
    assert (greedy.decoder_ids if family == "t5" else greedy.token_ids).tolist() != expected


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, None, "3"])
def test_max_new_tokens_must_be_a_positive_int(bad, tokenizer) -> None:
    with pytest.raises(ValueError, match=re.escape(f"max_new_tokens must be a positive int, got {bad!r}")):
        al.generate(build("gpt2", "sdpa"), tokenizer, PROMPT, max_new_tokens=bad)


def test_prompt_plus_new_tokens_beyond_the_positions(tokenizer) -> None:
    model = build("gpt2", "sdpa")  # 256 positions
    prompt = "a " * 248  # 250 tokens with [CLS] and [SEP]
    assert len(tokenizer(prompt)["input_ids"]) == 250
    with pytest.raises(ValueError, match=re.escape(
        "the prompt (250 tokens) plus max_new_tokens (7) exceeds this model's 256 positions; "
        "lower max_new_tokens to at most 6."
    )):
        al.generate(model, tokenizer, prompt, max_new_tokens=7)
    tr = al.generate(model, tokenizer, prompt, max_new_tokens=6)  # exactly at the limit
    assert len(tr.tokens) == 256 and sum(tr.generated) == 6


@pytest.mark.parametrize("cls", [BertModel, BertForMaskedLM])
def test_a_model_that_cannot_generate(cls, tokenizer) -> None:
    model = cls._from_config(build("bert", "sdpa").config).eval()
    with pytest.raises(TypeError, match=re.escape(
        f"{cls.__name__} cannot generate text; load a language model (AutoModelForCausalLM or "
        "AutoModelForSeq2SeqLM)."
    )):
        al.generate(model, tokenizer, PROMPT)
