"""Long inputs: 8,192 tokens on small GPT-2- and Llama-shaped models (SDPA, the default) trace on a
CPU, attention at that length is right (float64 recomputation of a few rows, q/k recomputed from the
weights), and what a Trace stores grows with tokens × width, not tokens²."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from typing import Any

import numpy as np
import pytest
import torch
import transformers as tf

import attnlens as al
from families import VOCAB

N = 8192
LETTERS = list("abcdefghijklmnopqrstuvwxyz")  # one MiniLM token each


def letters(n_tokens: int, seed: int = 0) -> str:
    """Text that MiniLM's tokenizer turns into exactly ``n_tokens`` tokens ([CLS] + letters + [SEP])."""
    return " ".join(np.random.default_rng(seed).choice(LETTERS, n_tokens - 2))


def long_model(family: str, impl: str = "sdpa", layers: int = 2) -> torch.nn.Module:
    torch.manual_seed(0)
    if family == "gpt2":
        config = tf.GPT2Config(n_layer=layers, n_head=2, n_embd=32, n_positions=N, vocab_size=VOCAB,
                               initializer_range=0.3)
        cls: Any = tf.GPT2LMHeadModel
    else:
        config = tf.LlamaConfig(num_hidden_layers=layers, num_attention_heads=2, num_key_value_heads=1,
                                hidden_size=32, intermediate_size=64, max_position_embeddings=N,
                                vocab_size=VOCAB, initializer_range=0.3)
        cls = tf.LlamaForCausalLM
    return cls._from_config(config, attn_implementation=impl).eval()


def stored_bytes(tr: al.Trace, masks: bool = False) -> int:
    """Bytes of what the trace keeps per layer: q/k/v, MLP activations, residual stream (and masks)."""
    st = tr.stack()
    total = st.residual.nbytes + sum(m.nbytes for m in st.mlp)
    for layer in st.layers:
        total += layer.query.nbytes + layer.key.nbytes
        if masks:
            for extra in (layer.mask, layer.bias):
                if extra is not None:
                    total += extra.numel() * extra.element_size()
    return total


def test_the_text_has_exactly_the_requested_tokens(minilm_tokenizer) -> None:
    for n in (16, 4096, N):
        assert len(minilm_tokenizer(letters(n))["input_ids"]) == n
    assert len(minilm_tokenizer("a " * 100)["input_ids"]) == 102





@pytest.fixture(scope="module", params=["gpt2", "llama"])
def long_trace(request, tokenizer):
    model = long_model(request.param)
    return request.param, model, al.trace(model, tokenizer, letters(N))


