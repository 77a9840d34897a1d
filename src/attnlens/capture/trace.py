"""The Trace: everything one forward pass showed, kept compact (tokens × width, not tokens²)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from attnlens.analysis.attention import attention_from_qk


@dataclass
class LayerAttentionInputs:
    """What one layer's attention kernel received; attention is derived from it on demand."""

    query: np.ndarray  # [heads, tokens, head_dim], float32, after rotary
    key: np.ndarray  # [kv_heads, tokens, head_dim]
    value: np.ndarray  # [kv_heads, tokens, head_dim]
    mask: torch.Tensor | None  # bool (True = may attend) or additive float, [1 or heads, q, k]
    causal: bool  # causality came from `is_causal`, not from a mask
    scaling: float
    softcap: float | None = None


@dataclass
class Trace:
    """One input run through one model. Arrays are numpy; attention is computed per layer on demand."""

    tokens: list[str]
    token_ids: np.ndarray  # [tokens]
    special: list[bool]
    model_name: str
    model_type: str
    n_layers: int
    n_heads: int
    causal: bool
    layers: list[LayerAttentionInputs] | None = None  # from the adapter's hooks
    eager_attentions: np.ndarray | None = None  # [layers, heads, tokens, tokens]: fallback only
    mlp_activations: list[np.ndarray] | None = None  # [layers] of [tokens, neurons]
    residual: np.ndarray | None = None  # [layers + 1, tokens, width]: embeddings, then each block
    logits: np.ndarray | None = None  # [tokens, vocab]
    _cache: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        return (
            f"Trace({self.model_name!r}, {len(self.tokens)} tokens, "
            f"{self.n_layers} layers × {self.n_heads} heads)"
        )

    @property
    def n_tokens(self) -> int:
        return len(self.tokens)

    def _check_layer(self, layer: int) -> int:
        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)):
            raise TypeError(f"layer must be an int, got {type(layer).__name__}")
        if not -self.n_layers <= layer < self.n_layers:
            raise ValueError(
                f"layer {layer} is out of range: this model has {self.n_layers} layers (0 to {self.n_layers - 1})"
            )
        return int(layer) % self.n_layers

    def attention(self, layer: int) -> np.ndarray:
        """Attention weights of one layer, float32 [heads, tokens (query), tokens (key)]."""
        layer = self._check_layer(layer)
        if self.eager_attentions is not None:
            return self.eager_attentions[layer]
        assert self.layers is not None
        cached = self._cache.get(layer)
        if cached is None:
            inputs = self.layers[layer]
            weights = attention_from_qk(
                torch.from_numpy(inputs.query),
                torch.from_numpy(inputs.key),
                inputs.scaling,
                inputs.mask,
                inputs.causal,
                inputs.softcap,
            )
            cached = weights.numpy()
            if len(self._cache) >= 2:  # keep memory ~ tokens² × heads, not × layers
                self._cache.pop(next(iter(self._cache)))
            self._cache[layer] = cached
        return cached

    @property
    def attentions(self) -> np.ndarray:
        """All layers, float32 [layers, heads, tokens, tokens]. Memory grows with tokens²: small inputs."""
        return np.stack([self.attention(i) for i in range(self.n_layers)])

    def queries(self, layer: int) -> np.ndarray:
        """Query vectors per head after rotary, [heads, tokens, head_dim]."""
        return self._layer_inputs(layer).query

    def keys(self, layer: int) -> np.ndarray:
        """Key vectors per key/value head after rotary, [kv_heads, tokens, head_dim]."""
        return self._layer_inputs(layer).key

    def _layer_inputs(self, layer: int) -> LayerAttentionInputs:
        layer = self._check_layer(layer)
        if self.layers is None:
            raise ValueError(
                f"q/k vectors were not captured: attnlens has no adapter for model type "
                f"{self.model_type!r}, so only attention weights are available."
            )
        return self.layers[layer]

    def mlp(self, layer: int) -> np.ndarray:
        """MLP neuron activations (post-activation, input of the output projection), [tokens, neurons]."""
        layer = self._check_layer(layer)
        if self.mlp_activations is None:
            raise ValueError(
                f"MLP activations were not captured: attnlens has no adapter for model type {self.model_type!r}."
            )
        return self.mlp_activations[layer]
