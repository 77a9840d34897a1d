"""``trace``: one forward pass with hooks, leaving the user's model exactly as it was."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import numpy as np
import torch

from attnlens.capture.adapters import BoundAdapter, adapter_for, bind
from attnlens.capture.attention_hook import AttentionCall, capture_attention_calls
from attnlens.capture.inputs import EncodedText, check_model, encode
from attnlens.capture.trace import LayerAttentionInputs, Trace


def _first_tensor(output: Any) -> torch.Tensor:
    return output if isinstance(output, torch.Tensor) else output[0]


def _to_numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().to("cpu", torch.float32).numpy()


@contextmanager
def _eval_mode(model: torch.nn.Module) -> Iterator[None]:
    """Dropout off for the pass; the training flags of every submodule restored afterwards."""
    flags = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for module, training in flags:
            module.training = training


def _compact_mask(mask: torch.Tensor | None) -> torch.Tensor | None:
    """Keep boolean masks; turn a float mask of only 0 / very negative into a boolean one."""
    if mask is None or mask.dtype == torch.bool:
        return mask
    blocked = mask <= torch.finfo(torch.float32).min / 2
    if torch.all(blocked | (mask == 0)):
        return ~blocked
    return mask


def _layer_inputs(call: AttentionCall) -> LayerAttentionInputs:
    return LayerAttentionInputs(
        query=call.query.numpy(),
        key=call.key.numpy(),
        value=call.value.numpy(),
        mask=_compact_mask(call.mask),
        causal=call.causal_without_mask,
        scaling=call.scaling,
        softcap=call.softcap,
    )


def _model_name(model: torch.nn.Module) -> str:
    """A short name: the hub id, or the last two parts of a local path."""
    name = str(getattr(model.config, "name_or_path", "") or "")
    if os.path.isabs(name):
        name = "/".join(os.path.normpath(name).split(os.sep)[-2:])
    return name or type(model).__name__


def _forward_with_hooks(model: Any, bound: BoundAdapter, enc: EncodedText) -> Trace:
    n_layers = len(bound.blocks)
    residual: list[torch.Tensor | None] = [None] * (n_layers + 1)
    mlp: list[torch.Tensor | None] = [None] * n_layers
    modules = {id(m): i for i, m in enumerate(bound.attentions)}

    with ExitStack() as stack:
        handles = []

        def keep_embeddings(_module: torch.nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
            hidden = args[0] if args else kwargs["hidden_states"]
            residual[0] = hidden[0].detach()

        handles.append(bound.blocks[0].register_forward_pre_hook(keep_embeddings, with_kwargs=True))
        for i, block in enumerate(bound.blocks):

            def keep_block(_m: torch.nn.Module, _a: Any, out: Any, i: int = i) -> None:
                residual[i + 1] = _first_tensor(out)[0].detach()

            def keep_mlp(_m: torch.nn.Module, args: tuple[Any, ...], i: int = i) -> None:
                mlp[i] = args[0][0].detach()

            handles.append(block.register_forward_hook(keep_block))
            handles.append(bound.mlp_outs[i].register_forward_pre_hook(keep_mlp))
        for handle in handles:
            stack.callback(handle.remove)
        calls = stack.enter_context(capture_attention_calls(modules))
        stack.enter_context(_eval_mode(model))
        stack.enter_context(torch.no_grad())
        device = next(model.parameters()).device
        inputs = {k: v.to(device) for k, v in {"input_ids": enc.input_ids, **enc.extra}.items()}
        output = model(**inputs)

    missing = [i for i in range(n_layers) if i not in calls or mlp[i] is None or residual[i + 1] is None]
    if missing:
        raise RuntimeError(
            f"attnlens could not capture layers {missing} of this {model.config.model_type} model: its "
            "modules did not run the expected attention and MLP code. Please report the model name."
        )
    logits = getattr(output, "logits", None)
    heads = calls[0][0].query.shape[0]
    layers = [_layer_inputs(calls[i][0]) for i in range(n_layers)]
    return Trace(
        tokens=enc.tokens,
        token_ids=enc.input_ids[0].numpy().copy(),
        special=enc.special,
        model_name=_model_name(model),
        model_type=str(model.config.model_type),
        n_layers=n_layers,
        n_heads=int(heads),
        causal=_is_causal(layers[0]),
        layers=layers,
        mlp_activations=[_to_numpy(m) for m in mlp if m is not None],
        residual=np.stack([_to_numpy(r) for r in residual if r is not None]),
        logits=_to_numpy(logits[0]) if logits is not None else None,
    )


def _is_causal(inputs: LayerAttentionInputs) -> bool:
    """True when no token may attend to a later one, judged from the mask the model used."""
    if inputs.causal:
        return True
    mask = inputs.mask
    if mask is None:
        return False
    future = torch.ones(mask.shape[-2:], dtype=torch.bool).triu(1)
    if mask.dtype == torch.bool:
        return not bool(mask[..., future].any())
    return bool((mask[..., future] <= torch.finfo(torch.float32).min / 2).all())


def _forward_eager_fallback(model: Any, enc: EncodedText) -> Trace:
    model_type = str(getattr(model.config, "model_type", type(model).__name__))
    warnings.warn(
        f"attnlens has no adapter for model type {model_type!r}: using the model's own eager "
        "attention weights (no q/k, MLP or logit-lens capture).",
        stacklevel=3,
    )
    previous = getattr(model.config, "_attn_implementation", None)
    switch = previous not in (None, "eager") and hasattr(model, "set_attn_implementation")
    try:
        if switch:
            model.set_attn_implementation("eager")
        with _eval_mode(model), torch.no_grad():
            device = next(model.parameters()).device
            inputs = {k: v.to(device) for k, v in {"input_ids": enc.input_ids, **enc.extra}.items()}
            output = model(**inputs, output_attentions=True, output_hidden_states=True)
    finally:
        if switch:
            model.set_attn_implementation(previous)
    attentions = getattr(output, "attentions", None)
    if not attentions or any(a is None for a in attentions):
        raise ValueError(
            f"attnlens has no adapter for model type {model_type!r} and the model returns no attention "
            "weights. Load it with attn_implementation='eager', or open an issue naming the model."
        )
    hidden = getattr(output, "hidden_states", None)
    logits = getattr(output, "logits", None)
    stacked = np.stack([_to_numpy(a[0]) for a in attentions])
    return Trace(
        tokens=enc.tokens,
        token_ids=enc.input_ids[0].numpy().copy(),
        special=enc.special,
        model_name=_model_name(model),
        model_type=model_type,
        n_layers=stacked.shape[0],
        n_heads=stacked.shape[1],
        causal=bool(np.allclose(np.triu(stacked[0, 0], 1), 0.0)),
        eager_attentions=stacked,
        residual=np.stack([_to_numpy(h[0]) for h in hidden]) if hidden else None,
        logits=_to_numpy(logits[0]) if logits is not None else None,
    )


def trace(model: Any, tokenizer: Any, text: str, text_pair: str | None = None) -> Trace:
    """Run ``text`` through ``model`` once and keep what attnlens shows.

    Attention is recomputed from the captured q/k with the model's own mask, so SDPA and flash
    models need no switch to eager. Models of families without an adapter fall back to eager
    ``output_attentions`` with a warning.
    """
    check_model(model)
    enc = encode(model, tokenizer, text, text_pair)
    adapter = adapter_for(model)
    if adapter is None:
        return _forward_eager_fallback(model, enc)
    return _forward_with_hooks(model, bind(adapter, model), enc)
