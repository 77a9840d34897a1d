"""Capture leaves the user's model and the process exactly as they were, also after an error."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest
import torch
from transformers import OPTConfig, OPTForCausalLM
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

import attnlens as al
from families import VOCAB, random_model

TEXT = "Mary and John went to the store."


def hook_counts(model: torch.nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


def test_hooks_and_registry_are_restored_after_a_failing_forward(minilm_tokenizer) -> None:
    model = random_model("gpt2", "sdpa")
    before = hook_counts(model)

    def explode(*_args: object) -> None:
        raise RuntimeError("boom inside the model")

    bomb = model.transformer.h[1].mlp.register_forward_hook(explode)
    with pytest.raises(RuntimeError, match="boom"):
        al.trace(model, minilm_tokenizer, TEXT)
    bomb.remove()
    assert hook_counts(model) == before
    assert "get_interface" not in vars(ALL_ATTENTION_FUNCTIONS)
    # and the model still traces normally afterwards
    assert al.trace(model, minilm_tokenizer, TEXT).n_layers == 3


def test_training_flag_and_attn_implementation_are_kept(minilm_tokenizer) -> None:
    model = random_model("llama", "sdpa").train()
    al.trace(model, minilm_tokenizer, TEXT)
    assert model.training and all(m.training for m in model.modules())
    assert model.config._attn_implementation == "sdpa"
    assert hook_counts(model) == 0


def test_two_traces_in_threads_do_not_interfere(minilm_tokenizer) -> None:
    models = [random_model("gpt2", "sdpa", seed=1), random_model("llama", "sdpa", seed=2)]
    expected = [al.trace(m, minilm_tokenizer, TEXT).attentions for m in models]
    results: dict[int, np.ndarray] = {}

    def run(i: int) -> None:
        for _ in range(3):
            results[i] = al.trace(models[i], minilm_tokenizer, TEXT).attentions

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(2):
        np.testing.assert_allclose(results[i], expected[i], atol=1e-6)


def test_model_without_adapter_falls_back_to_eager_attentions_with_a_warning(minilm_tokenizer) -> None:
    torch.manual_seed(0)
    config = OPTConfig(num_hidden_layers=2, num_attention_heads=4, hidden_size=64, ffn_dim=128,
                       vocab_size=VOCAB, max_position_embeddings=128, init_std=0.3)
    model = OPTForCausalLM._from_config(config, attn_implementation="sdpa").eval()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tr = al.trace(model, minilm_tokenizer, TEXT)
    messages = [str(w.message) for w in caught if "adapter" in str(w.message)]
    assert len(messages) == 1 and "'opt'" in messages[0]
    assert model.config._attn_implementation == "sdpa"  # switched for the pass only
    batch = minilm_tokenizer(TEXT, return_tensors="pt")
    model.set_attn_implementation("eager")
    with torch.no_grad():
        ref = model(**batch, output_attentions=True).attentions
    np.testing.assert_allclose(tr.attentions, np.stack([a[0].numpy() for a in ref]), atol=1e-6)
    with pytest.raises(ValueError, match="no adapter"):
        tr.mlp(0)
