"""Level-of-detail attention of one layer: what the screen shows, never a heads × N × N array.

A ``LayerLod`` answers, for one layer:

- ``tile``: the attention pooled (max or mean) into cells of ``block`` × ``block`` entries, one tile
  of at most ``TILE`` × ``TILE`` cells. The *stored levels* (every power-of-two block whose whole
  grid fits in one tile) come from a pyramid computed once per layer by ``summarize``; finer blocks
  are computed on demand over the tile's rows × keys only.
- ``top_keys``: per head and query row of a window, the k keys of largest weight, exact.
- ``row`` (a full row or column), ``cell`` (one entry for every head), exact.

``summarize`` makes one chunked pass over the query rows (peak extra memory about heads × rows per
chunk × keys float32, within ``BUDGET``) and keeps per head and row the log-sum-exp of the scores
(float32 [heads, Nq]) plus the pyramid (max and mean, float16 [heads, ceil(Nq/b), ceil(Nk/b)] per
stored block b; at block 1 the max is the value and the mean the same array). Exact values come
from q, k and that log-sum-exp. Causal layers skip every key after a chunk's last row (exact zeros).

A query row whose every key is masked (a padding query) is NaN throughout, as in
``attention_from_qk``: its pooled cells, top keys' weights, rows and cells are NaN.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch

from attnlens.analysis.attention import attention_scores
from attnlens.analysis.attention_pool import Chunk, cells, coarsen, counts, pool, row_step
from attnlens.analysis.attention_source import DenseSource, QKSource, Source

if TYPE_CHECKING:
    from attnlens.capture.trace import LayerAttentionInputs

TILE = 512
"""Cells per tile side."""
BUDGET = 64 << 20
"""Bytes of float32 scores per chunk; the pass holds a few such buffers at once."""
POOLS = ("max", "mean")

__all__ = ["BUDGET", "TILE", "LayerLod", "LayerSummary", "attention_scores", "stored_block", "summarize"]


def stored_block(n_queries: int, n_keys: int, side: int = TILE) -> int:
    """The smallest power-of-two block whose grid ceil(Nq/b) × ceil(Nk/b) fits in side × side."""
    block = 1
    while cells(n_queries, block) > side or cells(n_keys, block) > side:
        block *= 2
    return block


@dataclass
class LayerSummary:
    """One layer's pyramid and per-row log-sum-exp (None for a layer held as dense weights)."""

    n_queries: int
    n_keys: int
    finest: int  # the finest stored block
    lse: torch.Tensor | None  # float32 [heads, Nq]
    levels: dict[int, tuple[torch.Tensor, torch.Tensor]] = field(default_factory=dict)  # block → (max, mean)

    @property
    def coarsest(self) -> int:
        return max(self.levels)

    @property
    def nbytes(self) -> int:
        """Bytes held: each level's arrays once (block 1 shares max and mean), plus the log-sum-exp."""
        held = {id(t): t.numel() * t.element_size() for pair in self.levels.values() for t in pair}
        return sum(held.values()) + (0 if self.lse is None else self.lse.numel() * 4)


def summarize(source: Source, budget: int = BUDGET) -> LayerSummary:
    """The pyramid and log-sum-exp of one layer, in one chunked pass over its query rows."""
    nq, nk, heads = source.n_queries, source.n_keys, source.n_heads
    finest = stored_block(nq, nk)
    qk = source if isinstance(source, QKSource) else None
    lse = torch.empty(heads, nq) if qk is not None else None

    def chunk(ra: int, rb: int) -> Chunk:
        end = source.key_end(rb)
        if end <= 0:
            return None
        if lse is None or qk is None:
            return source.probs(ra, rb, 0, end, None)
        scores = qk.scores(ra, rb, 0, end, None)
        peak = scores.amax(-1, keepdim=True)  # a fully masked row: -inf, so NaN from here on
        scores = scores.sub_(peak).exp_()
        total = scores.sum(-1, keepdim=True)
        lse[:, ra:rb] = (peak + total.log())[..., 0]
        return scores, total

    mx, sm = pool(chunk, nq, nk, finest, heads, row_step(heads, nk, budget))
    summary = LayerSummary(nq, nk, finest, lse)
    block = finest
    while True:
        mean = mx if block == 1 else sm / counts(nq, nk, block)
        summary.levels[block] = (mx.half(), mean.half()) if block > 1 else (mx.half(),) * 2
        if cells(nq, block) == 1 and cells(nk, block) == 1:
            break
        mx, sm = coarsen(mx, sm)
        block *= 2
    if lse is not None:
        source.lse = lse
    return summary


