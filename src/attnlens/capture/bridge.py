"""TransformerLens 4's ``TransformerBridge``: trace the Hugging Face model it wraps.

A bridge installs its own components in place of the wrapped model's modules (``transformer.h`` becomes
a list of block bridges around the original blocks, and so on), so attnlens's hooks would find none of
the modules they expect. ``unbridged`` puts the original modules back for one pass and then restores
the bridge's, leaving both the bridge and the model exactly as they were. ``transformer_lens`` is
never imported: a bridge is recognised by its class names.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

from attnlens.capture.inputs import (
    EncodedText,
    check_length,
    check_text,
    check_vocabulary,
    display_tokens,
    special_flags,
)

BRIDGE_CLASSES = {"TransformerBridge", "BridgeCore"}


def is_bridge(obj: Any) -> bool:
    """A TransformerLens bridge (``TransformerBridge`` or a subclass), without importing transformer_lens."""
    return any(c.__name__ in BRIDGE_CLASSES and c.__module__.startswith("transformer_lens")
               for c in type(obj).__mro__)


def _original(module: torch.nn.Module) -> torch.nn.Module:
    """The module a bridge component wraps (through nested wrappers); the module itself otherwise."""
    seen = 0
    while isinstance(getattr(module, "original_component", None), torch.nn.Module) and seen < 8:
        module = module.original_component  # type: ignore[assignment]
        seen += 1
    return module


def _unwrapped_child(child: torch.nn.Module) -> torch.nn.Module:
    original = _original(child)
    if original is child and isinstance(child, torch.nn.ModuleList):
        items = [_original(m) for m in child]
        if any(a is not b for a, b in zip(items, child, strict=True)):
            return torch.nn.ModuleList(items)
    return original


@contextmanager
def unbridged(model: torch.nn.Module) -> Iterator[None]:
    """The model's own modules in place of a bridge's components for the duration; a no-op otherwise."""
    swaps: list[tuple[torch.nn.Module, str, torch.nn.Module]] = []

    def visit(module: torch.nn.Module, depth: int) -> None:
        for name, child in list(module._modules.items()):
            if child is None:
                continue
            plain = _unwrapped_child(child)
            if plain is not child:
                swaps.append((module, name, child))
                module._modules[name] = plain
            if depth < 64:
                visit(plain, depth + 1)

    try:
        visit(model, 0)
        yield
    finally:
        for parent, name, bridged in reversed(swaps):
            parent._modules[name] = bridged


def bridge_parts(bridge: Any, what: str) -> tuple[torch.nn.Module, Any]:
    """(wrapped Hugging Face model, tokenizer) of a bridge, or a clear error saying what is missing."""
    tokenizer = getattr(bridge, "tokenizer", None)
    if tokenizer is None:
        raise ValueError(
            f"this TransformerBridge has no tokenizer, so attnlens cannot turn the text into tokens for {what}: "
            "boot it with one (TransformerBridge.boot_transformers(name, hf_model=model, tokenizer=tok)), "
            "set bridge.tokenizer = tok, or pass the tokenizer: al.trace(bridge, tok, text)."
        )
    try:
        model = bridge.original_model
    except AttributeError as err:
        raise ValueError(
            f"this bridge runs its model remotely ({err}); attnlens traces a local Hugging Face model. "
            "Use al.from_cache(cache, tokens) with the cache from bridge.run_with_cache(text)."
        ) from None
    if getattr(bridge, "_weights_processed", False):
        raise ValueError(
            "this TransformerBridge's weights were processed (enable_compatibility_mode folds and centres "
            "them), so the wrapped Hugging Face model no longer computes what the bridge does. Trace a "
            "bridge booted without processing, or show the bridge's own activations: "
            "_, cache = bridge.run_with_cache(text); al.from_cache(cache, bridge.to_str_tokens(text))."
        )
    return model, tokenizer


def encode_with_bridge(bridge: Any, model: torch.nn.Module, tokenizer: Any, text: str) -> EncodedText:
    """The tokens the bridge itself runs on (``bridge.to_tokens``: its BOS rule included)."""
    check_text(text)
    ids_tensor = bridge.to_tokens(text)
    if ids_tensor.dim() != 2 or ids_tensor.shape[0] != 1:
        raise ValueError(f"bridge.to_tokens gave shape {tuple(ids_tensor.shape)}; attnlens traces one text")
    input_ids = ids_tensor.detach().to("cpu", torch.long)
    ids = input_ids[0].tolist()
    if not ids:
        raise ValueError("the bridge's tokenizer produced no tokens for this text; pass some words.")
    check_length(model, len(ids))
    check_vocabulary(model, ids)
    return EncodedText(
        input_ids=input_ids,
        extra={"attention_mask": torch.ones_like(input_ids)},
        tokens=display_tokens(tokenizer, ids),
        special=special_flags(tokenizer, ids),
        decode=lambda row: display_tokens(tokenizer, row),
        tokenizer=tokenizer,
    )


def bridge_inputs(
    bridge: Any, tokenizer: Any, text: str | None, text_pair: str | None, target: str | None
) -> tuple[torch.nn.Module, EncodedText, str | None]:
    """What ``al.trace(bridge, text)`` (or ``al.trace(bridge, tokenizer, text)`` for a bridge without a
    tokenizer) runs: the wrapped model, the encoded text and the bridge's model name. The caller runs
    the pass (capture/run.py), so this module never imports the tracer."""
    from attnlens.capture.inputs import check_model, encode

    if isinstance(tokenizer, str) and text is None:
        tokenizer, text = None, tokenizer
    if text is None:
        raise TypeError("trace() needs the text to trace: al.trace(bridge, text)")
    if text_pair is not None or target is not None:
        raise ValueError("al.trace(bridge, text) traces one text; text_pair and target are for Hugging Face "
                         "models given directly: al.trace(bridge.original_model, tokenizer, text, ...)")
    if tokenizer is not None and getattr(bridge, "tokenizer", None) is None:
        model = bridge.original_model
        check_model(model)
        enc = encode(model, tokenizer, text)
    else:
        model, own = bridge_parts(bridge, "al.trace")
        check_model(model)
        enc = encode_with_bridge(bridge, model, own, text)
    name = getattr(getattr(bridge, "cfg", None), "model_name", None)
    return model, enc, name if isinstance(name, str) and name else None
