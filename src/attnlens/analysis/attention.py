"""Attention weights recomputed from captured q/k, exactly as the model's eager kernel would.

``attention_scores`` is the one place that turns q and k into pre-softmax scores (scaling, softcap,
bias, mask, causality, grouped-query heads), for any block of rows, keys and heads; the full matrix
(``attention_from_qk``) and the level-of-detail summaries (``attention_lod``) both use it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def _pick(extra: torch.Tensor, heads: torch.Tensor | None, rows: slice, cols: slice) -> torch.Tensor:
    """The block of a mask or bias broadcastable to [heads, q, k]: [1 or len(heads), rows, cols]."""
    block = extra[..., rows, cols]
    if block.dim() == 3 and block.shape[0] > 1 and heads is not None:
        block = block[heads]
    return block


def attention_scores(
    query: torch.Tensor,
    key: torch.Tensor,
    scaling: float,
    mask: torch.Tensor | None,
    causal: bool,
    softcap: float | None = None,
    bias: torch.Tensor | None = None,
    rows: tuple[int, int] | None = None,
    cols: tuple[int, int] | None = None,
    heads: Sequence[int] | None = None,
) -> torch.Tensor:
    """Scores q·kᵀ·scaling [softcapped, + bias, masked] of query rows ``rows`` × keys ``cols``
    (half-open ranges, default all) for ``heads`` (default all), float32 [heads, rows, cols].

    query [heads, q_len, d]; key [kv_heads, k_len, d]: head h reads kv head h // (heads / kv_heads),
    as Transformers' ``repeat_kv`` does. ``mask`` is the model's own mask, boolean (True = may
    attend) or additive float, broadcastable to [heads, q_len, k_len]; ``causal`` applies a
    lower-triangular mask (aligned to the last key, as ``is_causal`` does) when no mask was given.
    ``bias`` is an additive score bias such as T5's relative positions, added before the mask.
    Masked scores are -inf (boolean masks and causality).
    """
    n_heads, q_len = query.shape[0], query.shape[1]
    kv_heads, k_len = key.shape[0], key.shape[1]
    if n_heads % kv_heads:
        raise ValueError(f"{n_heads} query heads cannot share {kv_heads} key/value heads evenly")
    r0, r1 = rows if rows is not None else (0, q_len)
    c0, c1 = cols if cols is not None else (0, k_len)
    group = n_heads // kv_heads
    q = (query[:, r0:r1] if heads is None else query[list(heads), r0:r1]).float() * scaling  # [h, rows, d]
    k = key[:, c0:c1]
    if heads is None and group > 1:  # [kv, group·rows, d] @ [kv, d, cols]: no copy of the keys
        scores = torch.matmul(q.reshape(kv_heads, group * (r1 - r0), -1), k.float().transpose(-1, -2))
        scores = scores.reshape(n_heads, r1 - r0, c1 - c0)
    else:
        if group > 1:
            k = k[torch.as_tensor(list(heads or range(n_heads))) // group]  # type: ignore[arg-type]
        elif heads is not None:
            k = k[list(heads)]
        scores = torch.matmul(q, k.float().transpose(-1, -2))
    if softcap is not None:
        scores = torch.tanh(scores / softcap).mul_(softcap)
    pick = torch.as_tensor(list(heads)) if heads is not None else None
    if bias is not None:
        scores = scores.add_(_pick(bias, pick, slice(r0, r1), slice(c0, c1)).float())
    if mask is not None:
        block = _pick(mask, pick, slice(r0, r1), slice(c0, c1))
        if block.dtype == torch.bool:
            scores = scores.masked_fill_(~block, float("-inf"))
        else:
            scores = scores.add_(block.float())
    elif causal:
        # key j is allowed for query i when j ≤ i + (k_len − q_len): only keys after the first row's
        # last allowed key need masking
        offset = k_len - q_len
        lo = max(c0, r0 + offset + 1)
        if lo < c1:
            allowed = torch.arange(lo, c1)[None, :] <= torch.arange(r0, r1)[:, None] + offset
            scores[..., lo - c0 :].masked_fill_(~allowed, float("-inf"))
    return scores


def attention_from_qk(
    query: torch.Tensor,
    key: torch.Tensor,
    scaling: float,
    mask: torch.Tensor | None,
    causal: bool,
    softcap: float | None = None,
    bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """softmax(q·kᵀ·scaling [+ mask]) per head, float32 [heads, q_len, k_len] (see
    ``attention_scores`` for the arguments). A query row whose every key is masked is NaN."""
    scores = attention_scores(query, key, scaling, mask, causal, softcap, bias)
    return torch.softmax(scores, dim=-1, dtype=torch.float32)
