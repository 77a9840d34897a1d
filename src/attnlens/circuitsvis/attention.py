"""``circuitsvis.attention`` with attnlens's head and model views (one layer of the given heads)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from attnlens.capture.arrays import AttentionStack, as_array, check_tokens, trace_from_arrays
from attnlens.circuitsvis.common import lens_of, note_ignored

if TYPE_CHECKING:
    from attnlens.widget.lens import Lens

MODEL_NAME = "CircuitsVis-compatible input"


def heads_of(attention: Any, name: str = "attention") -> np.ndarray:
    """[heads, dest, src] float32 from a tensor, array or list: [dest, src] is one head, a leading
    batch of one is dropped."""
    values = as_array(attention, name)
    if values.ndim == 4 and values.shape[0] == 1:
        values = values[0]
    if values.ndim == 2:
        values = values[None]
    if values.ndim != 3:
        raise ValueError(
            f"{name} has shape {tuple(values.shape)}; expected [heads, dest_tokens, src_tokens] (e.g. "
            "cache['pattern', layer] of one prompt) or one head's [dest_tokens, src_tokens]"
        )
    if values.shape[1] != values.shape[2]:
        raise ValueError(f"{name} must be square per head (dest = src tokens), got {values.shape[1:]}")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} contains NaN or infinite values")
    low, high = float(values.min(initial=0.0)), float(values.max(initial=0.0))
    if low < -1e-6 or high > 1 + 1e-6:
        raise ValueError(
            f"{name} ranges from {low:.4g} to {high:.4g}; attnlens's attention views show weights in [0, 1] "
            "(softmax patterns). For signed scores per token use cv.tokens.colored_tokens."
        )
    return np.clip(values, 0.0, 1.0)


def _lens(
    attention: Any, tokens: Any, head_names: Sequence[str] | None, mask_upper_tri: bool | None, mode: str
) -> Lens:
    heads = heads_of(attention)
    if mask_upper_tri:  # CircuitsVis hides what a causal model cannot attend to
        heads = heads * np.tril(np.ones(heads.shape[1:], np.float32))
    str_tokens = check_tokens(tokens, heads.shape[1])
    names = [f"H{i}" for i in range(heads.shape[0])]
    if head_names is not None:
        if isinstance(head_names, str) or len(head_names) != heads.shape[0]:
            raise ValueError(
                f"attention_head_names must name each of the {heads.shape[0]} heads, got {head_names!r}"
            )
        names = [str(n) for n in head_names]
    trace = trace_from_arrays([AttentionStack("self", heads[None])], str_tokens, model_name=MODEL_NAME,
                              model_type="circuitsvis")
    lens = lens_of(trace, "model,head", mode=mode)
    lens._meta = {**lens._meta, "head_names": names}
    setattr(lens, "head_names", names)  # noqa: B010  (a plain attribute, not a trait)
    return lens


def attention_heads(
    attention: Any,
    tokens: list[str],
    attention_head_names: list[str] | None = None,
    max_value: float | None = None,
    min_value: float | None = None,
    negative_color: str | None = None,
    positive_color: str | None = None,
    mask_upper_tri: bool | None = None,
) -> Lens:
    """``circuitsvis.attention.attention_heads``: every head as a thumbnail and the chosen ones as a
    heatmap. ``attention``: [heads, dest_tokens, src_tokens]."""
    note_ignored("attention_heads", max_value=max_value, min_value=min_value, negative_color=negative_color,
                 positive_color=positive_color)
    return _lens(attention, tokens, attention_head_names, mask_upper_tri, "heatmap")


def attention_patterns(tokens: list[str], attention: Any) -> Lens:
    """``circuitsvis.attention.attention_patterns``: [heads, dest_tokens, src_tokens] as the model view's
    head thumbnails beside the head view (hover a token to see where it attends)."""
    return _lens(attention, tokens, None, None, "lines")


def attention_pattern(
    tokens: list[str],
    attention: Any,
    max_value: float | None = None,
    min_value: float | None = None,
    negative_color: str | None = None,
    show_axis_labels: bool | None = None,
    positive_color: str | None = None,
    mask_upper_tri: bool | None = None,
) -> Lens:
    """``circuitsvis.attention.attention_pattern``: one head's [dest_tokens, src_tokens] as a heatmap."""
    note_ignored("attention_pattern", max_value=max_value, min_value=min_value, negative_color=negative_color,
                 positive_color=positive_color)
    return _lens(attention, tokens, None, mask_upper_tri, "heatmap")
