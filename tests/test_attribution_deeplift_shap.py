"""DeepLIFT and GradientSHAP through explain() equal Captum called directly (1e-5)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from captum import attr
from captum.attr._core.deep_lift import SUPPORTED_NON_LINEAR

import attnlens as al
from attnlens.analysis.attribution import METHODS

TEXT = "Harry Potter went to the castle. Then Hermione met Harry"


class LogitOf(torch.nn.Module):
    """f(embeds) = logit of ``target`` at ``position``, written here (DeepLift needs a module)."""

    def __init__(self, model: Any, position: int, target: int) -> None:
        super().__init__()
        self.model, self.position, self.target = model, position, target

    def forward(self, embeds: torch.Tensor) -> torch.Tensor:
        return self.model(inputs_embeds=embeds).logits[:, self.position, self.target]  # type: ignore[no-any-return]


@pytest.mark.parametrize("method", ["deeplift", "gradient_shap"])
def test_equals_captum_called_directly(method: str, bundled: Any) -> None:
    model, tokenizer = bundled
    trace = al.trace(model, tokenizer, TEXT)
    assert method in METHODS
    position = trace.n_tokens - 1
    target = int(trace.logits_at(position).argmax())
    torch.manual_seed(0)
    np.random.seed(0)  # GradientShap draws its points with numpy, its baselines with torch
    ours = trace.attribute(method=method, n_steps=20)
    embeds = model.get_input_embeddings()(torch.from_numpy(trace.token_ids)[None]).detach()
    base = model.get_input_embeddings()(torch.zeros(embeds.shape[:2], dtype=torch.long)).detach()  # <|endoftext|>
    forward = LogitOf(model, position, target)
    torch.manual_seed(0)
    np.random.seed(0)
    if method == "deeplift":
        raw = attr.DeepLift(forward).attribute(embeds, baselines=base)
    else:
        raw = attr.GradientShap(forward).attribute(embeds, baselines=base, n_samples=20, stdevs=0.0)
    expected = raw.detach()[0].sum(-1).numpy()
    np.testing.assert_allclose(ours, expected, atol=1e-5, rtol=1e-4)
    assert np.abs(ours).max() > 0
    if method == "gradient_shap":  # random: another seed, other points
        np.random.seed(1)
        assert not np.allclose(trace.attribute(method=method, n_steps=20), ours)


def test_deeplift_has_no_rule_for_silu_so_it_is_not_complete(bundled: Any) -> None:
    """What the docs say: the bundled model's SiLU is not one of Captum's rules, and the sum misses
    f(input) − f(baseline)."""
    model, tokenizer = bundled
    assert type(model.model.layers[0].mlp.act_fn) not in SUPPORTED_NON_LINEAR
    trace = al.trace(model, tokenizer, TEXT)
    values = trace.attribute(method="deeplift")
    embeds = model.get_input_embeddings()(torch.from_numpy(trace.token_ids)[None]).detach()
    with torch.no_grad():
        f = LogitOf(model, trace.n_tokens - 1, int(trace.logits_at(trace.n_tokens - 1).argmax()))
        gap = float(f(embeds) - f(model.get_input_embeddings()(torch.zeros_like(embeds[..., 0]).long())))
    assert abs(values.sum() - gap) > 1e-3
