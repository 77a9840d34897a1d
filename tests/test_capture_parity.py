"""Attention from attnlens equals Hugging Face's own eager ``output_attentions`` to 1e-5."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import AutoModel

import attnlens as al
from families import minilm_dir, random_model

TEXT = "The cat sat on the mat because it was tired, and then the cat slept."
TOL = 1e-5


def eager_reference(model_eager: torch.nn.Module, **batch: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        out = model_eager(**batch, output_attentions=True)
    return np.stack([a[0].numpy() for a in out.attentions])


@pytest.mark.parametrize("impl", ["eager", "sdpa"])
def test_minilm_real_weights_match_eager(impl: str, minilm_tokenizer) -> None:
    model = AutoModel.from_pretrained(minilm_dir(), attn_implementation=impl).eval()
    reference_model = AutoModel.from_pretrained(minilm_dir(), attn_implementation="eager").eval()
    tr = al.trace(model, minilm_tokenizer, TEXT)
    batch = minilm_tokenizer(TEXT, return_tensors="pt")
    ref = eager_reference(reference_model, **batch)
    assert tr.attentions.shape == ref.shape == (6, 12, len(tr.tokens), len(tr.tokens))
    assert np.abs(tr.attentions - ref).max() <= TOL
    assert tr.tokens[0] == "[CLS]" and tr.tokens[-1] == "[SEP]"
    assert not tr.causal
    assert model.config._attn_implementation == impl  # never silently switched


@pytest.mark.parametrize("family", ["gpt2", "llama", "bert"])
@pytest.mark.parametrize("impl", ["eager", "sdpa"])
def test_random_models_match_eager(family: str, impl: str, minilm_tokenizer) -> None:
    model = random_model(family, impl)
    reference_model = random_model(family, "eager")
    reference_model.load_state_dict(model.state_dict())
    batch = dict(minilm_tokenizer(TEXT, return_tensors="pt"))
    tr = al.trace(model, minilm_tokenizer, TEXT)
    ref = eager_reference(reference_model, **batch)
    assert np.abs(tr.attentions - ref).max() <= TOL
    # The test models are far from uniform, so this comparison has teeth.
    assert ref.max(axis=-1).mean() > 0.3
    assert tr.causal == (family != "bert")
    if family == "llama":
        assert tr.keys(0).shape[0] == 2 and tr.queries(0).shape[0] == 8  # grouped-query heads kept
