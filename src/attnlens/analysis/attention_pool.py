"""Pooling attention into square cells of ``block`` × ``block`` entries, a chunk of rows at a time.

The pooled grid keeps per cell the max and the sum of its entries (the mean is the sum over the
cell's true entry count, so partial edge cells are exact). Entries a chunk leaves out (keys after a
causal row's last allowed key) are exact zeros and cost nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

Chunk = torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None
ChunkFn = Callable[[int, int], Chunk]
"""(first row, end row), relative to the pooled region → probabilities [heads, rows, width ≤ region
width] of the region's first ``width`` keys, or (unnormalised weights, each row's divisor [heads,
rows, 1]), or None when the whole chunk is zero. Dividing after pooling the keys saves a pass."""


def cells(n: int, block: int) -> int:
    return -(-n // block)


def counts(n_rows: int, n_cols: int, block: int) -> torch.Tensor:
    """Entries per cell of an n_rows × n_cols region pooled by ``block`` (edge cells are partial)."""
    rows = torch.full((cells(n_rows, block),), float(block))
    cols = torch.full((cells(n_cols, block),), float(block))
    rows[-1] = n_rows - block * (len(rows) - 1)
    cols[-1] = n_cols - block * (len(cols) - 1)
    return rows[:, None] * cols[None, :]


def row_step(heads: int, width: int, budget: int) -> int:
    """Rows per chunk: a power of two (so chunks and blocks nest) with heads × rows × width float32
    within ``budget`` bytes, at least 1."""
    rows = max(1, budget // max(1, heads * width * 4))
    return 1 << (rows.bit_length() - 1)


def _pool_cols(p: torch.Tensor, block: int) -> tuple[torch.Tensor, torch.Tensor]:
    """[h, r, w] → max and sum over each run of ``block`` keys, [h, r, ceil(w / block)]; no copy of p."""
    if block == 1:
        return p, p
    h, r, w = p.shape
    full = w // block
    body = p[..., : full * block].reshape(h, r, full, block)
    mx, sm = body.amax(-1), body.sum(-1)
    if w > full * block:
        tail = p[..., full * block :]
        mx = torch.cat([mx, tail.amax(-1, keepdim=True)], -1)
        sm = torch.cat([sm, tail.sum(-1, keepdim=True)], -1)
    return mx, sm


def _group_rows(x: torch.Tensor, group: int, reduce: str) -> torch.Tensor:
    """[h, r, c] → [h, ceil(r / group), c], reducing each run of ``group`` rows (zero-padded)."""
    if group == 1:
        return x
    h, r, c = x.shape
    n = cells(r, group)
    if n * group > r:
        x = torch.cat([x, x.new_zeros(h, n * group - r, c)], 1)
    x = x.reshape(h, n, group, c)
    return x.amax(2) if reduce == "max" else x.sum(2)


def pool(
    chunk: ChunkFn, n_rows: int, n_cols: int, block: int, heads: int, step: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Max and sum per cell, float32 [heads, ceil(n_rows / block), ceil(n_cols / block)], asking
    ``chunk`` for ``step`` rows at a time (``step`` a power of two, like ``block``)."""
    mx = torch.zeros(heads, cells(n_rows, block), cells(n_cols, block))
    sm = mx if block == 1 else torch.zeros_like(mx)  # a cell of one entry: its max is its sum
    group = min(step, block)
    for ra in range(0, n_rows, step):
        got = chunk(ra, min(n_rows, ra + step))
        if got is None:
            continue
        p, divisor = got if isinstance(got, tuple) else (got, None)
        if divisor is not None and block == 1:
            p, divisor = p.div_(divisor), None
        cm, cs = _pool_cols(p, block)
        if divisor is not None:  # max and sum of a row's weights over / its divisor, as over weights
            cm, cs = cm / divisor, cs / divisor
        gm, gs = _group_rows(cm, group, "max"), _group_rows(cs, group, "sum")
        rows, w = slice(ra // block, ra // block + gm.shape[1]), gm.shape[-1]
        if step >= block:  # every cell row lies in this chunk alone
            mx[:, rows, :w] = gm
            if sm is not mx:
                sm[:, rows, :w] = gs
        else:  # a cell row spans several chunks
            mx[:, rows, :w] = torch.maximum(mx[:, rows, :w], gm)
            sm[:, rows, :w] += gs
    return mx, sm


def _halve(x: torch.Tensor, op: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """[h, r, c] → [h, ceil(r/2), ceil(c/2)]: ``op`` of each 2 × 2 group (zero-padded at odd edges)."""
    h, r, c = x.shape
    if r % 2:
        x = torch.cat([x, x.new_zeros(h, 1, c)], 1)
    x = op(x[:, 0::2], x[:, 1::2])
    if c % 2:
        x = torch.cat([x, x.new_zeros(h, x.shape[1], 1)], 2)
    return op(x[:, :, 0::2], x[:, :, 1::2])


def coarsen(mx: torch.Tensor, sm: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The next level up: each cell the exact combination of a 2 × 2 group (max of maxes, sum of sums)."""
    return _halve(mx, torch.maximum), _halve(sm, torch.add)
