"""Where each model family keeps its parts. Capture is the only code that knows architectures.

An adapter lists the model's attention *stacks* (one for decoder-only and encoder-only models;
encoder, decoder and cross-attention for encoder-decoder models), where each stack's blocks,
attention modules, MLP output projections and final norm live, and how hidden states become logits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

# Which token sequence a stack's queries and keys run over.
INPUT, SOURCE, TARGET = "input", "source", "target"


@dataclass(frozen=True)
class StackSpec:
    """Dotted paths relative to the model's base model (``model.base_model``)."""

    name: str  # "self", "encoder", "decoder" or "cross"
    blocks: str  # the ModuleList of blocks
    attention: str  # inside a block: the module that calls the attention interface
    mlp_out: str | None  # inside a block: the MLP's output projection (its input = neuron activations)
    final_norm: str | None  # applied after the last block, before the unembedding
    queries: str = INPUT
    keys: str = INPUT
    attn_out: str | None = None  # inside a block: attention's output projection (input = heads concatenated)


Unembed = Callable[[Any, torch.Tensor], torch.Tensor]  # (model, normed hidden [N, d]) → logits [N, V]


def _output_embeddings(model: Any, hidden: torch.Tensor) -> torch.Tensor:
    head = model.get_output_embeddings()
    logits = head(hidden)
    softcap = getattr(model.config, "final_logit_softcapping", None)
    if softcap:
        logits = torch.tanh(logits / softcap) * softcap
    return logits  # type: ignore[no-any-return]


def _bert_mlm(model: Any, hidden: torch.Tensor) -> torch.Tensor:
    return model.cls(hidden)  # type: ignore[no-any-return]


def _roberta_mlm(model: Any, hidden: torch.Tensor) -> torch.Tensor:
    return model.lm_head(hidden)  # type: ignore[no-any-return]


def _distilbert_mlm(model: Any, hidden: torch.Tensor) -> torch.Tensor:
    hidden = model.vocab_layer_norm(model.activation(model.vocab_transform(hidden)))
    return model.vocab_projector(hidden)  # type: ignore[no-any-return]


def _bart_lm(model: Any, hidden: torch.Tensor) -> torch.Tensor:
    return model.lm_head(hidden) + model.final_logits_bias.to(hidden.device)  # type: ignore[no-any-return]


def _t5_lm(model: Any, hidden: torch.Tensor) -> torch.Tensor:
    if getattr(model.config, "scale_decoder_outputs", model.config.tie_word_embeddings):
        hidden = hidden * (model.config.d_model**-0.5)
    return model.lm_head(hidden)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Adapter:
    family: str
    stacks: tuple[StackSpec, ...]
    positions: str  # "absolute", "rotary", "partial rotary" or "relative bias"
    unembed: Unembed | None = _output_embeddings
    head_attr: str | None = None  # the attribute that must exist for ``unembed`` (None: output embeddings)

    @property
    def logits_stack(self) -> str:
        """The stack whose residual stream the logits are read from."""
        return "decoder" if any(s.name == "decoder" for s in self.stacks) else "self"

    def has_unembedding(self, model: Any) -> bool:
        if self.unembed is None:
            return False
        if self.head_attr is not None:
            return hasattr(model, self.head_attr)
        get = getattr(model, "get_output_embeddings", None)
        return get is not None and get() is not None


def _decoder_only(
    family: str, blocks: str, attention: str, attn_out: str, mlp_out: str, norm: str, positions: str
) -> Adapter:
    return Adapter(family, (StackSpec("self", blocks, attention, mlp_out, norm, attn_out=attn_out),), positions)


def _encoder_only(
    family: str, blocks: str, attention: str, attn_out: str, mlp_out: str, unembed: Unembed, head: str
) -> Adapter:
    stack = StackSpec("self", blocks, attention, mlp_out, None, attn_out=attn_out)
    return Adapter(family, (stack,), "absolute", unembed, head)


_LLAMA_LIKE = ("layers", "self_attn", "self_attn.o_proj", "mlp.down_proj", "norm", "rotary")
_BERT_LIKE = ("encoder.layer", "attention.self", "attention.output.dense", "output.dense")

