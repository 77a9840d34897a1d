"""MLP neurons: the top-k neurons of every token of a layer, and one neuron over all tokens."""

from __future__ import annotations

from typing import Any

import numpy as np

from attnlens.capture.trace import Trace
from attnlens.widget.payload import WireDtype, encode_array
from attnlens.widget.registry import Fields, Parsed, handles
from attnlens.widget.session import Session

TOP_K = 10


def top_neurons(activations: np.ndarray, k: int = TOP_K) -> tuple[np.ndarray, np.ndarray]:
    """Per token, the k neurons of largest activation, best first: (indices, values) [tokens, k]."""
    k = min(k, activations.shape[1])
    part = np.argpartition(-activations, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(activations, part, axis=1)
    order = np.argsort(-values, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(values, order, axis=1)


def mlp_top_arrays(trace: Trace, stack: str, layer: int) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    activations = trace.mlp(layer, stack=stack)
    indices, values = top_neurons(activations)
    dtype: WireDtype = "uint16" if activations.shape[1] <= 0xFFFF else "uint32"
    arrays = {"indices": encode_array(indices, dtype), "values": encode_array(values, "float16")}
    return arrays, {"n_neurons": int(activations.shape[1])}


def neuron_arrays(trace: Trace, stack: str, layer: int, neuron: int) -> dict[str, dict[str, Any]]:
    activations = trace.mlp(layer, stack=stack)
    if not 0 <= neuron < activations.shape[1]:
        raise ValueError(f"neuron {neuron} is out of range: layer {layer} has neurons 0 to {activations.shape[1] - 1}")
    return {"activations": encode_array(activations[:, neuron], "float16")}  # [tokens]


@handles("mlp_top")
def _mlp_top(trace: Trace, f: Fields, _session: Session) -> Parsed:
    return f.key(), lambda: mlp_top_arrays(trace, f.stack, f["layer"])


@handles("neuron")
def _neuron(trace: Trace, f: Fields, _session: Session) -> Parsed:
    return f.key(), lambda: (neuron_arrays(trace, f.stack, f["layer"], f["neuron"]), {})
