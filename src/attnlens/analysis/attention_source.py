"""Where one layer's attention probabilities come from, a block at a time: q and k (``QKSource``,
exact from the scores and the per-row log-sum-exp) or stored dense weights (``DenseSource``, the
eager fallback of models without an adapter)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np
import torch

from attnlens.analysis.attention import attention_scores

if TYPE_CHECKING:
    from attnlens.capture.trace import LayerAttentionInputs


class Source(Protocol):
    n_heads: int
    n_queries: int
    n_keys: int
    width: int  # floats per query row of one head handed to a column computation
    lse: torch.Tensor | None

    def key_end(self, row_end: int) -> int:
        """Keys [0, key_end) may carry weight for the query rows before ``row_end``; after it, exact zeros."""

    def probs(self, r0: int, r1: int, c0: int, c1: int, heads: Sequence[int] | None) -> torch.Tensor:
        """Attention of rows [r0, r1) × keys [c0, c1), float32 [heads, rows, keys]."""


def _future_offset(inputs: LayerAttentionInputs, n_queries: int, n_keys: int) -> int | None:
    """k_len − q_len when no query may attend to a key after position i + k_len − q_len and every
    query has at least one key (so skipped keys are zeros, never part of a NaN row); else None."""
    offset = n_keys - n_queries
    if offset < 0:
        return None
    if inputs.mask is None:
        return offset if inputs.causal else None
    mask = inputs.mask
    if mask.dtype != torch.bool:
        return None
    future = torch.ones(mask.shape[-2:], dtype=torch.bool).triu(offset + 1)
    if bool(mask[..., future].any()) or not bool(mask.any(-1).all()):
        return None
    return offset


class QKSource:
    """Exact attention of one layer from its captured q, k (and mask, bias, softcap)."""

    def __init__(self, inputs: LayerAttentionInputs) -> None:
        self.inputs = inputs
        self.query = torch.from_numpy(inputs.query)
        self.key = torch.from_numpy(inputs.key)
        self.n_heads, self.n_queries, self.width = (int(s) for s in self.query.shape)
        self.n_keys = int(self.key.shape[1])
        self.offset = _future_offset(inputs, self.n_queries, self.n_keys)
        self.lse: torch.Tensor | None = None  # set by summarize

    def key_end(self, row_end: int) -> int:
        return self.n_keys if self.offset is None else max(0, min(self.n_keys, row_end + self.offset))

    def scores(self, r0: int, r1: int, c0: int, c1: int, heads: Sequence[int] | None) -> torch.Tensor:
        i = self.inputs
        return attention_scores(
            self.query, self.key, i.scaling, i.mask, i.causal, i.softcap, i.bias, (r0, r1), (c0, c1), heads
        )

    def probs(self, r0: int, r1: int, c0: int, c1: int, heads: Sequence[int] | None) -> torch.Tensor:
        if self.lse is None:
            raise RuntimeError("summarize the layer first: exact values need its per-row log-sum-exp")
        lse = self.lse[:, r0:r1] if heads is None else self.lse[list(heads), r0:r1]
        return self.scores(r0, r1, c0, c1, heads).sub_(lse[..., None]).exp_()


class DenseSource:
    """Attention weights held whole, [heads, Nq, Nk] (models attnlens has no adapter for)."""

    def __init__(self, weights: np.ndarray) -> None:
        self.weights = torch.from_numpy(np.ascontiguousarray(weights, dtype=np.float32))
        self.n_heads, self.n_queries, self.n_keys = (int(s) for s in self.weights.shape)
        self.width = 1
        self.lse: torch.Tensor | None = None

    def key_end(self, row_end: int) -> int:
        return self.n_keys

    def probs(self, r0: int, r1: int, c0: int, c1: int, heads: Sequence[int] | None) -> torch.Tensor:
        block = self.weights[:, r0:r1, c0:c1] if heads is None else self.weights[list(heads), r0:r1, c0:c1]
        return block.float()
