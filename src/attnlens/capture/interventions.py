"""Ablation: rerun the same input with some heads' outputs or MLP neurons zeroed (or mean-ablated).

Heads are cut where their outputs are concatenated, at the input of attention's output projection;
neurons at the input of the MLP's output projection. Hooks live for one forward pass only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import torch

from attnlens.capture.adapters import BoundStack, adapter_for, bind
from attnlens.capture.bridge import unbridged

if TYPE_CHECKING:
    from attnlens.capture.trace import Trace

MODES = ("zero", "mean")


def _pairs(name: str, pairs: Any, limits: tuple[int, int], what: str) -> list[tuple[int, int]]:
    checked = []
    for pair in pairs:
        if (
            not isinstance(pair, (tuple, list))
            or len(pair) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair)
        ):
            raise TypeError(f"{name} must be (layer, {what}) pairs of ints, got {pair!r}")
        layer, index = pair
        if not 0 <= layer < limits[0]:
            raise ValueError(f"{name}: layer {layer} is out of range (0 to {limits[0] - 1})")
        if not 0 <= index < limits[1]:
            raise ValueError(f"{name}: {what} {index} of layer {layer} is out of range (0 to {limits[1] - 1})")
        checked.append((layer, index))
    return checked


def _replace(hidden: torch.Tensor, columns: slice, mode: str) -> torch.Tensor:
    hidden = hidden.clone()
    if mode == "zero":
        hidden[..., columns] = 0
    else:
        hidden[..., columns] = hidden[..., columns].mean(dim=-2, keepdim=True)
    return hidden


@contextmanager
def _ablation_hooks(
    stack: BoundStack, n_heads: int, heads: list[tuple[int, int]], neurons: list[tuple[int, int]], mode: str
) -> Iterator[None]:
    handles = []
    by_layer: dict[tuple[str, int], list[slice]] = {}
    for layer, head in heads:
        by_layer.setdefault(("attn", layer), []).append(slice(head, head + 1))  # scaled by head_dim below
    for layer, neuron in neurons:
        by_layer.setdefault(("mlp", layer), []).append(slice(neuron, neuron + 1))
    for (kind, layer), slices in by_layer.items():
        modules = stack.attn_outs if kind == "attn" else stack.mlp_outs
        assert modules is not None

        def hook(_m: Any, args: tuple[Any, ...], kind: str = kind, slices: list[slice] = slices) -> Any:
            hidden = args[0]
            width = hidden.shape[-1] // n_heads if kind == "attn" else 1
            for s in slices:
                hidden = _replace(hidden, slice(s.start * width, s.stop * width), mode)
            return (hidden, *args[1:])

        handles.append(modules[layer].register_forward_pre_hook(hook))
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def ablate(
    trace: Trace, heads: list[tuple[int, int]], neurons: list[tuple[int, int]], mode: str, stack: str | None
) -> Trace:
    if mode not in MODES:
        raise ValueError(f"unknown ablation mode {mode!r}; choose 'zero' or 'mean'")
    if trace.source is None:
        raise ValueError("this trace keeps no model (built from attention alone); trace the model with al.trace")
    model = trace.source.model
    adapter = adapter_for(model)
    if adapter is None:
        raise ValueError(f"attnlens has no adapter for {trace.model_type!r}, so it cannot ablate its parts")
    st = trace.stack(stack)
    with unbridged(model):  # a TransformerBridge's model: hooks go on the model's own modules
        return _ablated(trace, model, adapter, st, heads, neurons, mode)


def _ablated(trace: Trace, model: Any, adapter: Any, st: Any, heads: list[tuple[int, int]],
             neurons: list[tuple[int, int]], mode: str) -> Trace:
    assert trace.source is not None  # checked by ablate()
    bound = next(b for b in bind(adapter, model) if b.spec.name == st.name)
    heads = _pairs("heads", heads, (st.n_layers, st.n_heads), "head")
    n_neurons = st.mlp[0].shape[1] if st.mlp else 0
    neurons = _pairs("neurons", neurons, (st.n_layers, n_neurons), "neuron")
    if heads and bound.attn_outs is None:
        raise ValueError(f"the {st.name} stack of {trace.model_type!r} has no attention output projection to cut")
    if neurons and bound.mlp_outs is None:
        raise ValueError(f"the {st.name} stack has no MLP")
    with _ablation_hooks(bound, st.n_heads, heads, neurons, mode):
        return trace.source.retrace()
