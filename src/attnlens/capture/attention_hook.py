"""Capture q/k/v at the point where Transformers hands them to the attention kernel.

Transformers 5 routes every modern attention module through
``ALL_ATTENTION_FUNCTIONS.get_interface(impl, default)``, passing q and k *after* rotary and the
model's own mask. Wrapping that lookup for one forward pass captures eager, SDPA and flash
attention alike, without touching the user's model or config. The registry is process-global, so
the swap is guarded by a lock and always undone in ``finally``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

_REGISTRY_LOCK = threading.RLock()


@dataclass
class AttentionCall:
    """What one attention module received during the forward pass (batch of one)."""

    query: torch.Tensor  # [heads, q_len, head_dim], after rotary
    key: torch.Tensor  # [kv_heads, k_len, head_dim], after rotary, not expanded
    mask: torch.Tensor | None  # the model's own mask as handed to the kernel
    bias: torch.Tensor | None  # an additive score bias (T5's relative position bias), [1 or heads, q, k]
    scaling: float
    causal_without_mask: bool  # SDPA path: mask None and causality from `is_causal`
    softcap: float | None
    sliding_window: int | None


def _detach(t: torch.Tensor) -> torch.Tensor:
    """A float32 CPU copy that owns its memory: a view would keep the whole fused qkv buffer alive."""
    out = t.detach().to(device="cpu", dtype=torch.float32)
    return out if out.is_contiguous() and out.untyped_storage().nbytes() == out.numel() * 4 else out.clone()


def _record(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    kwargs: dict[str, Any],
    masks: dict[int, tuple[torch.Tensor, torch.Tensor]],
) -> AttentionCall:
    scaling = kwargs.get("scaling")
    if scaling is None:
        scaling = query.shape[-1] ** -0.5
    is_causal = kwargs.get("is_causal")
    if is_causal is None:
        is_causal = getattr(module, "is_causal", False)
    causal_without_mask = bool(attention_mask is None and is_causal and query.shape[2] > 1)
    mask = None
    if attention_mask is not None:
        # every layer is usually handed the same mask tensor: copy it once, share the copy
        # (the cache holds the original too, so its id cannot be reused by another tensor meanwhile)
        if id(attention_mask) not in masks:
            first = attention_mask.detach()[0]
            copy = first.cpu() if first.dtype == torch.bool else first.to("cpu", torch.float32)
            masks[id(attention_mask)] = (attention_mask, copy)
        mask = masks[id(attention_mask)][1]
    bias = kwargs.get("position_bias")
    return AttentionCall(
        bias=_detach(bias[0]) if isinstance(bias, torch.Tensor) else None,
        query=_detach(query[0]),
        key=_detach(key[0]),
        mask=mask,
        scaling=float(scaling),
        causal_without_mask=causal_without_mask,
        softcap=kwargs.get("softcap"),
        sliding_window=kwargs.get("sliding_window"),
    )


@contextmanager
def capture_attention_calls(
    modules: dict[int, tuple[str, int]],
) -> Iterator[dict[tuple[str, int], list[AttentionCall]]]:
    """Record every attention call made by the modules in ``modules`` (id → (stack, layer)).

    Calls from other modules (another model in the same process) pass through untouched.
    """
    calls: dict[tuple[str, int], list[AttentionCall]] = {}
    masks: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
    with _REGISTRY_LOCK:
        shadowed = vars(ALL_ATTENTION_FUNCTIONS).get("get_interface")  # an outer trace's wrapper
        original = ALL_ATTENTION_FUNCTIONS.get_interface

        def get_interface(attn_implementation: str, default: Callable[..., Any]) -> Callable[..., Any]:
            kernel = original(attn_implementation, default)

            def recording_kernel(
                module: torch.nn.Module,
                query: torch.Tensor,
                key: torch.Tensor,
                value: torch.Tensor,
                attention_mask: torch.Tensor | None,
                *args: Any,
                **kwargs: Any,
            ) -> Any:
                where = modules.get(id(module))
                if where is not None:
                    calls.setdefault(where, []).append(
                        _record(module, query, key, value, attention_mask, kwargs, masks)
                    )
                return kernel(module, query, key, value, attention_mask, *args, **kwargs)

            return recording_kernel

        ALL_ATTENTION_FUNCTIONS.get_interface = get_interface  # type: ignore[method-assign]
        try:
            yield calls
        finally:
            if shadowed is None:
                del ALL_ATTENTION_FUNCTIONS.get_interface
            else:
                ALL_ATTENTION_FUNCTIONS.get_interface = shadowed  # type: ignore[method-assign]
