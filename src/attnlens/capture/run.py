"""``trace`` and ``generate``: one forward pass with hooks, leaving the user's model exactly as it was."""

from __future__ import annotations

import inspect
import os
import warnings
from contextlib import ExitStack
from typing import Any

import numpy as np
import torch

from attnlens.capture.adapters import SOURCE, TARGET, Adapter, adapter_for, bind
from attnlens.capture.attention_hook import AttentionCall, capture_attention_calls
from attnlens.capture.bridge import bridge_inputs, is_bridge, unbridged
from attnlens.capture.inputs import EncodedText, check_model, encode
from attnlens.capture.model_run import ModelRun, eval_mode, input_device
from attnlens.capture.trace import LayerAttentionInputs, Stack, Trace


def _first_tensor(output: Any) -> torch.Tensor:
    return output if isinstance(output, torch.Tensor) else output[0]


def _to_numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().to("cpu", torch.float32).numpy()


def _compact_mask(mask: torch.Tensor | None) -> torch.Tensor | None:
    """Keep boolean masks; turn a float mask of only 0 / very negative into a boolean one."""
    if mask is None or mask.dtype == torch.bool:
        return mask
    blocked = mask <= torch.finfo(torch.float32).min / 2
    if torch.all(blocked | (mask == 0)):
        return ~blocked
    return mask


def _layer_inputs(call: AttentionCall, masks: dict[int, torch.Tensor | None]) -> LayerAttentionInputs:
    """``masks`` shares one compacted mask between the layers that were handed the same tensor
    (all of them, usually): memory stays tokens² once, not once per layer."""
    if call.mask is None:
        mask = None
    else:
        if id(call.mask) not in masks:
            masks[id(call.mask)] = _compact_mask(call.mask)
        mask = masks[id(call.mask)]
    return LayerAttentionInputs(
        query=call.query.numpy(),
        key=call.key.numpy(),
        mask=mask,
        causal=call.causal_without_mask,
        scaling=call.scaling,
        softcap=call.softcap,
        bias=call.bias,
    )


def _model_name(model: Any) -> str:
    """A short name: the hub id, or the last two parts of a local path."""
    name = str(getattr(model.config, "name_or_path", "") or "")
    if os.path.isabs(name):
        name = "/".join(os.path.normpath(name).split(os.sep)[-2:])
    return name or type(model).__name__


def _run(model: Any, enc: EncodedText, **flags: Any) -> Any:
    device = input_device(model)
    inputs = {k: v.to(device) for k, v in {"input_ids": enc.input_ids, **enc.extra}.items()}
    return model(**inputs, **flags)


def _check_finite(model: Any, arrays: list[np.ndarray]) -> None:
    """NaN weights make a black heatmap and meaningless lines: name them instead."""
    if all(np.isfinite(a).all() for a in arrays):
        return
    broken = [name for name, p in model.named_parameters() if not torch.isfinite(p).all()]
    if broken:
        shown = ", ".join(broken[:5]) + (f" and {len(broken) - 5} more" if len(broken) > 5 else "")
        raise ValueError(
            f"the model's weights contain NaN or inf ({shown}): the checkpoint is corrupt or training "
            "diverged, so there is no attention to show. Reload or fix the weights."
        )
    raise ValueError("the forward pass produced NaN or inf (weights are finite): the input overflows this "
                     "model's precision; try float32.")


Captured = dict[str, list[torch.Tensor | None]]  # stack name → one tensor per block (or block + 1)


def _keep_residual_and_mlp(bound: list[Any], residual: Captured, mlp: Captured) -> list[Any]:
    """Hooks that keep each block's input embeddings, outputs and MLP activations; their handles."""
    handles = []
    for st in bound:
        if st.mlp_outs is None:  # cross-attention shares its blocks with the decoder
            continue
        name = st.spec.name

        def keep_embeddings(_m: Any, args: tuple[Any, ...], kwargs: dict[str, Any], name: str = name) -> None:
            hidden = args[0] if args else kwargs["hidden_states"]
            residual[name][0] = hidden[0].detach()

        handles.append(st.blocks[0].register_forward_pre_hook(keep_embeddings, with_kwargs=True))
        for i, block in enumerate(st.blocks):

            def keep_block(_m: Any, _a: Any, out: Any, name: str = name, i: int = i) -> None:
                residual[name][i + 1] = _first_tensor(out)[0].detach()

            def keep_mlp(_m: Any, args: tuple[Any, ...], name: str = name, i: int = i) -> None:
                mlp[name][i] = args[0][0].detach()

            handles.append(block.register_forward_hook(keep_block))
            handles.append(st.mlp_outs[i].register_forward_pre_hook(keep_mlp))
    return handles


