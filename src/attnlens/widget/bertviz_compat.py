"""Drop-in replacements for ``bertviz.head_view``, ``model_view`` and ``neuron_view`` that show attnlens.

Code written for BertViz keeps working with one changed import, and gets the linked, offline widget
instead of a page that loads require.js and d3 from a CDN and carries attention as JSON lists of floats.
The attention given is wrapped in a Trace without a model (an eager stack per attention kind).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from attnlens.capture.from_arrays import build_trace, prettify
from attnlens.capture.run import trace as run_trace
from attnlens.widget.export import standalone_html
from attnlens.widget.lens import Lens

__all__ = ["build_trace", "head_view", "model_view", "neuron_view", "prettify"]

ACTIONS = ("view", "return")
def _position(value: int | None, ids: list[int], what: str) -> int:
    if value is None:
        return 0
    if value not in ids:
        raise ValueError(f"{what} {value} is not among the included {what}s {ids}")
    return ids.index(value)


def _finish(lens: Lens, layer_ids: list[int], head_ids: list[int], html_action: str) -> Any:
    """Display the Lens (html_action="view") or return its offline page as an IPython HTML object."""
    lens._meta = {**lens._meta, "layer_ids": layer_ids, "head_ids": head_ids}  # original indices, for labels
    setattr(lens, "bertviz_layers", layer_ids)  # noqa: B010  (not a trait: plain Python attributes)
    setattr(lens, "bertviz_heads", head_ids)  # noqa: B010
    if html_action == "return":
        from IPython.display import HTML

        return HTML(standalone_html(lens))
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return lens
    if get_ipython() is not None:
        display(lens)
        lens._suppress_next_repr = True  # returned as the cell's value: not shown twice
    return lens


def _check_action(html_action: str) -> None:
    if html_action not in ACTIONS:
        raise ValueError(f"html_action must be 'view' or 'return', got {html_action!r}")


def _view(view: str, kwargs: dict[str, Any], layer: int | None, heads: Sequence[int] | None,
          html_action: str) -> Any:
    _check_action(html_action)
    trace, layer_ids, head_ids = build_trace(**kwargs)
    lens = Lens(trace, layer=_position(layer, layer_ids, "layer"))
    lens.view = view
    if heads is not None:
        lens.heads = [_position(h, head_ids, "head") for h in heads]
    return _finish(lens, layer_ids, head_ids, html_action)


def head_view(
    attention: Any = None,
    tokens: Sequence[str] | None = None,
    sentence_b_start: int | None = None,
    prettify_tokens: bool = True,
    layer: int | None = None,
    heads: Sequence[int] | None = None,
    encoder_attention: Any = None,
    decoder_attention: Any = None,
    cross_attention: Any = None,
    encoder_tokens: Sequence[str] | None = None,
    decoder_tokens: Sequence[str] | None = None,
    include_layers: Sequence[int] | None = None,
    include_heads: Sequence[int] | None = None,
    html_action: str = "view",
) -> Any:
    """``bertviz.head_view`` with attnlens's widget: the Lens (view) or an offline HTML object (return).

    ``layer`` and ``heads`` are original indices, as in BertViz, also when ``include_*`` subsets them.
    """
    kwargs = dict(attention=attention, tokens=tokens, sentence_b_start=sentence_b_start,
                  prettify_tokens=prettify_tokens, encoder_attention=encoder_attention,
                  decoder_attention=decoder_attention, cross_attention=cross_attention,
                  encoder_tokens=encoder_tokens, decoder_tokens=decoder_tokens, include_layers=include_layers,
                  include_heads=include_heads)
    return _view("head", kwargs, layer, heads, html_action)


def model_view(
    attention: Any = None,
    tokens: Sequence[str] | None = None,
    sentence_b_start: int | None = None,
    prettify_tokens: bool = True,
    display_mode: str = "dark",
    encoder_attention: Any = None,
    decoder_attention: Any = None,
    cross_attention: Any = None,
    encoder_tokens: Sequence[str] | None = None,
    decoder_tokens: Sequence[str] | None = None,
    include_layers: Sequence[int] | None = None,
    include_heads: Sequence[int] | None = None,
    html_action: str = "view",
) -> Any:
    """``bertviz.model_view`` with attnlens's model view (``display_mode`` is accepted; the widget follows
    the notebook's theme)."""
    if display_mode not in ("dark", "light"):
        raise ValueError(f"display_mode must be 'dark' or 'light', got {display_mode!r}")
    kwargs = dict(attention=attention, tokens=tokens, sentence_b_start=sentence_b_start,
                  prettify_tokens=prettify_tokens, encoder_attention=encoder_attention,
                  decoder_attention=decoder_attention, cross_attention=cross_attention,
                  encoder_tokens=encoder_tokens, decoder_tokens=decoder_tokens, include_layers=include_layers,
                  include_heads=include_heads)
    return _view("model", kwargs, None, None, html_action)


def neuron_view(
    model: Any,
    model_type: str,
    tokenizer: Any,
    sentence_a: str,
    sentence_b: str | None = None,
    display_mode: str = "dark",
    layer: int | None = None,
    head: int | None = None,
    html_action: str = "view",
) -> Any:
    """``bertviz.neuron_view.show`` for any Hugging Face model (no special BertViz model classes):
    traces it with attnlens and shows the neuron (query · key) view beside the head view."""
    _check_action(html_action)
    if not isinstance(model_type, str):
        raise ValueError(f"model_type must be a string such as 'bert' or 'gpt2', got {type(model_type).__name__}")
    if not sentence_a:
        raise ValueError("sentence_a is required")
    trace = run_trace(model, tokenizer, sentence_a, text_pair=sentence_b or None)
    lens = Lens(trace, layer=layer or 0)
    lens.view = "neuron,head"
    if head is not None:
        lens.heads = [head]
    ids = list(range(trace.n_layers)), list(range(trace.n_heads))
    return _finish(lens, *ids, html_action)
