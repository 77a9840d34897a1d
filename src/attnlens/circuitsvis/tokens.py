"""``circuitsvis.tokens`` with attnlens's MLP view: every token coloured by its value (hover for the number)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from attnlens.capture.arrays import as_array, check_tokens, token_values_trace
from attnlens.circuitsvis.common import lens_of, note_ignored

if TYPE_CHECKING:
    from attnlens.widget.lens import Lens


def colored_tokens(
    tokens: list[str],
    values: Any,
    min_value: float | None = None,
    max_value: float | None = None,
    negative_color: str | None = None,
    positive_color: str | None = None,
) -> Lens:
    """``circuitsvis.tokens.colored_tokens``: ``values`` (one per token; a list, array or tensor) colour
    the tokens, positive and negative in two hues. Values are carried as float16 (3 significant digits)."""
    note_ignored("colored_tokens", min_value=min_value, max_value=max_value, negative_color=negative_color,
                 positive_color=positive_color)
    array = as_array(values, "values")
    if array.ndim != 1:
        raise ValueError(f"values must be one number per token, got shape {tuple(array.shape)}")
    str_tokens = check_tokens(tokens, array.shape[0], "tokens", "values")
    trace = token_values_trace(str_tokens, array, model_name="CircuitsVis-compatible values",
                               model_type="circuitsvis")
    return lens_of(trace, "mlp", neuron=0)