def _stacks(model: Any, bound: list[Any], calls: dict[Any, Any], residual: Captured, mlp: Captured) -> dict[str, Stack]:
    """One Stack per bound stack from what the hooks kept; a clear error for a layer they missed."""
    stacks: dict[str, Stack] = {}
    masks: dict[int, torch.Tensor | None] = {}
    for st in bound:
        name, n = st.spec.name, len(st.blocks)
        missing = [i for i in range(n) if (name, i) not in calls]
        if st.mlp_outs is not None:
            missing += [i for i in range(n) if mlp[name][i] is None or residual[name][i + 1] is None]
        if missing:
            raise RuntimeError(
                f"attnlens could not capture layers {sorted(set(missing))} of the {name} stack of this "
                f"{model.config.model_type} model: its modules did not run the expected attention and MLP "
                "code. Please report the model name."
            )
        has_mlp = st.mlp_outs is not None
        stacks[name] = Stack(
            name=name,
            queries=st.spec.queries,
            keys=st.spec.keys,
            layers=[_layer_inputs(calls[(name, i)][0], masks) for i in range(n)],
            # float16 halves the largest per-token array (tokens × 4·width); mlp() hands back float32
            mlp=[np.clip(_to_numpy(m), -65504, 65504).astype(np.float16) for m in mlp[name] if m is not None]
            if has_mlp else None,
            residual=np.stack([_to_numpy(r) for r in residual[name] if r is not None]) if has_mlp else None,
        )
    return stacks


def _forward_with_hooks(model: Any, adapter: Adapter, enc: EncodedText) -> Trace:
    """One forward pass with the adapter's hooks, then the Trace of what they kept."""
    bound = bind(adapter, model)
    residual: Captured = {s.spec.name: [None] * (len(s.blocks) + 1) for s in bound}
    mlp: Captured = {s.spec.name: [None] * len(s.blocks) for s in bound}
    modules = {id(m): (s.spec.name, i) for s in bound for i, m in enumerate(s.attentions)}
    with ExitStack() as stack:
        for handle in _keep_residual_and_mlp(bound, residual, mlp):
            stack.callback(handle.remove)
        calls = stack.enter_context(capture_attention_calls(modules))
        stack.enter_context(eval_mode(model))
        stack.enter_context(torch.no_grad())
        # logits are recomputed on demand from the last residual: the pass itself needs only the last row
        trimmed = adapter.has_unembedding(model) and "logits_to_keep" in inspect.signature(model.forward).parameters
        output = _run(model, enc, **({"logits_to_keep": 1} if trimmed else {}))
    stacks = _stacks(model, bound, calls, residual, mlp)
    logits = getattr(output, "logits", None)
    logits_np = _to_numpy(logits[0]) if logits is not None else None
    _check_finite(
        model,
        [s.residual for s in stacks.values() if s.residual is not None]
        + [a for s in stacks.values() for layer in (s.layers or []) for a in (layer.query, layer.key)]
        + ([logits_np] if logits_np is not None else []),
    )
    logits_stack = adapter.logits_stack
    final_norm = next(s.final_norm for s in bound if s.spec.name == logits_stack)
    unembed = _unembedder(model, adapter, final_norm)
    kept = None if unembed is not None else logits_np  # recomputable logits are not kept (memory)
    return _assemble(model, enc, stacks, kept, unembed, logits_stack)


def _unembedder(model: Any, adapter: Adapter, final_norm: torch.nn.Module | None) -> Any:
    """residual [N, d] (float32, CPU) → logits, through the model's own final norm and head."""
    if not adapter.has_unembedding(model) or adapter.unembed is None:
        return None
    unembed = adapter.unembed
    dtype = next(model.parameters()).dtype

    def run(hidden: torch.Tensor) -> torch.Tensor:
        device = input_device(model) if final_norm is None else next(final_norm.parameters()).device
        h = hidden.to(device=device, dtype=dtype)
        if final_norm is not None:
            h = final_norm(h)
        with eval_mode(model):
            return unembed(model, h).float().cpu()

    return run


