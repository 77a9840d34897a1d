"""Neuron view: the query and key vectors of one layer (after rotary), from which the page shows
q, k, q⊙k, q·k and the softmax for any head and query token."""

from __future__ import annotations

from typing import Any

from attnlens.capture.trace import Trace
from attnlens.widget.payload import encode_array
from attnlens.widget.registry import Fields, Parsed, handles
from attnlens.widget.session import Session


def qk_arrays(trace: Trace, stack: str, layer: int) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    inputs = trace.stack(stack).layers
    if inputs is None:
        raise ValueError(f"q/k vectors were not captured for {trace.model_type!r} (no adapter)")
    layer_inputs = inputs[layer]
    heads, kv_heads = layer_inputs.query.shape[0], layer_inputs.key.shape[0]
    arrays = {
        "queries": encode_array(layer_inputs.query, "float16"),  # [heads, q_tokens, head_dim]
        "keys": encode_array(layer_inputs.key, "float16"),  # [kv_heads, k_tokens, head_dim]
    }
    # head h reads key/value head h // group: the neuron view says which heads share keys
    extra = {"scaling": layer_inputs.scaling, "kv_heads": kv_heads, "group": heads // kv_heads}
    return arrays, extra


@handles("qk")
def _qk(trace: Trace, f: Fields, _session: Session) -> Parsed:
    return f.key(), lambda: qk_arrays(trace, f.stack, f["layer"])