ADAPTERS: dict[str, Adapter] = {
    "gpt2": _decoder_only("gpt2", "h", "attn", "attn.c_proj", "mlp.c_proj", "ln_f", "absolute"),
    "llama": _decoder_only("llama", *_LLAMA_LIKE),
    "mistral": _decoder_only("mistral", *_LLAMA_LIKE),
    "qwen2": _decoder_only("qwen2", *_LLAMA_LIKE),
    "gemma": _decoder_only("gemma", *_LLAMA_LIKE),
    "gemma2": _decoder_only("gemma2", *_LLAMA_LIKE),
    "gpt_neox": _decoder_only(
        "gpt_neox", "layers", "attention", "attention.dense", "mlp.dense_4h_to_h", "final_layer_norm",
        "partial rotary",
    ),
    "bert": _encoder_only("bert", *_BERT_LIKE, _bert_mlm, "cls"),
    "roberta": _encoder_only("roberta", *_BERT_LIKE, _roberta_mlm, "lm_head"),
    "distilbert": _encoder_only(
        "distilbert", "transformer.layer", "attention", "attention.out_lin", "ffn.lin2", _distilbert_mlm,
        "vocab_projector",
    ),
    "bart": Adapter(
        "bart",
        (
            StackSpec("encoder", "encoder.layers", "self_attn", "fc2", None, SOURCE, SOURCE, "self_attn.out_proj"),
            StackSpec("decoder", "decoder.layers", "self_attn", "fc2", None, TARGET, TARGET, "self_attn.out_proj"),
            StackSpec("cross", "decoder.layers", "encoder_attn", None, None, TARGET, SOURCE, "encoder_attn.out_proj"),
        ),
        "absolute",
        _bart_lm,
        "lm_head",
    ),
    "t5": Adapter(
        "t5",
        (
            StackSpec("encoder", "encoder.block", "layer.0.SelfAttention", "layer.1.DenseReluDense.wo",
                      "encoder.final_layer_norm", SOURCE, SOURCE, "layer.0.SelfAttention.o"),
            StackSpec("decoder", "decoder.block", "layer.0.SelfAttention", "layer.2.DenseReluDense.wo",
                      "decoder.final_layer_norm", TARGET, TARGET, "layer.0.SelfAttention.o"),
            StackSpec("cross", "decoder.block", "layer.1.EncDecAttention", None, None, TARGET, SOURCE,
                      "layer.1.EncDecAttention.o"),
        ),
        "relative bias",
        _t5_lm,
        "lm_head",
    ),
}


def adapter_for(model: torch.nn.Module) -> Adapter | None:
    """The adapter for this model's family, or None when attnlens does not know it."""
    model_type = getattr(getattr(model, "config", None), "model_type", None)
    return ADAPTERS.get(str(model_type))


def resolve(root: Any, path: str) -> Any:
    """``resolve(block, "mlp.c_proj")``: follow a dotted path of attributes or indices."""
    node = root
    for part in path.split("."):
        node = node[int(part)] if part.isdigit() else getattr(node, part)
    return node


@dataclass
class BoundStack:
    """A stack resolved against one model instance."""

    spec: StackSpec
    blocks: list[torch.nn.Module]
    attentions: list[torch.nn.Module]
    mlp_outs: list[torch.nn.Module] | None
    final_norm: torch.nn.Module | None
    attn_outs: list[torch.nn.Module] | None


def bind(adapter: Adapter, model: torch.nn.Module) -> list[BoundStack]:
    base = getattr(model, "base_model", model)
    bound = []
    for spec in adapter.stacks:
        blocks = list(resolve(base, spec.blocks))
        bound.append(
            BoundStack(
                spec=spec,
                blocks=blocks,
                attentions=[resolve(b, spec.attention) for b in blocks],
                mlp_outs=[resolve(b, spec.mlp_out) for b in blocks] if spec.mlp_out else None,
                final_norm=resolve(base, spec.final_norm) if spec.final_norm else None,
                attn_outs=[resolve(b, spec.attn_out) for b in blocks] if spec.attn_out else None,
            )
        )
    return bound
