"""What a Trace needs to run its model again: the model, its tokenizer and the encoded input.

``ModelRun`` is the one public object for it (``trace.source``). Every rerun (attributions, ablation,
an edited text, generation) finds the input's device with ``input_device`` and keeps the model's
training flags with ``eval_mode``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from attnlens.capture.inputs import EncodedText, encode

if TYPE_CHECKING:
    from attnlens.capture.trace import Trace


def input_device(model: Any) -> torch.device:
    """Where the input ids go: the device of the input embeddings (with ``device_map`` the first
    device of the split model), else of the first parameter."""
    embeddings = model.get_input_embeddings() if hasattr(model, "get_input_embeddings") else None
    weight = getattr(embeddings, "weight", None)
    return weight.device if isinstance(weight, torch.Tensor) else next(model.parameters()).device


@contextmanager
def eval_mode(model: torch.nn.Module) -> Iterator[None]:
    """Dropout off for the pass; the training flags of every submodule restored afterwards."""
    flags = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for module, training in flags:
            module.training = training


@dataclass(frozen=True)
class ModelRun:
    """The model, tokenizer and encoded input of one trace, and how to trace them again."""

    model: Any
    tokenizer: Any
    encoded: EncodedText
    runner: Callable[[Any, EncodedText], Trace]
    """``capture.run.trace_encoded``: one traced forward pass (handed in, so this module needs no
    import of the tracer)."""

    @property
    def device(self) -> torch.device:
        """The device every rerun puts the input on."""
        return input_device(self.model)

    def inputs(self) -> dict[str, torch.Tensor]:
        """The encoded input as the model's keyword arguments, on ``device``."""
        device = self.device
        return {k: v.to(device) for k, v in {"input_ids": self.encoded.input_ids, **self.encoded.extra}.items()}

    def retrace(self) -> Trace:
        """The same input traced again (under whatever hooks are active, e.g. an ablation's)."""
        return self.runner(self.model, self.encoded)

    def trace_text(self, text: str) -> Trace:
        """Another text traced with the same model and tokenizer."""
        return self.runner(self.model, encode(self.model, self.tokenizer, text))
