"""``al.from_cache``: a Trace from a TransformerLens ``ActivationCache`` someone already has.

Reads the hook names TransformerLens 3 (``HookedTransformer``) and 4 (``TransformerBridge``) share:
``blocks.{i}.attn.hook_pattern`` (required), ``blocks.0.hook_resid_pre`` with ``blocks.{i}.hook_resid_post``
(the residual stream: the logit lens, given an unembedding) and ``blocks.{i}.mlp.hook_post`` (MLP
neurons, the input of the output projection). A plain dict with these names works too.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import torch

from attnlens.capture.arrays import AttentionStack, as_array, check_tokens, trace_from_arrays
from attnlens.capture.inputs import display_tokens
from attnlens.capture.trace import Trace, Unembedder

PATTERN = re.compile(r"^blocks\.(\d+)\.attn\.hook_pattern$")


def _keys(cache: Any) -> list[str]:
    if not hasattr(cache, "keys") or not hasattr(cache, "__getitem__"):
        raise TypeError(
            f"cache must be a TransformerLens ActivationCache (from model.run_with_cache(...)) or a dict of "
            f"hook name → tensor, got {type(cache).__name__}"
        )
    return [str(k) for k in cache.keys()]


def _one(cache: Any, key: str, batched: bool, batch: int, rank: int) -> np.ndarray:
    """One sequence of ``cache[key]`` as float32 with ``rank`` dimensions."""
    values = as_array(cache[key], key)
    if batched:
        if values.ndim != rank + 1:
            raise ValueError(f"{key} has shape {values.shape}; expected [batch] + {rank} dimensions")
        if not -values.shape[0] <= batch < values.shape[0]:
            raise ValueError(f"batch={batch} is out of range: the cache holds {values.shape[0]} sequences")
        values = values[batch]
    elif values.ndim != rank:
        raise ValueError(f"{key} has shape {values.shape}; expected {rank} dimensions (the cache has no batch)")
    return values


def _layers(keys: list[str]) -> int:
    found = sorted(int(m.group(1)) for k in keys if (m := PATTERN.match(k)))
    if not found:
        raise ValueError(
            "this cache holds no attention patterns (blocks.N.attn.hook_pattern): run run_with_cache "
            "without a names_filter, or one that keeps 'pattern' "
            "(names_filter=lambda name: name.endswith('hook_pattern'))."
        )
    if found != list(range(len(found))):
        missing = sorted(set(range(found[-1] + 1)) - set(found))
        raise ValueError(f"the cache has attention patterns of layers {found} but not of {missing}: cache every layer")
    return len(found)


def _unembedder(unembed: Any) -> Unembedder | None:
    """A TransformerLens model (its ln_final then unembed) or a callable residual rows → logits."""
    if unembed is None:
        return None
    final_norm, head = getattr(unembed, "ln_final", None), getattr(unembed, "unembed", None)
    if isinstance(head, torch.nn.Module):
        device = next(head.parameters()).device

        def run(hidden: torch.Tensor) -> torch.Tensor:
            h = hidden.to(device)[None]
            if isinstance(final_norm, torch.nn.Module):
                h = final_norm(h)
            return head(h)[0].float().cpu()

        return run
    if callable(unembed):
        return lambda hidden: torch.as_tensor(unembed(hidden)).float().cpu()
    raise TypeError(
        f"unembed must be the TransformerLens model the cache came from (its ln_final and unembed are used) "
        f"or a callable mapping residual rows [n, d_model] to logits [n, vocab], got {type(unembed).__name__}"
    )


def _str_tokens(tokens: Any, tokenizer: Any) -> Any:
    """Token ids (a tensor or list of ints) decoded with the tokenizer; strings as they are."""
    if isinstance(tokens, torch.Tensor) or (isinstance(tokens, (list, tuple)) and tokens
                                            and all(isinstance(t, (int, np.integer)) for t in tokens)):
        ids = torch.as_tensor(tokens).reshape(-1).tolist()
        if tokenizer is None:
            raise ValueError("tokens are ids but no tokenizer was given to read them: pass "
                             "model.to_str_tokens(text), or unembed=model / tokenizer=tok")
        return display_tokens(tokenizer, ids)
    return tokens


def from_cache(
    cache: Any,
    tokens: Any,
    *,
    unembed: Any = None,
    tokenizer: Any = None,
    batch: int = 0,
    model_name: str = "TransformerLens cache",
) -> Trace:
    """A Trace (and, with ``al.Lens``, the linked views) of an ``ActivationCache`` you already have.

    ``tokens``: the string tokens (``model.to_str_tokens(text)``), or their ids with a tokenizer.
    ``unembed``: the model the cache came from (or a callable residual → logits) for the logit lens.
    ``batch``: which sequence of a batched cache to show.
    """
    keys = _keys(cache)
    n_layers = _layers(keys)
    batched = bool(getattr(cache, "has_batch_dim", as_array(cache["blocks.0.attn.hook_pattern"], "pattern").ndim == 4))
    attention = np.stack([_one(cache, f"blocks.{i}.attn.hook_pattern", batched, batch, 3) for i in range(n_layers)])
    if attention.shape[2] != attention.shape[3]:
        raise ValueError(f"self-attention patterns must be square, got {attention.shape[2:]} (queries, keys)")
    tokenizer = tokenizer if tokenizer is not None else getattr(unembed, "tokenizer", None)
    str_tokens = check_tokens(_str_tokens(tokens, tokenizer), attention.shape[2], "tokens", "the cache's attention")
    has = set(keys)
    names = ["blocks.0.hook_resid_pre"] + [f"blocks.{i}.hook_resid_post" for i in range(n_layers)]
    residual = np.stack([_one(cache, k, batched, batch, 2) for k in names]) if has.issuperset(names) else None
    mlp_names = [f"blocks.{i}.mlp.hook_post" for i in range(n_layers)]
    mlp = [_one(cache, k, batched, batch, 2) for k in mlp_names] if has.issuperset(mlp_names) else None
    if unembed is not None and residual is None:
        raise ValueError("the logit lens needs the residual stream, but the cache lacks blocks.0.hook_resid_pre "
                         "or some blocks.N.hook_resid_post: run run_with_cache without a names_filter")
    return trace_from_arrays(
        [AttentionStack("self", attention)],
        str_tokens,
        model_name=model_name,
        model_type="transformer_lens",
        residual=residual,
        mlp=mlp,
        unembed=_unembedder(unembed),
        decode=(lambda row: display_tokens(tokenizer, row)) if tokenizer is not None else None,
    )
