"""Direct logit attribution: how much each head, each MLP, the embeddings and the biases write into
one logit (or a logit difference, target − contrast) at one position.

The residual stream at that position is the sum of the parts that wrote it. Every norm between a
part and the logit is frozen at its scale in this run, as TransformerLens does: the final norm; in
post-norm models (BERT, RoBERTa, DistilBERT) the norm after each residual addition; Gemma 2's norms on
each sublayer's output. With the scales frozen the path is linear, so the parts add up to the model's
own logit. A masked-LM head with a transform before the unembedding (dense → GELU → LayerNorm) is
linearised the same way: the GELU's gate gelu(y)/y is frozen at its value in this run. Gemma 2's final
logit soft-capping (cap·tanh(x / cap)) is not linear: there the parts add up to the logit before the cap.

Head outputs are read at the input of attention's output projection (the heads' attention-weighted
values, concatenated), by a hook: the model keeps its own attention implementation (SDPA, flash).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from attnlens.analysis.attribution import resolve_target
from attnlens.analysis.residual_parts import (
    HEAD_TRANSFORMS,
    PATH_NORMS,
    bias_of,
    block_hidden,
    frozen_norm,
    in_out_weight,
    logits_at,
    logits_stacks,
    model_inputs,
    uncapped,
)
from attnlens.capture.adapters import BoundStack, resolve

if TYPE_CHECKING:
    from attnlens.capture.trace import Trace

F64 = torch.float64


@dataclass
class LogitAttribution:
    """Each part's direct contribution to ``logit`` (target − contrast when there is a contrast)."""

    heads: np.ndarray  # [layers, heads]: each head's output through its slice of the output projection
    mlps: np.ndarray  # [layers]: each MLP's output (without its bias)
    embed: float  # the block-0 input: token (and position) embeddings
    bias: float  # output-projection and MLP biases, norm offsets, the unembedding's bias
    logit: float  # the model's own logit (difference) at this position, before any soft-capping
    position: int
    target: int
    contrast: int | None
    target_token: str
    contrast_token: str | None
    cross_heads: np.ndarray | None = None  # [layers, heads] of an encoder-decoder's cross-attention

    @property
    def total(self) -> float:
        """The parts added up: equal to ``logit`` up to rounding."""
        cross = 0.0 if self.cross_heads is None else float(self.cross_heads.sum())
        return float(self.heads.sum() + self.mlps.sum() + self.embed + self.bias) + cross

    def top_heads(self, k: int = 5) -> list[tuple[int, int, float]]:
        """The k heads with the largest contributions, as (layer, head, value)."""
        order = np.argsort(self.heads, axis=None)[::-1][:k]
        return [(int(i // self.heads.shape[1]), int(i % self.heads.shape[1]), float(self.heads.flat[i]))
                for i in order]

    def __repr__(self) -> str:
        what = repr(self.target_token) + (f" − {self.contrast_token!r}" if self.contrast is not None else "")
        return (f"LogitAttribution({what} at position {self.position}: logit {self.logit:.4g} = "
                f"{self.heads.shape[0]}×{self.heads.shape[1]} heads {self.heads.sum():.4g} + MLPs "
                f"{self.mlps.sum():.4g} + embeddings {self.embed:.4g} + biases {self.bias:.4g})")


@dataclass
class _Captured:
    embed: torch.Tensor  # [d]
    heads_in: list[torch.Tensor]  # per layer: input of the output projection at the position [heads·head_dim]
    cross_in: list[torch.Tensor] | None  # the same for cross-attention (encoder-decoder models)
    mlp_out: list[torch.Tensor]  # per layer: the MLP's output at the position [d]
    logits: torch.Tensor  # [vocab], uncapped, float64


def _capture(model: Any, stack: BoundStack, cross: BoundStack | None, encoded: Any, position: int) -> _Captured:
    from attnlens.capture.model_run import eval_mode as _eval_mode

    n = len(stack.blocks)
    seen: dict[str, Any] = {"z": [None] * n, "mlp": [None] * n, "cross": [None] * n}
    assert stack.attn_outs is not None and stack.mlp_outs is not None

    def keep_embed(_m: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        seen["embed"] = block_hidden(args, kwargs)[0, position].detach().to("cpu", F64)

    handles = [stack.blocks[0].register_forward_pre_hook(keep_embed, with_kwargs=True)]
    for i in range(n):

        def keep_z(_m: Any, args: tuple[Any, ...], i: int = i) -> None:
            seen["z"][i] = args[0][0, position].detach().to("cpu", F64)

        def keep_mlp(_m: Any, _a: Any, out: torch.Tensor, i: int = i) -> None:
            seen["mlp"][i] = out[0, position].detach().to("cpu", F64)

        def keep_cross(_m: Any, args: tuple[Any, ...], i: int = i) -> None:
            seen["cross"][i] = args[0][0, position].detach().to("cpu", F64)

        handles.append(stack.attn_outs[i].register_forward_pre_hook(keep_z))
        handles.append(stack.mlp_outs[i].register_forward_hook(keep_mlp))
        if cross is not None and cross.attn_outs is not None:
            handles.append(cross.attn_outs[i].register_forward_pre_hook(keep_cross))
    try:
        with logits_at(model, position), _eval_mode(model), torch.no_grad():
            out = model(**model_inputs(model, encoded))
    finally:
        for handle in handles:
            handle.remove()
    logits = uncapped(model, out.logits[0, -1].detach().to("cpu", F64))
    return _Captured(seen["embed"], seen["z"], seen["cross"] if cross is not None else None, seen["mlp"], logits)


def _normed(norm: torch.nn.Module, rows: torch.Tensor, bias: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """rows [k, d] and bias [d] through ``norm`` frozen at its input in the run (their sum)."""
    linear, const = frozen_norm(norm, rows.sum(0) + bias)
    return linear(rows), linear(bias) + const


def _norm_at(block: torch.nn.Module, path: str | None) -> torch.nn.Module | None:
    return None if path is None else resolve(block, path)  # type: ignore[no-any-return]


def _head_parts(o_proj: torch.nn.Module, z: torch.Tensor, n_heads: int, width: int) -> torch.Tensor:
    """Each head's output through its rows of the output projection, [heads, width]."""
    heads_z = z.view(n_heads, -1)
    weight = in_out_weight(o_proj).detach().to("cpu", F64).reshape(n_heads, heads_z.shape[1], width)
    return torch.einsum("hk,hkd->hd", heads_z, weight)


def _residual_parts(
    model: Any, stack: BoundStack, cross: BoundStack | None, seen: _Captured, n_heads: tuple[int, int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """rows [1 + layers·(heads [+ cross heads] + 1), d] (embeddings, then each layer's heads, cross heads
    and MLP) and the bias [d], as they reach the final norm."""
    assert stack.attn_outs is not None and stack.mlp_outs is not None
    norms = PATH_NORMS.get(model.config.model_type, {})
    rows, bias = seen.embed[None], torch.zeros_like(seen.embed)
    width = seen.embed.shape[0]
    for layer, block in enumerate(stack.blocks):
        o_proj, down = stack.attn_outs[layer], stack.mlp_outs[layer]
        mlp_bias = bias_of(down, width, F64)
        sub = [("attn", _head_parts(o_proj, seen.heads_in[layer], n_heads[0], width), bias_of(o_proj, width, F64))]
        if cross is not None and cross.attn_outs is not None and seen.cross_in is not None:
            c_proj = cross.attn_outs[layer]
            sub.append(("cross", _head_parts(c_proj, seen.cross_in[layer], n_heads[1], width),
                        bias_of(c_proj, width, F64)))
        sub.append(("mlp", (seen.mlp_out[layer] - mlp_bias)[None], mlp_bias))
        for name, part, part_bias in sub:
            on_output, after_add = norms.get(name, (None, None))
            norm = _norm_at(block, on_output)
            if norm is not None:
                part, part_bias = _normed(norm, part, part_bias)
            rows, bias = torch.cat([rows, part]), bias + part_bias
            norm = _norm_at(block, after_add)
            if norm is not None:
                rows, bias = _normed(norm, rows, bias)
    return rows, bias


def _gelu_gate(act: Any, y: torch.Tensor) -> torch.Tensor:
    """act(y) / y elementwise, the gate a GELU multiplies its input by (its limit at y = 0)."""
    small = y.abs() < 1e-12
    at_zero = act(torch.tensor([1e-6], dtype=F64)) / 1e-6
    return torch.where(small, at_zero, act(y) / torch.where(small, torch.ones_like(y), y))


def _through_head(
    model: Any, stack: BoundStack, rows: torch.Tensor, bias: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Final norm, then a masked-LM head's transform, all frozen: rows and bias as the unembedding reads them."""
    if stack.final_norm is not None:
        rows, bias = _normed(stack.final_norm, rows, bias)
    config = model.config
    if config.model_type == "t5" and getattr(config, "scale_decoder_outputs", config.tie_word_embeddings):
        rows, bias = rows * config.d_model**-0.5, bias * config.d_model**-0.5  # as T5's own forward does
    transform = HEAD_TRANSFORMS.get(model.config.model_type)
    if transform is None:
        return rows, bias
    dense = resolve(model, transform[0])
    weight = dense.weight.detach().to("cpu", F64)
    rows, bias = rows @ weight.T, bias @ weight.T + bias_of(dense, weight.shape[0], F64)
    act = resolve(model, transform[1]) if transform[1] else torch.nn.functional.gelu
    gate = _gelu_gate(act, rows.sum(0) + bias)
    return _normed(resolve(model, transform[2]), rows * gate, bias * gate)


def _unembedding(model: Any, target: int, contrast: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """The unembedding's direction of target − contrast [d], and its bias difference (BART's
    final_logits_bias included)."""
    unembed = model.get_output_embeddings()
    weight = unembed.weight.detach()
    biases = bias_of(unembed, weight.shape[0], F64)
    extra = getattr(model, "final_logits_bias", None)
    if isinstance(extra, torch.Tensor):
        biases = biases + extra.detach().to("cpu", F64).reshape(-1)
    direction, bias = weight[target].to("cpu", F64), biases[target]
    if contrast is not None:
        direction, bias = direction - weight[contrast].to("cpu", F64), bias - biases[contrast]
    return direction, bias


def logit_attribution(
    trace: Trace, target: int | str | None, contrast: int | str | None, position: int
) -> LogitAttribution:
    if trace.source is None or trace.source.encoded is None:
        raise ValueError("this trace keeps no model (built from attention alone); trace the model with al.trace")
    model = trace.source.model
    stack, cross = logits_stacks(model, "logit attribution")
    goal = resolve_target(trace, target, position, contrast)
    seen = _capture(model, stack, cross, trace.source.encoded, goal.position)
    n_heads = (trace.stack(stack.spec.name).n_heads, trace.stack("cross").n_heads if cross is not None else 0)
    rows, bias = _through_head(model, stack, *_residual_parts(model, stack, cross, seen, n_heads))
    direction, value_bias = _unembedding(model, goal.target, goal.contrast)
    logit = seen.logits[goal.target] - (seen.logits[goal.contrast] if goal.contrast is not None else 0.0)
    values = (rows @ direction).numpy()
    per_layer = values[1:].reshape(len(stack.blocks), -1)
    h, c = n_heads
    decode = trace.decode
    result = LogitAttribution(
        heads=per_layer[:, :h].copy(), mlps=per_layer[:, h + c].copy(), embed=float(values[0]),
        bias=float(bias @ direction + value_bias), logit=float(logit), position=goal.position,
        target=goal.target, contrast=goal.contrast, target_token=decode([goal.target])[0],
        contrast_token=None if goal.contrast is None else decode([goal.contrast])[0],
        cross_heads=per_layer[:, h : h + c].copy() if cross is not None else None,
    )
    if not np.isclose(result.total, result.logit, rtol=1e-3, atol=1e-3):
        warnings.warn(f"the parts add up to {result.total:.6g}, not the model's logit {result.logit:.6g}: this "
                      f"{model.config.model_type} model's residual stream is not laid out as attnlens expects; "
                      "please report the model name", stacklevel=3)
    return result
