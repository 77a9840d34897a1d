"""Attention weights recomputed from captured q/k, exactly as the model's eager kernel would."""

from __future__ import annotations

import torch


def attention_from_qk(
    query: torch.Tensor,
    key: torch.Tensor,
    scaling: float,
    mask: torch.Tensor | None,
    causal: bool,
    softcap: float | None = None,
    bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """softmax(q·kᵀ·scaling [+ mask]) per head.

    query [heads, q_len, d]; key [kv_heads, k_len, d] (grouped-query heads are expanded here the way
    Transformers' ``repeat_kv`` does: head h reads kv head h // (heads / kv_heads)). ``mask`` is the
    model's own mask: boolean (True = may attend) or additive float, broadcastable to
    [heads, q_len, k_len]. ``causal`` applies a lower-triangular mask when no mask was given.
    ``bias`` is an additive score bias such as T5's relative positions, added before the mask.
    Returns float32 [heads, q_len, k_len].
    """
    heads, kv_heads = query.shape[0], key.shape[0]
    if heads % kv_heads:
        raise ValueError(f"{heads} query heads cannot share {kv_heads} key/value heads evenly")
    if kv_heads != heads:
        key = key.repeat_interleave(heads // kv_heads, dim=0)
    scores = torch.matmul(query.float(), key.float().transpose(-1, -2)) * scaling
    if softcap is not None:
        scores = torch.tanh(scores / softcap) * softcap
    if bias is not None:
        scores = scores + bias.float()
    if mask is not None:
        if mask.dtype == torch.bool:
            scores = scores.masked_fill(~mask, float("-inf"))
        else:
            scores = scores + mask.float()
    elif causal:
        q_len, k_len = scores.shape[-2:]
        allowed = torch.ones(q_len, k_len, dtype=torch.bool).tril(k_len - q_len)
        scores = scores.masked_fill(~allowed, float("-inf"))
    return torch.softmax(scores, dim=-1, dtype=torch.float32)
