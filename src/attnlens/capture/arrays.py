"""A Trace from arrays someone already has (no model run): attention, and optionally the residual
stream, MLP activations and an unembedding. The BertViz and CircuitsVis drop-ins and ``al.from_cache``
all build their Trace here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from attnlens.capture.trace import LayerAttentionInputs, Stack, Trace, Unembedder

SPECIAL = {"[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]", "<s>", "</s>", "<pad>", "<unk>", "<mask>",
           "<|endoftext|>", "<cls>", "<sep>", "<bos>", "<eos>", "<|begin_of_text|>"}


def as_array(values: Any, name: str) -> np.ndarray:
    """A torch tensor, numpy array or nested list → float32 numpy, with a clear error otherwise."""
    if isinstance(values, torch.Tensor):
        return values.detach().to("cpu", torch.float32).numpy()
    if isinstance(values, (str, bytes, dict)) or values is None:
        raise TypeError(f"{name} must be a tensor, array or nested list of numbers, got {type(values).__name__}")
    try:
        array = np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a tensor, array or nested list of numbers ({err})") from None
    return array


def check_tokens(tokens: Any, n: int, name: str = "tokens", what: str = "the attention") -> list[str]:
    """``tokens`` as a list of str, as long as the arrays' positions."""
    if tokens is None:
        raise ValueError(f"'{name}' is required: one string per position of {what}")
    if isinstance(tokens, str) or not all(isinstance(t, str) for t in tokens):
        raise ValueError(f"'{name}' must be a list of token strings (e.g. model.to_str_tokens(text))")
    tokens = list(tokens)
    if len(tokens) != n:
        shown = " ".join(tokens[:20]) + (" …" if len(tokens) > 20 else "")
        raise ValueError(f"{what} has {n} positions but {name} has {len(tokens)} tokens: {shown}")
    return tokens


@dataclass
class AttentionStack:
    """One stack's attention, [layers, heads, queries, keys], and which tokens its rows and columns are."""

    name: str
    attention: np.ndarray
    queries: str = "input"
    keys: str = "input"


def trace_from_arrays(
    stacks: Sequence[AttentionStack],
    tokens: list[str],
    *,
    model_name: str,
    model_type: str,
    special: list[bool] | None = None,
    segments: list[int] | None = None,
    decoder_tokens: list[str] | None = None,
    residual: np.ndarray | None = None,
    mlp: list[np.ndarray] | None = None,
    unembed: Unembedder | None = None,
    decode: Callable[[list[int]], list[str]] | None = None,
    token_ids: np.ndarray | None = None,
) -> Trace:
    """A model-less Trace. ``residual`` [layers + 1, tokens, width] and ``mlp`` (per layer [tokens,
    neurons]) belong to the first stack; with ``unembed`` (residual rows → logits) the logit lens works."""
    if not stacks:
        raise ValueError("a trace needs the attention of at least one stack")
    for st in stacks:
        if not np.all(np.isfinite(st.attention)):
            raise ValueError(f"the {st.name} attention contains NaN or infinite values")
    n = len(tokens)
    first = stacks[0].name
    built = {
        st.name: Stack(
            st.name, st.queries, st.keys, eager=np.ascontiguousarray(st.attention, dtype=np.float32),
            residual=residual if st.name == first else None,
            mlp=[np.clip(m, -65504, 65504).astype(np.float16) for m in mlp] if mlp is not None and st.name == first
            else None,
        )
        for st in stacks
    }
    return Trace(
        tokens=tokens,
        token_ids=token_ids if token_ids is not None else np.full(n, -1, np.int64),
        special=special if special is not None else [t.strip() in SPECIAL for t in tokens],
        model_name=model_name,
        model_type=model_type,
        stacks=built,
        segments=segments,
        decoder_tokens=decoder_tokens,
        _unembed=unembed,
        _decode=decode,
        logits_stack=first,
    )


def token_values_trace(tokens: list[str], values: np.ndarray, *, model_name: str, model_type: str) -> Trace:
    """One value per token, shown as the single "neuron" of a one-layer MLP (the MLP view colours every
    token by it). Its attention is a placeholder (uniform over earlier tokens, computed only if viewed)
    of O(tokens) memory, so long inputs stay cheap."""
    n = len(tokens)
    if values.shape != (n,):
        raise ValueError(f"values must hold one number per token ({n}), got shape {tuple(values.shape)}")
    if not np.all(np.isfinite(values)):
        raise ValueError("values contain NaN or infinite numbers")
    placeholder = LayerAttentionInputs(query=np.zeros((1, n, 1), np.float32), key=np.zeros((1, n, 1), np.float32),
                                       mask=None, causal=True, scaling=1.0)
    stack = Stack("self", "input", "input", layers=[placeholder],
                  mlp=[np.clip(values, -65504, 65504).astype(np.float16)[:, None]])
    return Trace(tokens=tokens, token_ids=np.full(n, -1, np.int64), special=[t.strip() in SPECIAL for t in tokens],
                 model_name=model_name, model_type=model_type, stacks={"self": stack})
