"""Traces built from raw attention arrays, without a model (BertViz-style arguments): one eager
stack per attention kind (self, or encoder / decoder / cross), tokens given as text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from attnlens.capture.trace import Stack, Trace

MODEL_NAME = "bertviz-compatible input"
SPECIAL = {"[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]", "<s>", "</s>", "<pad>", "<unk>", "<mask>",
           "<|endoftext|>", "<cls>", "<sep>"}


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


def _token_sides(
    given: dict[str, np.ndarray],
    kinds: dict[str, tuple[str, str]],
    tokens: Sequence[str] | None,
    encoder_tokens: Sequence[str] | None,
    decoder_tokens: Sequence[str] | None,
    prettify_tokens: bool,
) -> tuple[list[str], list[str] | None]:
    """The input (or source) tokens and the decoder tokens, checked against the attention's shapes;
    a decoder given alone reads its tokens as the input (``kinds`` is updated)."""
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
    return main, target


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
    main, target = _token_sides(given, kinds, tokens, encoder_tokens, decoder_tokens, prettify_tokens)
    stacks = {name: Stack(name, kinds[name][0], kinds[name][1], eager=values) for name, values in given.items()}

    raw = list(tokens or encoder_tokens or decoder_tokens or [])
    n = len(main)
    segments = None
    if sentence_b_start is not None:
        if not 0 <= sentence_b_start <= n:
            raise ValueError(f"sentence_b_start {sentence_b_start} is outside the {n} tokens")
        segments = [0] * sentence_b_start + [1] * (n - sentence_b_start)
    trace = Trace(
        tokens=main,
        token_ids=np.full(n, -1, np.int64),  # no tokenizer: no ids
        special=[t in SPECIAL for t in raw[:n]] + [False] * (n - len(raw[:n])),
        model_name=MODEL_NAME,
        model_type="bertviz",
        stacks=stacks,
        segments=segments,
        decoder_tokens=target,
        logits_stack=next(iter(stacks)),
    )
    return trace, layer_ids, head_ids
