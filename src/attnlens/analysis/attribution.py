"""Token attributions through Captum: why the model predicted ``target`` after ``position``.

Every method explains the same scalar, f(embeddings) = logit of ``target`` at ``position``
(minus the logit of ``contrast``: "why A rather than B"), with respect to the input embeddings.
Gradient methods sum over the embedding dimensions; perturbation methods replace one token's
whole embedding at a time and report that token's effect.

The baseline is the embedding of a neutral token (pad, else unk, bos or eos) at every position, as
Inseq does: a zero embedding sits on the singularity of RMSNorm/LayerNorm (x/‖x‖), where integrated
gradients would need thousands of steps to stay complete.

DeepLIFT (Captum's ``DeepLift``, rescale rule) replaces the gradient of the non-linear modules Captum
has a rule for (ReLU, ELU, Sigmoid, Tanh, Softmax modules, ...) by the ratio Δoutput/Δinput against the
baseline run. Everything else in a transformer gets no rule: GELU and SiLU activation modules, the
attention softmax (a function call, not a module), LayerNorm/RMSNorm's division, rotary products and
the attention's q·k product pass their ordinary gradient at the input, as in input × gradient. So on
these models DeepLIFT is not complete (its sum is not f(input) − f(baseline)) and sits between
input × gradient (relative to the baseline) and integrated gradients. GradientSHAP draws ``n_steps``
random points between the baseline and the input (Captum's ``n_samples``, no added noise) and averages
gradient × (input − baseline): its result depends on numpy's random seed (``np.random.seed``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from captum import attr

from attnlens.analysis.attention_flow import attention_flow, attention_rollout

if TYPE_CHECKING:
    from attnlens.capture.trace import Trace

GRADIENT_METHODS = ("integrated_gradients", "saliency", "input_x_gradient", "deeplift", "gradient_shap")
PERTURBATION_METHODS = ("occlusion", "feature_ablation", "lime", "kernel_shap")
ATTENTION_METHODS = ("attention_rollout", "attention_flow")
METHODS = GRADIENT_METHODS + PERTURBATION_METHODS + ATTENTION_METHODS


@dataclass
class AttributionTarget:
    position: int  # the position whose next-token (or masked-token) prediction is explained
    target: int  # token id
    contrast: int | None


class TargetLogit(torch.nn.Module):
    """f(inputs_embeds [B, n, d]) → [B]: logit(target) − logit(contrast) at ``position``."""

    def __init__(self, model: Any, inputs: dict[str, torch.Tensor], goal: AttributionTarget) -> None:
        super().__init__()
        self.model = model
        self.extra = {k: v for k, v in inputs.items() if k not in ("input_ids", "attention_mask")}
        self.goal = goal

    def forward(self, embeds: torch.Tensor) -> torch.Tensor:
        batch = embeds.shape[0]
        extra = {k: v.expand(batch, *v.shape[1:]) for k, v in self.extra.items()}
        logits = self.model(inputs_embeds=embeds, **extra).logits[:, self.goal.position]
        value = logits[:, self.goal.target]
        if self.goal.contrast is not None:
            value = value - logits[:, self.goal.contrast]
        return value  # type: ignore[no-any-return]


def token_id(trace: Trace, token: int | str, what: str) -> int:
    vocab = trace.vocab_size or 0
    if isinstance(token, str):
        if trace.source is None:
            raise ValueError(f"{what} {token!r} is text but this trace has no tokenizer; pass a token id")
        tokenizer = trace.source.tokenizer
        ids = tokenizer(token, add_special_tokens=False)["input_ids"]
        if len(ids) != 1:
            pieces = tokenizer.convert_ids_to_tokens(ids)
            raise ValueError(
                f"{what} {token!r} is {len(ids)} tokens {pieces}, not one; pass a single token "
                "(often with its leading space, e.g. ' Paris') or a token id"
            )
        token = int(ids[0])
    if isinstance(token, bool) or not isinstance(token, (int, np.integer)) or not 0 <= token < vocab:
        raise ValueError(f"{what} {token!r} is not in the vocabulary: use a token id from 0 to {vocab - 1}")
    return int(token)


def resolve_target(
    trace: Trace, target: int | str | None, position: int | None, contrast: int | str | None
) -> AttributionTarget:
    if trace.stored_logits is None and not trace.has_logit_lens:  # trace.vocab_size is None, without a matmul
        raise ValueError(
            f"this {trace.model_type} model has no language-model head, so it predicts no token to explain; "
            "load it with AutoModelForCausalLM / AutoModelForMaskedLM"
        )
    n = len(trace.predicted_positions)
    if position is None:
        position = n - 1
    if isinstance(position, bool) or not isinstance(position, (int, np.integer)) or not -n <= position < n:
        raise ValueError(f"position {position!r} is out of range: the text has positions 0 to {n - 1}")
    position = int(position) % n
    target_id = int(trace.logits_at(position).argmax()) if target is None else token_id(trace, target, "target")
    contrast_id = None if contrast is None else token_id(trace, contrast, "contrast")
    return AttributionTarget(position, target_id, contrast_id)


def _check_model(trace: Trace) -> None:
    if trace.source is None:
        raise ValueError("this trace keeps no model (built from attention alone); trace the model with al.trace")
    if torch.is_inference_mode_enabled():
        raise ValueError(
            "gradients are off: attributions cannot run under torch.inference_mode(); call attribute() "
            "outside that block"
        )


def _explainer(method: str, forward: Callable[[torch.Tensor], torch.Tensor]) -> Any:
    return {
        "integrated_gradients": attr.IntegratedGradients,
        "saliency": attr.Saliency,
        "input_x_gradient": attr.InputXGradient,
        "deeplift": attr.DeepLift,
        "gradient_shap": attr.GradientShap,
        "occlusion": attr.Occlusion,
        "feature_ablation": attr.FeatureAblation,
        "lime": attr.Lime,
        "kernel_shap": attr.KernelShap,
    }[method](forward)


def neutral_token(tokenizer: Any) -> int | None:
    for name in ("pad_token_id", "unk_token_id", "bos_token_id", "eos_token_id"):
        value = getattr(tokenizer, name, None)
        if isinstance(value, int):
            return value
    return None


def baseline_embeddings(model: Any, tokenizer: Any, embeds: torch.Tensor) -> torch.Tensor:
    token = neutral_token(tokenizer)
    if token is None:
        return torch.zeros_like(embeds)
    ids = torch.full(embeds.shape[:2], token, dtype=torch.long, device=embeds.device)
    return model.get_input_embeddings()(ids).detach()  # type: ignore[no-any-return]


def captum_kwargs(
    method: str, embeds: torch.Tensor, baseline: torch.Tensor, n_steps: int, n_samples: int
) -> dict[str, Any]:
    """The exact arguments attnlens hands to Captum (the tests call Captum with the same)."""
    n, d = embeds.shape[1], embeds.shape[2]
    token_groups = torch.arange(n).view(1, n, 1).expand(1, n, d)
    if method == "integrated_gradients":
        return {"baselines": baseline, "n_steps": n_steps}
    if method == "saliency":
        return {"abs": True}
    if method == "input_x_gradient":
        return {}
    if method == "deeplift":
        return {"baselines": baseline}
    if method == "gradient_shap":  # n_steps random points between the baseline and the input, no noise
        return {"baselines": baseline, "n_samples": n_steps, "stdevs": 0.0}
    if method == "occlusion":
        return {"sliding_window_shapes": (1, d), "baselines": baseline}
    if method == "feature_ablation":
        return {"baselines": baseline, "feature_mask": token_groups}
    return {"baselines": baseline, "feature_mask": token_groups, "n_samples": n_samples}


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown attribution method {method!r}; attnlens offers {list(METHODS)}")


def attribute(
    trace: Trace,
    target: int | str | None = None,
    method: str = "integrated_gradients",
    contrast: int | str | None = None,
    position: int | None = None,
    n_steps: int = 50,
    n_samples: int = 200,
) -> np.ndarray:
    """Attribution of every input token, float [tokens]; see the module docstring."""
    _check_method(method)
    return explain(trace, resolve_target(trace, target, position, contrast), method, n_steps, n_samples)


def explain(trace: Trace, goal: AttributionTarget, method: str, n_steps: int, n_samples: int) -> np.ndarray:
    """One resolved goal explained by one method: the single path every attribution runs through."""
    if method in ATTENTION_METHODS:
        attentions = trace.attentions
        if method == "attention_rollout":
            return attention_rollout(attentions)[goal.position]
        return attention_flow(attentions, goal.position)
    _check_model(trace)
    assert trace.source is not None
    model = trace.source.model
    inputs = trace.source.inputs()  # on the input embeddings' device, as every rerun
    # eval mode for dropout; a model already there (from_pretrained) is left untouched, as setting
    # .training on every submodule costs more than a small model's forward pass
    training = [m for m in model.modules() if m.training]
    if training:
        model.eval()
    try:
        with torch.enable_grad():
            embeds = model.get_input_embeddings()(inputs["input_ids"]).detach()
            forward = TargetLogit(model, inputs, goal)
            explainer = _explainer(method, forward)
            baseline = baseline_embeddings(model, trace.source.tokenizer, embeds)
            result = explainer.attribute(embeds, **captum_kwargs(method, embeds, baseline, n_steps, n_samples))
    finally:
        for module in training:
            module.training = True
    values = result.detach().float()[0]
    per_token = values.sum(-1) if method in GRADIENT_METHODS else values[:, 0]
    return per_token.cpu().numpy()


def matrix_rows(trace: Trace, rows: list[int] | None) -> list[int]:
    """The positions explained by ``attribute_matrix``: checked, or the generated ones by default."""
    if trace.decoder_tokens is not None or len(trace.stacks) > 1:
        raise ValueError(
            f"attribute_matrix is for causal language models; this {trace.model_type} model is an "
            "encoder-decoder: use trace.attribute(target=..., position=...) for one decoder token"
        )
    if not trace.causal:
        raise ValueError(
            f"attribute_matrix is for causal language models; this {trace.model_type} model lets each token "
            "see later ones, so no token is predicted from the earlier ones: use trace.attribute(...)"
        )
    n = trace.n_tokens
    if rows is None:
        generated = trace.generated
        rows = [p for p in range(1, n) if generated[p]] if generated is not None else list(range(1, n))
        if not rows:
            raise ValueError("this trace has a single token, so no token follows an earlier one to explain")
        return rows
    if isinstance(rows, (str, bytes)) or not hasattr(rows, "__iter__"):
        raise TypeError(f"rows must be a list of token positions, got {type(rows).__name__}")
    rows = list(rows)
    if not rows:
        raise ValueError(f"rows is empty; pass positions from 1 to {n - 1}, or None for the default rows")
    for row in rows:
        if isinstance(row, bool) or not isinstance(row, (int, np.integer)) or not 1 <= row < n:
            raise ValueError(
                f"row {row!r} cannot be explained: each row is the position of a token predicted from the "
                f"ones before it, from 1 to {n - 1}"
            )
    return [int(row) for row in rows]


def attribute_matrix(
    trace: Trace,
    method: str = "integrated_gradients",
    rows: list[int] | None = None,
    n_steps: int = 50,
    n_samples: int = 200,
) -> np.ndarray:
    """float32 [len(rows), tokens]: row i explains token ``rows[i]`` as predicted after ``rows[i] - 1``.

    Each row is ``attribute(target=<that token>, position=rows[i] - 1)``; in a causal model the
    entries at and after ``rows[i]`` come out zero for gradient and ablation methods, as nothing
    there reaches the prediction.
    """
    _check_method(method)
    positions = matrix_rows(trace, rows)
    ids = trace.token_ids
    out = np.zeros((len(positions), trace.n_tokens), dtype=np.float32)
    for i, p in enumerate(positions):
        goal = resolve_target(trace, int(ids[p]), p - 1, None)
        out[i] = explain(trace, goal, method, n_steps, n_samples)
    return out
