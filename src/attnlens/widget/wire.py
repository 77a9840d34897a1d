"""What the kernel tells the page besides replies: the trace's metadata (``_meta``), the position the
attribution and ablation views explain, and the requests a page without a kernel gets answers for.

Everything here reads a Lens through ``LensState`` (the selection and the trace), so the modules that
export, draw or save a Lens depend on this module and never on ``lens.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from attnlens.capture.trace import Trace
from attnlens.widget.contract import METHODS, REQUESTS, marked_parts
from attnlens.widget.session import Session


class LensState(Protocol):
    """What the wire code reads of a Lens: its trace, its session and its synced selection."""

    trace: Trace
    _session: Session
    layer: int
    heads: list[int]
    token: int | None
    target: int | None
    neuron: int | None
    view: str
    stack: str
    mode: str
    method: str
    ablate: list[str]
    ablate_mode: str


def trace_meta(trace: Trace) -> dict[str, Any]:
    """What every view needs at once: tokens and shapes (small, JSON)."""
    stacks = []
    for name, st in trace.stacks.items():
        kv_heads = st.layers[0].key.shape[0] if st.layers else st.n_heads
        stacks.append({
            "name": name,
            "n_layers": st.n_layers,
            "n_heads": st.n_heads,
            "kv_heads": int(kv_heads),
            "queries": st.queries,
            "keys": st.keys,
            "has_qk": st.layers is not None,
            "has_mlp": st.mlp is not None,
        })
    return {
        "tokens": list(trace.tokens),
        "target_tokens": list(trace.decoder_tokens) if trace.decoder_tokens is not None else None,
        "n_layers": trace.n_layers,
        "n_heads": trace.n_heads,
        "n_tokens": trace.n_tokens,
        "model_name": trace.model_name,
        "model_type": trace.model_type,
        "causal": trace.causal,
        "special": list(trace.special),
        "segments": trace.segments,
        "generated": trace.generated,
        "stacks": stacks,
        "has_logit_lens": trace.has_logit_lens,
        "logits_stack": trace.logits_stack,
        "can_rerun": trace.can_rerun,
        "methods": list(METHODS),
    }


def explained_position(lens: LensState) -> int:
    """The position whose prediction the attribution and ablation views explain (as the page picks it):
    the locked token, else ``target``, else the last."""
    n = len(lens.trace.side_tokens("target" if lens.trace.decoder_tokens is not None else "input"))
    for value in (lens.token, lens.target):
        if value is not None and 0 <= value < n:
            return value
    return n - 1


# --- what a saved page holds: one rule per request kind ------------------------------------------
Requests = list[dict[str, Any]]


def _each_layer(lens: LensState, kind: str) -> Requests:
    out: Requests = []
    for name, st in lens.trace.stacks.items():
        if kind != "mlp_top" or st.mlp is not None:
            out += [{"what": kind, "stack": name, "layer": i} for i in range(st.n_layers)]
    return out


def _current(lens: LensState, kind: str) -> Requests:
    st = lens.trace.stack(lens.stack)
    if kind == "attention":  # only the neuron view's softmax column reads a whole layer now
        in_view = "neuron" in lens.view.split(",")
        return [{"what": "attention", "stack": lens.stack, "layer": lens.layer}] if in_view else []
    if kind == "qk" and st.layers is not None:
        return [{"what": "qk", "stack": lens.stack, "layer": lens.layer}]
    if kind == "neuron" and st.mlp is not None and lens.neuron is not None:
        return [{"what": "neuron", "stack": lens.stack, "layer": lens.layer, "neuron": lens.neuron}]
    return []


def _logit_lens(lens: LensState, kind: str) -> Requests:
    return [{"what": kind, "stack": lens.trace.logits_stack}] if lens.trace.has_logit_lens else []


def _can_rerun(lens: LensState, view: str) -> bool:
    trace = lens.trace
    return view in lens.view.split(",") and trace.can_rerun and trace.vocab_size is not None


def _attribution(lens: LensState, kind: str) -> Requests:
    if not _can_rerun(lens, "attribution"):  # what the attribution view asks for first
        return []
    return [{
        "what": kind, "stack": lens.trace.logits_stack, "method": lens.method,
        "position": explained_position(lens), "target": "", "contrast": "",
    }]


def _comparison(lens: LensState, kind: str) -> Requests:
    version = max(lens._session.runs, default=0)
    if "compare" not in lens.view.split(",") or not version:  # the newest comparison
        return []
    if kind == "compare":
        n_layers = lens.trace.stack(lens.stack).n_layers
        return [{"what": kind, "stack": lens.stack, "layer": i, "version": version} for i in range(n_layers)]
    if not _can_rerun(lens, "compare"):
        return []
    return [{"what": kind, "stack": lens.stack, "version": version, "method": lens.method}]


def _ablation(lens: LensState, kind: str) -> Requests:
    heads, neurons = marked_parts(lens.ablate)
    if not _can_rerun(lens, "ablation") or not (heads or neurons):
        return []
    return [{
        "what": kind, "stack": lens.stack, "layer": lens.layer, "position": explained_position(lens),
        "heads": [list(x) for x in heads], "neurons": [list(x) for x in neurons], "mode": lens.ablate_mode,
    }]


SAVED: dict[str, Callable[[LensState, str], Requests]] = {
    "each_layer": _each_layer,
    "each_stack": lambda lens, kind: [{"what": kind, "stack": name} for name in lens.trace.stacks],
    "current_layer": _current,
    "logits_stack": _logit_lens,
    "explained": _attribution,
    "comparison": _comparison,
    "marked_parts": _ablation,
}
"""How a request kind's answers are chosen for a saved page (the kind's ``saved`` in contract.json)."""


def saved_requests(lens: LensState) -> Requests:
    """What a page without a kernel can show: every layer of every stack in the head and model
    views, the logit lens and top MLP neurons, q/k and the selected neuron of the current layer, and
    the reruns the visible views ask for first."""
    requests: Requests = []
    for kind, spec in REQUESTS.items():
        if spec.saved is not None:
            requests += SAVED[spec.saved](lens, kind)
    return requests
