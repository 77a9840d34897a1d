"""Attribution view: why the model predicted a token after a position, one value per input token."""

from __future__ import annotations

from typing import Any

import numpy as np

from attnlens.analysis.attribution import METHODS, matrix_rows, resolve_target
from attnlens.capture.trace import Trace
from attnlens.widget.payload import encode_array
from attnlens.widget.registry import Fields, Parsed, handles
from attnlens.widget.session import Session


def attribution_arrays(
    trace: Trace, method: str, position: int | None, target: str | None, contrast: str | None
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Values of every input token (float32) and what they explain: the target, its probability and
    the contrast token, as text for the page."""
    if method not in METHODS:
        raise ValueError(f"unknown attribution method {method!r}; attnlens offers {list(METHODS)}")
    goal = resolve_target(trace, target or None, position, contrast or None)
    values = trace.attribute(target=goal.target, method=method, contrast=goal.contrast, position=goal.position)
    probs = trace.probabilities(goal.position)
    data = {
        "method": method,
        "position": goal.position,
        "target_id": goal.target,
        "target_token": trace.token_text(goal.target),
        "target_prob": float(probs[goal.target]),
        "contrast_id": goal.contrast,
        "contrast_token": None if goal.contrast is None else trace.token_text(goal.contrast),
        "total": float(np.sum(values)),
    }
    return {"values": encode_array(np.asarray(values, dtype=np.float32), "float32")}, data


MATRIX_TOKENS = 256  # above this many tokens the page asks only for generated rows


def matrix_arrays(trace: Trace, method: str) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Output × input attributions (rows: the tokens predicted, default rows of ``attribute_matrix``)."""
    if method not in METHODS:
        raise ValueError(f"unknown attribution method {method!r}; attnlens offers {list(METHODS)}")
    rows = matrix_rows(trace, None)
    if len(rows) * trace.n_tokens > MATRIX_TOKENS * MATRIX_TOKENS:
        raise ValueError(
            f"an output × input matrix of {len(rows)} × {trace.n_tokens} tokens is too slow to compute on "
            "request; generate fewer tokens, or call trace.attribute_matrix(rows=[...]) from Python"
        )
    values = trace.attribute_matrix(method=method, rows=rows)
    return {"values": encode_array(values, "float32")}, {"rows": rows, "method": method}


@handles("attribution")
def _attribution(trace: Trace, f: Fields, _session: Session) -> Parsed:
    return f.key(), lambda: attribution_arrays(trace, f["method"], f["position"], f["target"], f["contrast"])


@handles("attribution_matrix")
def _attribution_matrix(trace: Trace, f: Fields, _session: Session) -> Parsed:
    return f.key(), lambda: matrix_arrays(trace, f["method"])
