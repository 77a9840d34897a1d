"""TransformerLens 4: al.trace / al.show of a TransformerBridge, and al.from_cache of an ActivationCache.

The reference is the bridge itself: its run_with_cache patterns, residual stream, MLP activations and
logits. Models are built from configs with initializer_range=0.2 (attention far from uniform).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import transformers as tf
from transformer_lens.model_bridge import TransformerBridge

import attnlens as al

TEXT = "the cat sat on the mat because it was tired and the dog ran"


def _model(family: str) -> torch.nn.Module:
    torch.manual_seed(0)
    common = dict(vocab_size=30522, initializer_range=0.2)
    if family == "gpt2":
        config = tf.GPT2Config(n_layer=3, n_head=4, n_embd=64, n_positions=128, **common)
        return tf.GPT2LMHeadModel._from_config(config, attn_implementation="sdpa").eval()
    config = tf.LlamaConfig(num_hidden_layers=3, num_attention_heads=8, num_key_value_heads=2, hidden_size=64,
                            intermediate_size=128, max_position_embeddings=128, **common)  # rotary, grouped-query
    return tf.LlamaForCausalLM._from_config(config, attn_implementation="sdpa").eval()


@pytest.fixture(scope="module", params=["gpt2", "llama"])
def bridge(request, minilm_tokenizer) -> Any:
    return TransformerBridge.boot_transformers(request.param, hf_model=_model(request.param),
                                               tokenizer=minilm_tokenizer)


@pytest.fixture(scope="module")
def run(bridge) -> tuple[torch.Tensor, Any]:
    with torch.no_grad():
        return bridge.run_with_cache(TEXT)  # type: ignore[no-any-return]


def test_trace_of_a_bridge_matches_its_own_cache(bridge, run) -> None:
    logits, cache = run
    tr = al.trace(bridge, TEXT)
    assert tr.tokens == bridge.to_str_tokens(TEXT)
    n_layers = bridge.cfg.n_layers
    assert tr.n_layers == n_layers and tr.n_heads == bridge.cfg.n_heads
    for layer in range(n_layers):
        theirs = cache["pattern", layer][0].numpy()
        assert np.abs(theirs - 1 / np.arange(1, theirs.shape[-1] + 1)[:, None]).max() > 0.3  # far from uniform
        np.testing.assert_allclose(tr.attention(layer), theirs, atol=1e-5, rtol=0)
        np.testing.assert_allclose(tr.residual[layer + 1], cache["resid_post", layer][0].numpy(), atol=1e-4)
        np.testing.assert_allclose(tr.mlp(layer), cache[f"blocks.{layer}.mlp.hook_post"][0].numpy(),
                                   atol=2e-2, rtol=2e-3)  # kept as float16
    np.testing.assert_allclose(tr.logits, logits[0].numpy(), atol=1e-4)
    assert tr.queries(0).shape[0] == bridge.cfg.n_heads  # q/k captured: the neuron view works


def test_bridge_and_model_are_left_as_they_were(bridge, run) -> None:
    logits, _ = run
    modules = [(name, type(m)) for name, m in bridge.original_model.named_modules()]
    tr = al.trace(bridge, TEXT)
    ablated = tr.ablate(heads=[(0, 1)])
    assert not np.allclose(ablated.attention(1), tr.attention(1))
    assert [(name, type(m)) for name, m in bridge.original_model.named_modules()] == modules
    with torch.no_grad():
        again, _ = bridge.run_with_cache(TEXT)
    torch.testing.assert_close(again, logits)


def test_show_takes_a_bridge(bridge) -> None:
    lens = al.show(bridge, TEXT, display=False)
    assert lens.trace.tokens == bridge.to_str_tokens(TEXT)
    assert lens._meta["has_logit_lens"] and lens._meta["can_rerun"]


def test_from_cache_tl4_layout(bridge, run) -> None:
    logits, cache = run
    tokens = bridge.to_str_tokens(TEXT)
    tr = al.from_cache(cache, tokens, unembed=bridge)
    for layer in range(bridge.cfg.n_layers):
        np.testing.assert_array_equal(tr.attention(layer), cache["pattern", layer][0].numpy())
    np.testing.assert_allclose(tr.logits, logits[0].numpy(), atol=1e-4)
    lens = tr.logit_lens(k=1)
    np.testing.assert_array_equal(lens.token_ids[-1, :, 0], logits[0].argmax(-1).numpy())
    assert tr.mlp(0).shape == tuple(cache["blocks.0.mlp.hook_post"][0].shape)
    assert al.Lens(tr)._meta["has_logit_lens"]


def test_from_cache_tl3_layout_without_batch(run) -> None:
    """HookedTransformer (TransformerLens 3) names the same hooks; a dict of them, batch removed, works."""
    _, cache = run
    names = [k for k in cache.keys() if k.endswith(("attn.hook_pattern", "hook_resid_pre", "hook_resid_post"))]
    plain = {k: cache[k][0] for k in names}
    tokens = [f"t{i}" for i in range(plain["blocks.0.attn.hook_pattern"].shape[-1])]
    tr = al.from_cache(plain, tokens)
    np.testing.assert_array_equal(tr.attention(2), plain["blocks.2.attn.hook_pattern"].numpy())
    np.testing.assert_array_equal(tr.residual[0], plain["blocks.0.hook_resid_pre"].numpy())
    with pytest.raises(ValueError, match="MLP activations were not captured"):
        tr.mlp(0)


def test_bad_input_says_what_is_wrong(bridge, run) -> None:
    _, cache = run
    tokens = bridge.to_str_tokens(TEXT)
    own = bridge.tokenizer
    bridge.tokenizer = None
    try:
        with pytest.raises(ValueError, match="TransformerBridge has no tokenizer"):
            al.trace(bridge, TEXT)
    finally:
        bridge._tokenizer = own
    with pytest.raises(ValueError, match="holds no attention patterns"):
        al.from_cache({"blocks.0.hook_resid_pre": cache["blocks.0.hook_resid_pre"]}, tokens)
    with pytest.raises(ValueError, match=f"has {len(tokens)} positions but tokens has {len(tokens) - 1} tokens"):
        al.from_cache(cache, tokens[:-1])
    with pytest.raises(ValueError, match="needs the residual stream"):
        al.from_cache({"blocks.0.attn.hook_pattern": cache["pattern", 0]}, tokens, unembed=bridge)
    with pytest.raises(TypeError, match="ActivationCache"):
        al.from_cache([1, 2], tokens)