def _assemble(
    model: Any,
    enc: EncodedText,
    stacks: dict[str, Stack],
    logits: np.ndarray | None,
    unembed: Any,
    logits_stack: str,
) -> Trace:
    return Trace(
        tokens=enc.tokens,
        token_ids=enc.input_ids[0].numpy().copy(),
        special=enc.special,
        model_name=_model_name(model),
        model_type=str(getattr(model.config, "model_type", type(model).__name__)),
        stacks=stacks,
        stored_logits=logits,
        segments=enc.segments,
        generated=enc.generated,
        decoder_tokens=enc.decoder_tokens,
        decoder_ids=enc.decoder_ids[0].numpy().copy() if enc.decoder_ids is not None else None,
        decoder_special=enc.decoder_special,
        dtype=str(next(model.parameters()).dtype).removeprefix("torch."),
        logits_stack=logits_stack,
        source=ModelRun(model, enc.tokenizer, enc, trace_encoded),
        _unembed=unembed,
        _decode=enc.decode,
    )


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
        with eval_mode(model), torch.no_grad():
            output = _run(model, enc, output_attentions=True, output_hidden_states=True)
    except Exception as err:
        raise ValueError(
            f"attnlens has no adapter for model type {model_type!r} ({type(model).__name__}) and the model "
            f"cannot return eager attention weights ({type(err).__name__}: {err}). Load it with "
            "attn_implementation='eager', or open an issue naming the model."
        ) from err
    finally:
        if switch:
            model.set_attn_implementation(previous)
    seq2seq = getattr(output, "encoder_attentions", None) is not None
    found = {
        "encoder": (getattr(output, "encoder_attentions", None), SOURCE, SOURCE, "encoder_hidden_states"),
        "decoder": (getattr(output, "decoder_attentions", None), TARGET, TARGET, "decoder_hidden_states"),
        "cross": (getattr(output, "cross_attentions", None), TARGET, SOURCE, None),
    } if seq2seq else {"self": (getattr(output, "attentions", None), "input", "input", "hidden_states")}
    stacks = {}
    for name, (attentions, queries, keys, hidden_name) in found.items():
        if not attentions or any(a is None for a in attentions):
            raise ValueError(
                f"attnlens has no adapter for model type {model_type!r} ({type(model).__name__}) and the "
                "model returns no attention weights. Load it with attn_implementation='eager', or open an "
                "issue naming the model."
            )
        hidden = getattr(output, hidden_name, None) if hidden_name else None
        stacks[name] = Stack(
            name=name,
            queries=queries,
            keys=keys,
            eager=np.stack([_to_numpy(a[0]) for a in attentions]),
            residual=np.stack([_to_numpy(h[0]) for h in hidden]) if hidden else None,
        )
    logits = getattr(output, "logits", None)
    logits_np = _to_numpy(logits[0]) if logits is not None else None
    arrays = [a for s in stacks.values() for a in (s.eager, s.residual) if a is not None]
    _check_finite(model, arrays + ([logits_np] if logits_np is not None else []))
    return _assemble(model, enc, stacks, logits_np, None, "decoder" if seq2seq else "self")


def trace_encoded(model: Any, enc: EncodedText) -> Trace:
    adapter = adapter_for(model)
    if adapter is None:
        return _forward_eager_fallback(model, enc)
    with unbridged(model):  # a TransformerBridge's components give way to the model's own modules
        return _forward_with_hooks(model, adapter, enc)


def trace(
    model: Any,
    tokenizer: Any,
    text: str | None = None,
    text_pair: str | None = None,
    *,
    decoder_text: str | None = None,
    target: str | None = None,
) -> Trace:
    """Run ``text`` through ``model`` once and keep what attnlens shows.

    ``text_pair`` is a second sentence (BERT-style pairs, recorded as segments); ``decoder_text`` is
    the decoder text of an encoder-decoder model (T5, BART), whose ``text`` is the source
    (``target=`` is its old, deprecated name).
    Attention is recomputed from the captured q/k with the model's own mask, so SDPA and flash
    models need no switch to eager. Families without an adapter fall back to eager
    ``output_attentions`` with a warning. ``trace(bridge, text)`` traces the Hugging Face model a
    TransformerLens ``TransformerBridge`` wraps, on the bridge's own tokens.
    """
    if target is not None:
        warnings.warn("trace(target=...) is now trace(decoder_text=...)", DeprecationWarning, stacklevel=2)
        if decoder_text is not None:
            raise TypeError("give decoder_text= only (target= is its old name)")
        decoder_text = target
    if is_bridge(model):
        inner, encoded, name = bridge_inputs(model, tokenizer, text, text_pair, decoder_text)
        result = trace_encoded(inner, encoded)
        if name and result.model_name == type(inner).__name__:
            result.model_name = name
        return result
    check_model(model)
    return trace_encoded(model, encode(model, tokenizer, text, text_pair, decoder_text=decoder_text))  # type: ignore[arg-type]  # encode says what a bad text is
