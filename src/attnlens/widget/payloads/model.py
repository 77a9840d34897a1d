"""Model view: every layer × head of a stack as a small thumbnail, [layers, heads, g, g'] uint8.

Thumbnails are max-pooled (a sharp pattern must stay visible when shrunk) and scaled per head so
that each cell uses the full colour range. They are read from each layer's pyramid (the level of
the smallest block b with g = ceil(Nq/b) ≤ 32 and g' = ceil(Nk/b) ≤ 32), never from full attention;
g, g' ≤ 32 keeps 48 layers × 64 heads under 4 MB.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from attnlens.analysis.attention_lod import stored_block
from attnlens.capture.trace import Trace
from attnlens.widget.payload import encode_array
from attnlens.widget.registry import Fields, Parsed, handles
from attnlens.widget.session import Session

THUMBNAIL = 32


def pool_max(matrix: np.ndarray, size: int) -> np.ndarray:
    """Max-pool the last two axes down to at most ``size`` × ``size`` (uneven blocks allowed)."""
    rows, cols = matrix.shape[-2:]
    r_edges = np.linspace(0, rows, min(rows, size) + 1).astype(int)
    c_edges = np.linspace(0, cols, min(cols, size) + 1).astype(int)
    pooled = np.maximum.reduceat(matrix, r_edges[:-1], axis=-2)
    return np.maximum.reduceat(pooled, c_edges[:-1], axis=-1)


def thumbnail_arrays(trace: Trace, stack: str) -> dict[str, dict[str, Any]]:
    st = trace.stack(stack)
    thumbs = []
    for layer in range(st.n_layers):
        summary = trace.attention_summary(layer, stack)
        pooled = summary.levels[stored_block(summary.n_queries, summary.n_keys, THUMBNAIL)][0].float().numpy()
        peak = pooled.max(axis=(-2, -1), keepdims=True)
        thumbs.append(pooled / np.where(peak > 0, peak, 1.0))
    return {"thumbnails": encode_array(np.stack(thumbs), "uint8")}


@handles("thumbnails")
def _thumbnails(trace: Trace, f: Fields, _session: Session) -> Parsed:
    return f.key(), lambda: (thumbnail_arrays(trace, f.stack), {})