def _softmax64(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(-1, keepdims=True)
    e = np.exp(scores)
    return e / e.sum(-1, keepdims=True)


def _rotate(x: np.ndarray, positions: np.ndarray, theta: float) -> np.ndarray:
    """Llama's rotary embedding (rotate_half convention) in float64. x [heads, rows, d]."""
    d = x.shape[-1]
    inv_freq = 1.0 / theta ** (np.arange(0, d, 2, dtype=np.float64) / d)
    angles = positions[:, None].astype(np.float64) * inv_freq[None]
    cos, sin = np.cos(np.concatenate([angles, angles], -1)), np.sin(np.concatenate([angles, angles], -1))
    rotated = np.concatenate([-x[..., d // 2 :], x[..., : d // 2]], -1)
    return x * cos + rotated * sin


def _qk64(family: str, model: torch.nn.Module, hidden: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """q and k of layer 1 for ``rows``, recomputed from the block's input and the weights in float64."""
    w = {k: v.detach().double().numpy() for k, v in model.state_dict().items()}
    x = hidden[rows].astype(np.float64)
    if family == "gpt2":
        pre = "transformer.h.1."
        mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
        x = (x - mu) / np.sqrt(var + model.config.layer_norm_epsilon) * w[pre + "ln_1.weight"] + w[pre + "ln_1.bias"]
        qkv = x @ w[pre + "attn.c_attn.weight"] + w[pre + "attn.c_attn.bias"]
        width = model.config.n_embd
        heads = model.config.n_head
        q, k = qkv[:, :width], qkv[:, width : 2 * width]
        split = lambda t: t.reshape(len(rows), heads, -1).transpose(1, 0, 2)  # noqa: E731
        return split(q), split(k)
    pre = "model.layers.1."
    x = x / np.sqrt((x**2).mean(-1, keepdims=True) + model.config.rms_norm_eps) * w[pre + "input_layernorm.weight"]
    heads, kv_heads = model.config.num_attention_heads, model.config.num_key_value_heads
    q = (x @ w[pre + "self_attn.q_proj.weight"].T).reshape(len(rows), heads, -1).transpose(1, 0, 2)
    k = (x @ w[pre + "self_attn.k_proj.weight"].T).reshape(len(rows), kv_heads, -1).transpose(1, 0, 2)
    theta = model.config.rope_parameters["rope_theta"]
    return _rotate(q, rows, theta), _rotate(k, rows, theta)


def test_attention_at_8192_tokens_is_right(long_trace) -> None:
    family, model, tr = long_trace
    assert len(tr.tokens) == N and tr.causal
    attention = tr.attention(1)
    heads = attention.shape[0]
    assert attention.shape == (heads, N, N) and attention.dtype == np.float32
    np.testing.assert_allclose(attention.sum(-1, dtype=np.float64), 1.0, atol=1e-4)

    rows = np.array([0, 1, 2, 1000, 4095, 4096, N - 2, N - 1])
    q, k = tr.queries(1), tr.keys(1)
    assert q.shape[:2] == (heads, N) and k.shape[1] == N
    scaling = tr.stack().layers[1].scaling
    per_kv = heads // k.shape[0]
    for h in range(heads):
        kh = k[h // per_kv].astype(np.float64)
        for i in rows:
            expected = _softmax64(q[h, i].astype(np.float64) @ kh[: i + 1].T * scaling)
            np.testing.assert_allclose(attention[h, i, : i + 1], expected, atol=2e-6, rtol=1e-4)
            assert not attention[h, i, i + 1 :].any()
    assert attention[:, rows].max(-1).mean() > 0.05, "near-uniform rows prove little"

    # q/k themselves, at far positions: from the block's input and the weights, in float64. HF's
    # rotary angles are float32 (position × frequency): at position 8,190 they are off by ~5e-4 rad,
    # so allow that much; a missing or shifted rotation is off by O(1).
    q64, k64 = _qk64(family, model, tr.residual[1], rows)
    tol = dict(atol=1e-4, rtol=1e-4) if family == "gpt2" else dict(atol=2e-3, rtol=1e-3)
    np.testing.assert_allclose(q[:, rows], q64, **tol)
    np.testing.assert_allclose(k[:, rows], k64, **tol)


def test_the_residual_stream_at_8192_tokens_equals_hf(long_trace) -> None:
    _family, model, tr = long_trace
    ids = torch.from_numpy(tr.token_ids)[None]
    with torch.no_grad():
        out = model(ids, output_hidden_states=True)
    hidden = out.hidden_states
    assert tr.residual.shape == (len(hidden), N, model.config.hidden_size)
    for layer in range(len(hidden) - 1):  # HF's last hidden state has the final norm applied
        np.testing.assert_allclose(tr.residual[layer], hidden[layer][0].numpy(), atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(tr.logits[[0, 4096, N - 1]], out.logits[0, [0, 4096, N - 1]].numpy(), atol=1e-4)


def test_stored_arrays_grow_linearly(long_trace, tokenizer) -> None:
    _family, model, tr = long_trace
    half = al.trace(model, tokenizer, letters(N // 2))
    big, small = stored_bytes(tr, masks=True), stored_bytes(half, masks=True)
    assert big <= 2.2 * small, (big, small)
    assert tr.logits.nbytes == N * VOCAB * 4
    half.attention(0), half.attention(1), half.attention(0)
    assert len(half._cache) <= 2  # derived N² matrices are not kept for every layer


def test_an_eager_model_does_not_store_a_mask_per_layer(tokenizer) -> None:
    """Eager models hand every layer the same N² causal mask: keeping one per layer is quadratic
    memory × layers (at 8,192 tokens 64 MiB per layer, 2 GiB for a 32-layer model)."""
    model = long_model("llama", "eager", layers=3)
    n = 2048
    tr = al.trace(model, tokenizer, letters(n))
    masks = [layer.mask for layer in tr.stack().layers if layer.mask is not None]
    mask_bytes = sum(m.numel() * m.element_size() for m in {m.untyped_storage().data_ptr(): m for m in masks}.values())
    assert mask_bytes <= n * n, f"{len(masks)} masks of {masks[0].shape if masks else None}: {mask_bytes} bytes"
