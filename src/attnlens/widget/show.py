"""``show``: trace and display in one call, from a model object or a name/path."""

from __future__ import annotations

import os
from typing import Any

from attnlens.capture import trace
from attnlens.capture.bridge import is_bridge
from attnlens.widget.lens import Lens


def _load(name: str) -> tuple[Any, Any]:
    from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer

    looks_like_path = name.startswith((".", "~")) or os.path.isabs(name) or name.count("/") > 1
    if looks_like_path and not os.path.isdir(os.path.expanduser(name)):
        raise ValueError(
            f"no model directory at {name!r}: pass a directory holding config.json and the tokenizer "
            "files, or a model name that is in the local Hugging Face cache."
        )
    try:
        tokenizer = AutoTokenizer.from_pretrained(name)
    except (OSError, ValueError) as err:
        first = str(err).strip().splitlines()[0].rstrip(".") if str(err).strip() else type(err).__name__
        raise ValueError(
            f"could not load a tokenizer from {name!r} ({first}); pass a local directory or a model name "
            "available offline, or pass (model, tokenizer) objects."
        ) from None
    try:
        model = AutoModelForCausalLM.from_pretrained(name)
    except (ValueError, OSError):
        model = AutoModel.from_pretrained(name)
    return model, tokenizer


def show(model: Any, tokenizer: Any, text: str | None = None, *, layer: int = 0, display: bool = True) -> Lens:
    """``show(model, tokenizer, text)``, ``show("name-or-path", text)`` or ``show(bridge, text)`` (a
    TransformerLens TransformerBridge): trace, then display a Lens."""
    if isinstance(model, str):
        if text is not None:
            raise TypeError("show(name, text) takes the text second; no tokenizer is needed with a name")
        text = tokenizer
        model, tokenizer = _load(model)
    if text is None and not is_bridge(model):  # show(bridge, text): trace() takes the text second
        raise TypeError("show() needs the text to trace: show(model, tokenizer, text)")
    lens = Lens(trace(model, tokenizer, text), layer=layer)
    if display:
        try:
            from IPython import get_ipython
            from IPython.display import display as ipy_display
        except ImportError:
            return lens
        if get_ipython() is not None:
            ipy_display(lens)
            lens._suppress_next_repr = True
    return lens


def compare(trace_a: Any, trace_b: Any, **lens_kwargs: Any) -> Lens:
    """Two runs of one model side by side, aligned by token: attention, attribution and prediction,
    with what differs highlighted. The page's edit box reruns run B with another text."""
    lens_kwargs.setdefault("view", "compare")
    return Lens(trace_a, compare=trace_b, **lens_kwargs)