def _positive(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return int(value)


def _in_range(value: object, name: str, limit: int) -> int:
    v = _positive(value, name)
    if not 0 <= v < limit:
        raise ValueError(f"{name} {v} is out of range (0 to {limit - 1})")
    return v


class LayerLod:
    """Level-of-detail answers for one layer; the summary is computed on first use and kept."""

    def __init__(self, source: Source, budget: int = BUDGET) -> None:
        self.source = source
        self.budget = budget
        self._summary: LayerSummary | None = None

    @classmethod
    def from_inputs(cls, inputs: LayerAttentionInputs, budget: int = BUDGET) -> LayerLod:
        return cls(QKSource(inputs), budget)

    @classmethod
    def from_weights(cls, weights: np.ndarray, budget: int = BUDGET) -> LayerLod:
        return cls(DenseSource(weights), budget)

    @property
    def summary(self) -> LayerSummary:
        if self._summary is None:
            self._summary = summarize(self.source, self.budget)
        return self._summary

    def check_heads(self, heads: list[int] | None) -> list[int] | None:
        """None (all heads) or a sorted list of unique heads in range."""
        if heads is None:
            return None
        n = self.source.n_heads
        if not isinstance(heads, (list, tuple)) or not heads:
            raise ValueError(f"heads must be a non-empty list of head indices (0 to {n - 1}), got {heads!r}")
        picked = [_in_range(h, "head", n) for h in heads]
        if picked != sorted(set(picked)):
            raise ValueError(f"heads must be sorted and unique, got {list(heads)}")
        return None if len(picked) == n else picked

    def tile_bounds(self, block: int, row: int, col: int) -> tuple[int, int, int, int]:
        """[r0, r1), [c0, c1): the query and key tokens of tile (row, col) at ``block``."""
        block = _positive(block, "block")
        if block < 1 or block & (block - 1):
            raise ValueError(f"block must be a power of two ≥ 1, got {block}")
        span = TILE * block
        nq, nk = self.source.n_queries, self.source.n_keys
        row = _in_range(row, f"tile row at block {block}", cells(nq, span))
        col = _in_range(col, f"tile col at block {block}", cells(nk, span))
        return row * span, min(nq, (row + 1) * span), col * span, min(nk, (col + 1) * span)

    def tile(
        self, heads: list[int] | None, pool_name: str, block: int, row: int, col: int, per_head: bool = True
    ) -> np.ndarray:
        """Pooled tile per head, float32 [len(heads) or H, cells_r, cells_c], or (``per_head``
        False) its mean over those heads, [cells_r, cells_c]."""
        if pool_name not in POOLS:
            raise ValueError(f"pool must be 'max' or 'mean', got {pool_name!r}")
        heads = self.check_heads(heads)
        r0, r1, c0, c1 = self.tile_bounds(block, row, col)
        summary = self.summary
        if block >= summary.finest:
            level = summary.levels[min(block, summary.coarsest)][POOLS.index(pool_name)]
            picked = (level if heads is None else level[heads]).float()  # a stored grid is one tile: (0, 0)
        else:
            picked = self._tile_on_demand(heads, pool_name, block, r0, r1, c0, c1)
        return (picked if per_head else picked.mean(0)).numpy()

    def _tile_on_demand(
        self, heads: list[int] | None, pool_name: str, block: int, r0: int, r1: int, c0: int, c1: int
    ) -> torch.Tensor:
        source = self.source

        def chunk(ra: int, rb: int) -> torch.Tensor | None:
            end = min(c1, source.key_end(r0 + rb))
            return None if end <= c0 else source.probs(r0 + ra, r0 + rb, c0, end, heads)

        n_heads = source.n_heads if heads is None else len(heads)
        mx, sm = pool(chunk, r1 - r0, c1 - c0, block, n_heads, row_step(n_heads, c1 - c0, self.budget))
        return mx if pool_name == "max" else sm / counts(r1 - r0, c1 - c0, block)

    def top_keys(self, start: int, count: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per head and query row in [start, start + count): the k' = min(k, Nk) keys of largest
        weight, largest first, ties by smaller key: index uint32 [H, rows, k'], weight float32,
        and the row's mass (sum of those weights) float32 [H, rows]."""
        nq, nk = self.source.n_queries, self.source.n_keys
        start = _in_range(start, "start", nq)
        if _positive(count, "count") < 1 or _positive(k, "k") < 1:
            raise ValueError(f"count and k must be ≥ 1, got count={count}, k={k}")
        end, k = min(nq, start + count), min(k, nk)
        self.summary  # noqa: B018  (the log-sum-exp)
        step = row_step(self.source.n_heads, nk, self.budget // 4)
        index, weight = [], []
        for ra in range(start, end, step):
            rb = min(end, ra + step)
            probs = self.source.probs(ra, rb, 0, self.source.key_end(rb), None)
            if probs.shape[-1] < k:  # keys after a causal row's last are exact zeros
                probs = torch.nn.functional.pad(probs, (0, k - probs.shape[-1]))
            i, w = _stable_top_k(probs, k)
            index.append(i)
            weight.append(w)
        idx, w = torch.cat(index, 1), torch.cat(weight, 1)
        return idx.numpy().astype(np.uint32), w.numpy(), w.sum(-1).numpy()

    def row(self, index: int, side: str) -> np.ndarray:
        """A_h[index, :] (side "query") or A_h[:, index] (side "key") for every head, float32 [H, n]."""
        source = self.source
        if side not in ("query", "key"):
            raise ValueError(f"side must be 'query' or 'key', got {side!r}")
        self.summary  # noqa: B018
        nq, nk = source.n_queries, source.n_keys
        if side == "query":
            i = _in_range(index, "index (a query token)", nq)
            out = torch.zeros(source.n_heads, nk)
            end = source.key_end(i + 1)
            out[:, :end] = source.probs(i, i + 1, 0, end, None)[:, 0]
            return out.numpy()
        j = _in_range(index, "index (a key token)", nk)
        out = torch.zeros(source.n_heads, nq)
        step = row_step(source.n_heads, source.width, self.budget)
        for ra in range(0, nq, step):
            rb = min(nq, ra + step)
            if source.key_end(rb) > j:
                out[:, ra:rb] = source.probs(ra, rb, j, j + 1, None)[..., 0]
        return out.numpy()

    def cell(self, row: int, col: int) -> np.ndarray:
        """A_h[row, col] for every head, float32 [H]."""
        i = _in_range(row, "row (a query token)", self.source.n_queries)
        j = _in_range(col, "col (a key token)", self.source.n_keys)
        self.summary  # noqa: B018
        if j >= self.source.key_end(i + 1):
            return np.zeros(self.source.n_heads, np.float32)
        return self.source.probs(i, i + 1, j, j + 1, None)[:, 0, 0].numpy()


def _stable_top_k(p: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Top k along the last axis, largest first, ties broken by the smaller index (exactly)."""
    values, index = torch.topk(p, k, dim=-1)
    kth = values[..., -1:]
    if not bool(((p >= kth).sum(-1) > k).any() or torch.isnan(kth).any()):  # no tie at the k-th value
        return _by_weight(p, index.sort(-1).values)
    above = p > kth
    tied = p == kth
    need = k - above.sum(-1, keepdim=True)
    take = above | (tied & (tied.cumsum(-1) <= need))
    nan_rows = torch.isnan(kth)  # a fully masked row: every weight NaN; its first k keys
    if bool(nan_rows.any()):
        take = take | (nan_rows & (torch.arange(p.shape[-1]) < k))
    return _by_weight(p, take.nonzero()[:, -1].reshape(*p.shape[:-1], k))


def _by_weight(p: torch.Tensor, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Keys ``index`` (ascending) ordered by weight, largest first; equal weights keep key order."""
    weight = p.gather(-1, index)
    order = torch.sort(weight, dim=-1, descending=True, stable=True).indices
    return index.gather(-1, order), weight.gather(-1, order)
