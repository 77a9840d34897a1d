"""Compare view: two runs of one model aligned by token: both runs' attention at one layer, their
predictions, and attributions of A's prediction in both (``al.compare`` and the page's edit box)."""

from __future__ import annotations

from typing import Any

import numpy as np

from attnlens.analysis.compare import align_tokens, changed_pairs
from attnlens.capture.trace import Trace
from attnlens.widget.payload import encode_array
from attnlens.widget.payloads.ablation import top_k_change
from attnlens.widget.registry import Answer, Fields, Parsed, handles
from attnlens.widget.session import Session


def _aligned(attention: np.ndarray, index: list[int | None]) -> np.ndarray:
    """[heads, n, n] → [heads, P, P] in pair order; rows and columns with no token stay 0."""
    heads = attention.shape[0]
    out = np.zeros((heads, len(index), len(index)), dtype=np.float32)
    present = np.array([c for c, i in enumerate(index) if i is not None], dtype=np.intp)
    src = np.array([i for i in index if i is not None], dtype=np.intp)
    out[:, present[:, None], present[None, :]] = attention[:, src[:, None], src[None, :]]
    return out


def last_position(trace: Trace) -> int:
    return trace.predicted_positions[-1]


def compare_arrays(a: Trace, b: Trace, stack: str, layer: int) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Both runs' attention at ``layer`` over the aligned tokens, and their predictions (the runs come
    from one model: ``Lens`` and the edit box check it)."""
    pairs = align_tokens(a.tokens, b.tokens)
    arrays = {
        "a": encode_array(_aligned(a.attention(layer, stack=stack), [p[0] for p in pairs]), "float16"),
        "b": encode_array(_aligned(b.attention(layer, stack=stack), [p[1] for p in pairs]), "float16"),
    }
    data: dict[str, Any] = {
        "pairs": [list(p) for p in pairs],
        "changed": changed_pairs(a.tokens, b.tokens, pairs),
        "tokens_b": list(b.tokens),
    }
    if a.vocab_size is not None:
        pa, pb = a.probabilities(last_position(a)), b.probabilities(last_position(b))
        change = top_k_change(pa, pb, a)
        data["predictions"] = {"a": change["before"], "b": change["after"]}
    return arrays, data


def compare_attribution_arrays(a: Trace, b: Trace, method: str) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Both runs' attributions towards A's top prediction after its last token, aligned by pairs."""
    pairs = align_tokens(a.tokens, b.tokens)
    target = int(np.argmax(a.logits_at(last_position(a))))
    va = a.attribute(target=target, method=method, position=last_position(a))
    vb = b.attribute(target=target, method=method, position=last_position(b))
    out_a = np.array([0.0 if i is None else va[i] for i, _ in pairs], dtype=np.float32)
    out_b = np.array([0.0 if j is None else vb[j] for _, j in pairs], dtype=np.float32)
    data = {"method": method, "target_id": target, "target_token": a.token_text(target)}
    return {"a": encode_array(out_a, "float32"), "b": encode_array(out_b, "float32")}, data


@handles("edit")
def _edit(trace: Trace, f: Fields, session: Session) -> Parsed:
    text = f["text"]

    def work() -> Answer:
        version = session.add_run(trace.retrace_text(text))
        return {}, {"version": version, "text": text}

    return f.key(), work


@handles("compare")
def _compare(trace: Trace, f: Fields, session: Session) -> Parsed:
    return f.key(), lambda: compare_arrays(trace, session.run(f["version"]), f.stack, f["layer"])


@handles("compare_attribution")
def _compare_attribution(trace: Trace, f: Fields, session: Session) -> Parsed:
    return f.key(), lambda: compare_attribution_arrays(trace, session.run(f["version"]), f["method"])
