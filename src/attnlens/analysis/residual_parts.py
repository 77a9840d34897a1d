"""The residual stream at one position, split into the parts that wrote it.

Shared by direct logit attribution and activation patching: where each part is read (hooks on the
adapter's modules, never eager attention), how a norm is frozen at its scale in one run, and how a
model's language-model head is cut into linear steps.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch

from attnlens.capture.adapters import BoundStack, adapter_for, bind

Linear = Callable[[torch.Tensor], torch.Tensor]

# Norms that sit on the residual path, by family and sublayer ("attn", "cross", "mlp"): (on the
# sublayer's output, after the residual addition). Pre-norm families (GPT-2, Llama, Mistral, Qwen2,
# Gemma, GPT-NeoX, T5) have none.
PathNorms = dict[str, tuple[str | None, str | None]]
PATH_NORMS: dict[str, PathNorms] = {
    "gemma2": {"attn": ("post_attention_layernorm", None), "mlp": ("post_feedforward_layernorm", None)},
    "bert": {"attn": (None, "attention.output.LayerNorm"), "mlp": (None, "output.LayerNorm")},
    "roberta": {"attn": (None, "attention.output.LayerNorm"), "mlp": (None, "output.LayerNorm")},
    "distilbert": {"attn": (None, "sa_layer_norm"), "mlp": (None, "output_layer_norm")},
    "bart": {"attn": (None, "self_attn_layer_norm"), "cross": (None, "encoder_attn_layer_norm"),
             "mlp": (None, "final_layer_norm")},
}

# Masked-LM heads with a transform before the unembedding: (dense, activation, norm).
HEAD_TRANSFORMS: dict[str, tuple[str, str | None, str]] = {
    "bert": ("cls.predictions.transform.dense", "cls.predictions.transform.transform_act_fn",
             "cls.predictions.transform.LayerNorm"),
    "roberta": ("lm_head.dense", None, "lm_head.layer_norm"),  # None: the GELU is a function call
    "distilbert": ("vocab_transform", "activation", "vocab_layer_norm"),
}


def _adapter(model: Any, what: str) -> Any:
    adapter = adapter_for(model)
    if adapter is None:
        model_type = getattr(getattr(model, "config", None), "model_type", type(model).__name__)
        raise ValueError(f"attnlens has no adapter for model type {model_type!r}, so it cannot find the parts "
                         f"that {what} needs")
    return adapter


def self_stack(model: Any, what: str) -> BoundStack:
    """The one attention stack of a decoder-only or encoder-only model, with clear errors otherwise."""
    adapter = _adapter(model, what)
    if len(adapter.stacks) != 1:
        raise ValueError(f"{what} supports decoder-only and encoder-only models; this {model.config.model_type} "
                         "model is an encoder-decoder (T5, BART), which it does not cover yet")
    bound = bind(adapter, model)[0]
    if bound.attn_outs is None or bound.mlp_outs is None:
        raise ValueError(f"the {model.config.model_type} adapter does not name the attention and MLP output "
                         "projections")
    return bound


def logits_stacks(model: Any, what: str) -> tuple[BoundStack, BoundStack | None]:
    """The stack the logits are read from, and its cross-attention stack (encoder-decoder models)."""
    adapter = _adapter(model, what)
    if len(adapter.stacks) == 1:
        return self_stack(model, what), None
    bound = {b.spec.name: b for b in bind(adapter, model)}
    return bound["decoder"], bound["cross"]


def in_out_weight(module: torch.nn.Module) -> torch.Tensor:
    """An output projection's weight as [in, out] (``nn.Linear`` stores [out, in]; GPT-2's Conv1D [in, out])."""
    weight = module.weight
    assert isinstance(weight, torch.Tensor)
    return weight if type(module).__name__ == "Conv1D" else weight.T


def bias_of(module: torch.nn.Module, width: int, dtype: torch.dtype) -> torch.Tensor:
    bias = getattr(module, "bias", None)
    if isinstance(bias, torch.Tensor):
        return bias.detach().to("cpu", dtype)
    return torch.zeros(width, dtype=dtype)


def frozen_norm(norm: torch.nn.Module, x: torch.Tensor) -> tuple[Linear, torch.Tensor]:
    """(linear part, constant) of ``norm`` with its scale frozen at input ``x`` [width] (float64).

    LayerNorm: (v − mean v)·γ/σ(x), constant β. RMSNorm (any gain, e.g. Gemma's 1 + w): v·g/rms(x),
    where g is read from the module itself as norm(1)·√(1 + ε). Checked against the module's own output.
    """
    dtype = x.dtype
    param = next(norm.parameters())
    if isinstance(norm, torch.nn.LayerNorm):
        gamma = bias_of_weight(norm, x.shape[-1], dtype)
        scale = gamma / torch.sqrt(x.var(unbiased=False) + norm.eps)
        const = bias_of(norm, x.shape[-1], dtype)

        def linear(v: torch.Tensor) -> torch.Tensor:
            return (v - v.mean(-1, keepdim=True)) * scale
    else:
        eps = getattr(norm, "variance_epsilon", getattr(norm, "eps", None))
        if not isinstance(eps, float):
            raise ValueError(f"attnlens does not know how to freeze the norm {type(norm).__name__}")
        with torch.no_grad():
            ones = torch.ones(1, x.shape[-1], dtype=param.dtype, device=param.device)
            gain = norm(ones)[0].to("cpu", dtype) * (1 + eps) ** 0.5
        scale = gain / torch.sqrt(x.pow(2).mean() + eps)
        const = torch.zeros_like(x)

        def linear(v: torch.Tensor) -> torch.Tensor:
            return v * scale
    with torch.no_grad():
        own = norm(x.to(param.device, param.dtype)[None])[0].to("cpu", dtype)
    mine = linear(x) + const
    if not torch.allclose(mine, own, rtol=1e-3, atol=1e-3 * float(own.abs().max()) + 1e-6):
        raise ValueError(f"attnlens could not freeze the norm {type(norm).__name__}: its output is not a "
                         "LayerNorm or RMSNorm of its input")
    return linear, const


def bias_of_weight(norm: torch.nn.Module, width: int, dtype: torch.dtype) -> torch.Tensor:
    weight = getattr(norm, "weight", None)
    return weight.detach().to("cpu", dtype) if isinstance(weight, torch.Tensor) else torch.ones(width, dtype=dtype)


def model_inputs(model: Any, encoded: Any) -> dict[str, torch.Tensor]:
    """The encoded text as keyword arguments on the model's input device, without a KV cache."""
    weight = model.get_input_embeddings().weight
    inputs = {k: v.to(weight.device) for k, v in {"input_ids": encoded.input_ids, **encoded.extra}.items()}
    if "use_cache" in inspect.signature(model.forward).parameters:
        inputs["use_cache"] = False  # type: ignore[assignment]
    return inputs


@contextmanager
def logits_at(model: Any, position: int) -> Iterator[None]:
    """The head computes logits at ``position`` only: the unembedding's input is sliced to that row."""
    head = model.get_output_embeddings()
    if head is None:
        raise ValueError(f"this {model.config.model_type} model has no unembedding (a base model without a "
                         "language-model head): load it with AutoModelForCausalLM or AutoModelForMaskedLM")

    def cut(_m: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
        hidden = args[0]
        return (hidden[:, position : position + 1] if hidden.shape[1] > 1 else hidden, *args[1:])

    handle = head.register_forward_pre_hook(cut)
    try:
        yield
    finally:
        handle.remove()


def uncapped(model: Any, logits: torch.Tensor) -> torch.Tensor:
    """Undo Gemma 2's final logit soft-capping (cap·tanh(x / cap)), which no linear split survives."""
    cap = getattr(model.config, "final_logit_softcapping", None)
    if not cap:
        return logits
    return torch.atanh((logits / cap).clamp(-1 + 1e-12, 1 - 1e-12)) * cap


def block_hidden(args: tuple[Any, ...], kwargs: dict[str, Any]) -> torch.Tensor:
    hidden = args[0] if args else kwargs["hidden_states"]
    assert isinstance(hidden, torch.Tensor)
    return hidden
