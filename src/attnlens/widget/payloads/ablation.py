"""Ablation view: the prediction before and after cutting heads or MLP neurons, and the attention
of the rerun at one layer (the page draws its change against the original)."""

from __future__ import annotations

from typing import Any

import numpy as np

from attnlens.capture.trace import Trace
from attnlens.widget.payload import encode_attention
from attnlens.widget.registry import Fields, Parsed, handles
from attnlens.widget.session import Session

TOP_K = 5


def ablation_spec(heads: list[tuple[int, int]], neurons: list[tuple[int, int]], mode: str) -> str:
    """Canonical name of an ablation (mirrored by js/src/views/ablation/spec.ts): ``zero;h1.3,h1.2;n0.117``."""
    h = ",".join(f"h{layer}.{head}" for layer, head in sorted(set(heads)))
    n = ",".join(f"n{layer}.{neuron}" for layer, neuron in sorted(set(neurons)))
    return f"{mode};{h};{n}"


def top_k_change(before: np.ndarray, after: np.ndarray, trace: Trace, k: int = TOP_K) -> dict[str, Any]:
    """Top-k tokens before and after, each with its probability in both runs."""

    def rows(probs: np.ndarray) -> list[dict[str, Any]]:
        ids = np.argsort(-probs, kind="stable")[:k]
        return [
            {"id": int(i), "token": trace.token_text(int(i)), "before": float(before[i]), "after": float(after[i])}
            for i in ids
        ]

    return {"before": rows(before), "after": rows(after)}


def ablation_arrays(
    trace: Trace,
    session: Session,
    stack: str,
    layer: int,
    heads: list[tuple[int, int]],
    neurons: list[tuple[int, int]],
    mode: str,
    position: int | None,
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    if not heads and not neurons:
        raise ValueError("nothing is marked to ablate: mark heads in the model view or neurons in the MLP view")
    spec = ablation_spec(heads, neurons, mode)
    rerun = session.ablated(
        f"{stack}|{spec}", lambda: trace.ablate(heads=heads, neurons=neurons, mode=mode, stack=stack)
    )
    data: dict[str, Any] = {"spec": spec}
    if trace.vocab_size is not None:
        n = len(trace.predicted_positions)
        pos = n - 1 if position is None else position
        if not 0 <= pos < n:
            raise ValueError(f"position {pos} is out of range: the text has positions 0 to {n - 1}")
        data.update(position=pos, **top_k_change(trace.probabilities(pos), rerun.probabilities(pos), trace))
    return {"attention": encode_attention(rerun.attention(layer, stack=stack))}, data


@handles("ablation")
def _ablation(trace: Trace, f: Fields, session: Session) -> Parsed:
    heads, neurons, mode = f["heads"], f["neurons"], f["mode"]
    key = f.key(spec=ablation_spec(heads, neurons, mode))
    return key, lambda: ablation_arrays(trace, session, f.stack, f["layer"], heads, neurons, mode, f["position"])
