"""Drop-in replacements for ``bertviz.head_view``, ``model_view`` and ``neuron_view`` that show attnlens.

Code written for BertViz keeps working with one changed import, and gets the linked, offline widget
instead of a page that loads require.js and d3 from a CDN and carries attention as JSON lists of floats.
The attention given is wrapped in a Trace without a model (an eager stack per attention kind).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from attnlens.capture.arrays import SPECIAL, AttentionStack, trace_from_arrays
from attnlens.capture.trace import Trace

if TYPE_CHECKING:
    from attnlens.widget.lens import Lens

MODEL_NAME = "bertviz-compatible input"
ACTIONS = ("view", "return")


def prettify(tokens: Sequence[str]) -> list[str]:
    """BertViz's ``format_special_chars``: byte-level 'Ġ' and sentencepiece '▁' become spaces, '</w>' goes."""
    return [t.replace("Ġ", " ").replace("▁", " ").replace("</w>", "") for t in tokens]


def _layers(attention: Any, name: str) -> np.ndarray:
    """Per-layer [1, heads, q, k] tensors (as HF returns them) → float32 [layers, heads, q, k]."""
    if isinstance(attention, (str, bytes, dict)) or not isinstance(attention, (tuple, list)) or not attention:
        raise ValueError(
            f"{name} must be a tuple of per-layer tensors of shape [batch=1, heads, queries, keys] (as a Hugging "
            f"Face model returns with output_attentions=True), got {type(attention).__name__}"
        )
    layers = []
    for i, layer in enumerate(attention):
        values = layer.detach().float().cpu().numpy() if hasattr(layer, "detach") else np.asarray(layer, np.float32)
        if values.ndim != 4 or values.shape[0] != 1:
            raise ValueError(
                f"{name}[{i}] has shape {tuple(values.shape)}; each layer must be 4-D [batch=1, heads, queries, keys]"
                " (set output_attentions=True and pass one input, not a batch)"
            )
        layers.append(values[0].astype(np.float32))
    if len({v.shape for v in layers}) != 1:
        raise ValueError(f"the layers of {name} differ in shape: {sorted({v.shape for v in layers})}")
    stacked = np.stack(layers)
    if not np.all(np.isfinite(stacked)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return stacked


def _subset(values: np.ndarray, include: Sequence[int] | None, axis: int, what: str) -> tuple[np.ndarray, list[int]]:
    """Keep the ``include``d layers or heads (original indices, in the given order)."""
    n = values.shape[axis]
    if include is None or len(include) == 0:  # BertViz treats an empty list as "all" too
        return values, list(range(n))
    kept = [int(i) for i in include]
    bad = [i for i in kept if not 0 <= i < n]
    if bad:
        raise ValueError(f"include_{what} {bad} out of range: the attention has {what} 0 to {n - 1}")
    return np.take(values, kept, axis=axis), kept


def _tokens(tokens: Any, n: int, name: str, pretty: bool) -> list[str]:
    if tokens is None:
        raise ValueError(f"'{name}' is required with this attention")
    if isinstance(tokens, str) or not all(isinstance(t, str) for t in tokens):
        raise ValueError(f"'{name}' must be a list of token strings")
    if len(tokens) != n:
        raise ValueError(f"the attention has {n} positions but {name} has {len(tokens)} tokens: {' '.join(tokens)}")
    return prettify(tokens) if pretty else list(tokens)


def build_trace(
    attention: Any = None,
    tokens: Sequence[str] | None = None,
    sentence_b_start: int | None = None,
    prettify_tokens: bool = True,
    encoder_attention: Any = None,
    decoder_attention: Any = None,
    cross_attention: Any = None,
    encoder_tokens: Sequence[str] | None = None,
    decoder_tokens: Sequence[str] | None = None,
    include_layers: Sequence[int] | None = None,
    include_heads: Sequence[int] | None = None,
) -> tuple[Trace, list[int], list[int]]:
    """A model-less Trace of BertViz-style arguments, and the original (layer, head) indices it keeps."""
    seq2seq = {"encoder": encoder_attention, "decoder": decoder_attention, "cross": cross_attention}
    if attention is not None:
        if any(v is not None for v in (*seq2seq.values(), encoder_tokens, decoder_tokens)):
            raise ValueError("with 'attention' (a self-attention model) give no encoder/decoder/cross arguments")
        given = {"self": _layers(attention, "attention")}
    else:
        given = {k: _layers(v, f"{k}_attention") for k, v in seq2seq.items() if v is not None}
        if not given:
            raise ValueError("give 'attention' and 'tokens', or encoder/decoder/cross attention with their tokens")
    shapes = {v.shape[:2] for v in given.values()}
    if len(shapes) != 1:
        raise ValueError(f"the attention kinds differ in layers × heads: {sorted(shapes)}")
    layer_ids: list[int] = []
    head_ids: list[int] = []
    for name, values in given.items():
        values, layer_ids = _subset(values, include_layers, 0, "layers")
        given[name], head_ids = _subset(values, include_heads, 1, "heads")

    kinds = {"self": ("input", "input"), "encoder": ("source", "source"), "decoder": ("target", "target"),
             "cross": ("target", "source")}
    target: list[str] | None = None
    if "self" in given:
        if given["self"].shape[2] != given["self"].shape[3]:
            raise ValueError(f"self-attention must be square per layer, got {given['self'].shape[2:]} (queries, keys)")
        main = _tokens(tokens, given["self"].shape[2], "tokens", prettify_tokens)
    elif "encoder" in given or "cross" in given:
        n_source = (given["encoder"] if "encoder" in given else given["cross"]).shape[-1]
        main = _tokens(encoder_tokens, n_source, "encoder_tokens", prettify_tokens)
        if "decoder" in given or "cross" in given:
            n_target = (given["decoder"] if "decoder" in given else given["cross"]).shape[2]
            target = _tokens(decoder_tokens, n_target, "decoder_tokens", prettify_tokens)
        if "cross" in given and given["cross"].shape[2:] != (len(target or []), len(main)):
            raise ValueError("cross_attention must be [.., decoder tokens, encoder tokens] per layer")
    else:  # a decoder alone: its tokens are the input
        main = _tokens(decoder_tokens, given["decoder"].shape[2], "decoder_tokens", prettify_tokens)
        kinds["decoder"] = ("input", "input")
    stacks = [AttentionStack(name, values, kinds[name][0], kinds[name][1]) for name, values in given.items()]

    raw = list(tokens or encoder_tokens or decoder_tokens or [])
    n = len(main)
    segments = None
    if sentence_b_start is not None:
        if not 0 <= sentence_b_start <= n:
            raise ValueError(f"sentence_b_start {sentence_b_start} is outside the {n} tokens")
        segments = [0] * sentence_b_start + [1] * (n - sentence_b_start)
    trace = trace_from_arrays(
        stacks, main, model_name=MODEL_NAME, model_type="bertviz",
        special=[t in SPECIAL for t in raw[:n]] + [False] * (n - len(raw[:n])),
        segments=segments, decoder_tokens=target,
    )
    return trace, layer_ids, head_ids


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

        from attnlens.widget.export import standalone_html

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
    from attnlens.widget.lens import Lens

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
    from attnlens.capture import trace as run_trace
    from attnlens.widget.lens import Lens

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
