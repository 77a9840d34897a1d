"""The real model shapes every headline figure is measured at (random weights, built from configs).

- ``gpt2-small``: GPT-2 small's 12 layers × 12 heads (absolute positions); width 768, or reduced.
- ``llama-1b``: Llama-3.2-1B's 16 layers × 32 query heads sharing 8 key/value heads (rotary,
  grouped-query); width 2,048, or reduced.

On CPU the width may be reduced (``width=``) to keep long inputs affordable; the layer count, the
head counts and the token count never are: they are what the data path's size depends on.
"""

from __future__ import annotations

from typing import Any

import torch

SHAPES = ("gpt2-small", "llama-1b")
FULL_WIDTH = {"gpt2-small": 768, "llama-1b": 2048}
LAYERS_HEADS = {"gpt2-small": (12, 12, 12), "llama-1b": (16, 32, 8)}  # layers, heads, kv heads


def describe(shape: str, width: int | None = None) -> str:
    layers, heads, kv = LAYERS_HEADS[shape]
    w = width or FULL_WIDTH[shape]
    kv_text = f", {kv} kv" if kv != heads else ""
    return f"{shape} shape ({layers} layers × {heads} heads{kv_text}, {w} wide)"


def build_model(shape: str, n_positions: int, vocab_size: int, width: int | None = None,
                initializer_range: float = 0.3, seed: int = 0) -> Any:
    """A random-weight model of ``shape`` under SDPA that takes ``n_positions`` tokens."""
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}: choose one of {SHAPES}")
    layers, heads, kv = LAYERS_HEADS[shape]
    w = width or FULL_WIDTH[shape]
    if w % heads:
        raise ValueError(f"width {w} is not a multiple of the {heads} heads of {shape}")
    torch.manual_seed(seed)
    if shape == "gpt2-small":
        config = GPT2Config(n_layer=layers, n_head=heads, n_embd=w, n_positions=n_positions,
                            vocab_size=vocab_size, initializer_range=initializer_range)
        model = GPT2LMHeadModel._from_config(config, attn_implementation="sdpa")
    else:
        config = LlamaConfig(num_hidden_layers=layers, hidden_size=w, num_attention_heads=heads,
                             num_key_value_heads=kv, intermediate_size=4 * w, head_dim=w // heads,
                             max_position_embeddings=n_positions, vocab_size=vocab_size,
                             initializer_range=initializer_range)
        model = LlamaForCausalLM._from_config(config, attn_implementation="sdpa")
    return model.eval()
