"""Where each model family keeps its parts. Capture is the only code that knows architectures."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Adapter:
    """Dotted paths, relative to the model's base model (``model.base_model``)."""

    family: str
    blocks: str  # the ModuleList of transformer blocks
    attention: str  # inside a block: the module that calls the attention interface
    mlp_out: str  # inside a block: the MLP's output projection (its input = neuron activations)
    final_norm: str | None  # the norm applied before the unembedding, if any
    positions: str  # "absolute" or "rotary": how positions enter


_LLAMA_LIKE = dict(
    blocks="layers",
    attention="self_attn",
    mlp_out="mlp.down_proj",
    final_norm="norm",
    positions="rotary",
)

ADAPTERS: dict[str, Adapter] = {
    "gpt2": Adapter("gpt2", "h", "attn", "mlp.c_proj", "ln_f", "absolute"),
    "bert": Adapter("bert", "encoder.layer", "attention.self", "output.dense", None, "absolute"),
    "roberta": Adapter("roberta", "encoder.layer", "attention.self", "output.dense", None, "absolute"),
    "llama": Adapter("llama", **_LLAMA_LIKE),
    "mistral": Adapter("mistral", **_LLAMA_LIKE),
    "qwen2": Adapter("qwen2", **_LLAMA_LIKE),
}


def adapter_for(model: torch.nn.Module) -> Adapter | None:
    """The adapter for this model's family, or None when attnlens does not know it."""
    model_type = getattr(getattr(model, "config", None), "model_type", None)
    return ADAPTERS.get(str(model_type))


def resolve(root: torch.nn.Module, path: str) -> torch.nn.Module:
    """``resolve(block, "mlp.c_proj")``: follow a dotted path of attributes or indices."""
    node: torch.nn.Module = root
    for part in path.split("."):
        node = node[int(part)] if part.isdigit() else getattr(node, part)  # type: ignore[index]
    return node


@dataclass
class BoundAdapter:
    """An adapter resolved against one model instance."""

    adapter: Adapter
    blocks: list[torch.nn.Module]
    attentions: list[torch.nn.Module]
    mlp_outs: list[torch.nn.Module]
    final_norm: torch.nn.Module | None


def bind(adapter: Adapter, model: torch.nn.Module) -> BoundAdapter:
    base = getattr(model, "base_model", model)
    blocks = list(resolve(base, adapter.blocks))  # type: ignore[call-overload]
    return BoundAdapter(
        adapter=adapter,
        blocks=blocks,
        attentions=[resolve(b, adapter.attention) for b in blocks],
        mlp_outs=[resolve(b, adapter.mlp_out) for b in blocks],
        final_norm=resolve(base, adapter.final_norm) if adapter.final_norm else None,
    )
