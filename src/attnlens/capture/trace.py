"""The Trace: everything one forward pass showed, kept compact (tokens × width, not tokens²)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch

from attnlens.analysis import attribution
from attnlens.analysis.attention import attention_from_qk
from attnlens.analysis.attention_lod import LayerLod, LayerSummary
from attnlens.capture import interventions
from attnlens.capture.model_run import ModelRun

if TYPE_CHECKING:
    from attnlens.analysis.head_roles import HeadRoles
    from attnlens.analysis.logit_attribution import LogitAttribution


@dataclass
class LayerAttentionInputs:
    """What one layer's attention kernel received; attention is derived from it on demand."""

    query: np.ndarray  # [heads, q_tokens, head_dim], float32, after rotary
    key: np.ndarray  # [kv_heads, k_tokens, head_dim]
    mask: torch.Tensor | None  # bool (True = may attend) or additive float, [1 or heads, q, k]
    causal: bool  # causality came from `is_causal`, not from a mask
    scaling: float
    softcap: float | None = None
    bias: torch.Tensor | None = None  # additive score bias (relative positions), [1 or heads, q, k]


@dataclass
class Stack:
    """One attention stack: the only one of a decoder or encoder, or encoder/decoder/cross of a seq2seq."""

    name: str
    queries: str  # which tokens the queries run over: "input", "source" or "target"
    keys: str
    layers: list[LayerAttentionInputs] | None = None  # from the adapter's hooks
    eager: np.ndarray | None = None  # [layers, heads, q, k]: fallback without adapter
    mlp: list[np.ndarray] | None = None  # [layers] of [tokens, neurons], float16
    residual: np.ndarray | None = None  # [layers + 1, tokens, width]: embeddings, then each block

    @property
    def n_layers(self) -> int:
        return len(self.layers) if self.layers is not None else int(self.eager.shape[0])  # type: ignore[union-attr]

    @property
    def n_heads(self) -> int:
        return int(self.layers[0].query.shape[0]) if self.layers else int(self.eager.shape[1])  # type: ignore[union-attr]


@dataclass
class LogitLens:
    """Top-k next-token predictions read from the residual stream after each layer."""

    token_ids: np.ndarray  # [layers, positions, k]
    probs: np.ndarray  # [layers, positions, k]
    tokens: list[list[list[str]]]  # decoded token_ids


Unembedder = Callable[[torch.Tensor], torch.Tensor]  # residual [N, d] → logits [N, V]


@dataclass
class Trace:
    """One input run through one model. Arrays are numpy; attention is computed per layer on demand.

    ``tokens`` are the input tokens (the source tokens of an encoder-decoder model, whose decoder
    tokens are ``decoder_tokens``).
    """

    tokens: list[str]
    token_ids: np.ndarray
    special: list[bool]
    model_name: str
    model_type: str
    stacks: dict[str, Stack]
    stored_logits: np.ndarray | None = field(default=None, repr=False)  # only when they cannot be recomputed
    segments: list[int] | None = None  # sentence A/B of each token (BERT's token_type_ids)
    generated: list[bool] | None = None  # which tokens the model generated (al.generate)
    decoder_tokens: list[str] | None = None
    decoder_ids: np.ndarray | None = None
    decoder_special: list[bool] | None = None
    dtype: str = "float32"  # the model's own dtype; every array here is a float32 copy
    logits_stack: str = "self"
    """The stack whose last residual gives the logits (and the logit lens): "self" or "decoder"."""
    source: ModelRun | None = field(default=None, repr=False)
    """The model, tokenizer and encoded input, for analyses that rerun the model; None for a trace
    built from attention alone."""
    _unembed: Unembedder | None = field(default=None, repr=False)
    _decode: Callable[[list[int]], list[str]] | None = field(default=None, repr=False)
    _cache: dict[tuple[str, int], np.ndarray] = field(default_factory=dict, repr=False)
    _lod: dict[tuple[str, int], LayerLod] = field(default_factory=dict, repr=False)  # LayerLod per (stack, layer)

    def __repr__(self) -> str:
        return (
            f"Trace({self.model_name!r}, {len(self.tokens)} tokens, "
            f"{self.n_layers} layers × {self.n_heads} heads)"
        )

    # --- what the trace can do ------------------------------------------------------------------
    @property
    def can_rerun(self) -> bool:
        """The trace keeps its model: attributions, ablation and edited texts can be computed."""
        return self.source is not None

    @property
    def has_logit_lens(self) -> bool:
        """The model's head can be applied to any residual (logits on demand, and the logit lens)."""
        return self._unembed is not None

    # --- old names, kept working -----------------------------------------------------------------
    @property
    def _logits_stack(self) -> str:
        warnings.warn("Trace._logits_stack is now Trace.logits_stack", DeprecationWarning, stacklevel=2)
        return self.logits_stack

    @property
    def target_tokens(self) -> list[str] | None:
        """Deprecated: ``decoder_tokens`` ("target" is the position the attribution view explains)."""
        warnings.warn("Trace.target_tokens is now Trace.decoder_tokens", DeprecationWarning, stacklevel=2)
        return self.decoder_tokens

    @property
    def target_ids(self) -> np.ndarray | None:
        """Deprecated: ``decoder_ids``."""
        warnings.warn("Trace.target_ids is now Trace.decoder_ids", DeprecationWarning, stacklevel=2)
        return self.decoder_ids

    @property
    def target_special(self) -> list[bool] | None:
        """Deprecated: ``decoder_special``."""
        warnings.warn("Trace.target_special is now Trace.decoder_special", DeprecationWarning, stacklevel=2)
        return self.decoder_special

    # --- shape ---------------------------------------------------------------------------------
    @property
    def default_stack(self) -> str:
        return next(iter(self.stacks))

    def stack(self, name: str | None = None) -> Stack:
        name = name or self.default_stack
        if name not in self.stacks:
            raise ValueError(f"no attention stack {name!r} in this trace; choose one of {list(self.stacks)}")
        return self.stacks[name]

    @property
    def n_tokens(self) -> int:
        return len(self.tokens)

    @property
    def n_layers(self) -> int:
        return self.stack().n_layers

    @property
    def n_heads(self) -> int:
        return self.stack().n_heads

    @property
    def causal(self) -> bool:
        """No token of the default stack may attend to a later one."""
        stack = self.stack()
        if stack.layers is None:
            return bool(np.allclose(np.triu(stack.eager[0, 0], 1), 0.0))  # type: ignore[index]
        return _is_causal(stack.layers[0])

    def side_tokens(self, side: str) -> list[str]:
        if side == "target":
            return self.decoder_tokens or []
        return self.tokens

    def query_tokens(self, stack: str | None = None) -> list[str]:
        return self.side_tokens(self.stack(stack).queries)

    def key_tokens(self, stack: str | None = None) -> list[str]:
        return self.side_tokens(self.stack(stack).keys)

    def _check_layer(self, layer: int, stack: Stack) -> int:
        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)):
            raise TypeError(f"layer must be an int, got {type(layer).__name__}")
        n = stack.n_layers
        if not -n <= layer < n:
            raise ValueError(f"layer {layer} is out of range: this model has {n} layers (0 to {n - 1})")
        return int(layer) % n

    # --- attention -----------------------------------------------------------------------------
    def attention(self, layer: int, stack: str | None = None) -> np.ndarray:
        """Attention weights of one layer, float32 [heads, query tokens, key tokens]."""
        st = self.stack(stack)
        layer = self._check_layer(layer, st)
        if st.eager is not None:
            return st.eager[layer]
        assert st.layers is not None
        key = (st.name, layer)
        cached = self._cache.get(key)
        if cached is None:
            inputs = st.layers[layer]
            cached = attention_from_qk(
                torch.from_numpy(inputs.query),
                torch.from_numpy(inputs.key),
                inputs.scaling,
                inputs.mask,
                inputs.causal,
                inputs.softcap,
                inputs.bias,
            ).numpy()
            if len(self._cache) >= 2:  # keep memory ~ tokens² × heads, not × layers
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = cached
        return cached

    @property
    def attentions(self) -> np.ndarray:
        """All layers of the default stack, [layers, heads, tokens, tokens]. Grows with tokens²: small inputs."""
        return np.stack([self.attention(i) for i in range(self.n_layers)])

    def queries(self, layer: int, stack: str | None = None) -> np.ndarray:
        """Query vectors per head after rotary, [heads, tokens, head_dim]."""
        return self._layer_inputs(layer, stack).query

    def keys(self, layer: int, stack: str | None = None) -> np.ndarray:
        """Key vectors per key/value head after rotary, [kv_heads, tokens, head_dim]."""
        return self._layer_inputs(layer, stack).key

    def _layer_inputs(self, layer: int, stack: str | None) -> LayerAttentionInputs:
        st = self.stack(stack)
        layer = self._check_layer(layer, st)
        if st.layers is None:
            raise ValueError(
                f"q/k vectors were not captured: attnlens has no adapter for model type "
                f"{self.model_type!r}, so only attention weights are available."
            )
        return st.layers[layer]

    # --- MLP, residual stream, logit lens --------------------------------------------------------
    def mlp(self, layer: int, stack: str | None = None) -> np.ndarray:
        """MLP neuron activations (post-activation, input of the output projection), [tokens, neurons]."""
        st = self.stack(stack)
        layer = self._check_layer(layer, st)
        if st.mlp is None:
            why = "cross-attention has no MLP" if st.name == "cross" else f"no adapter for {self.model_type!r}"
            raise ValueError(f"MLP activations were not captured for stack {st.name!r}: {why}.")
        return st.mlp[layer].astype(np.float32)  # kept as float16 (range ±65504, 3 significant digits)

    @property
    def logits(self) -> np.ndarray | None:
        """[tokens (target tokens for seq2seq), vocab], float32; None for a model without a head.

        Recomputed from the last residual through the model's final norm and head rather than kept:
        at 4,096 tokens GPT-2's logits alone are 785 MiB, more than everything else in the trace.
        """
        if self.stored_logits is not None or self._unembed is None:
            return self.stored_logits
        last = self.residual[-1]
        with torch.no_grad():
            rows = [self._unembed(torch.from_numpy(last[i : i + 512])).float().numpy()
                    for i in range(0, len(last), 512)]
        return np.concatenate(rows)

    def logits_at(self, position: int) -> np.ndarray:
        """One position's logits, [vocab], without computing the others."""
        if self.stored_logits is not None or self._unembed is None:
            if self.stored_logits is None:
                raise ValueError(f"this {self.model_type} model has no language-model head, so no logits")
            return self.stored_logits[position]
        with torch.no_grad():
            row = self._unembed(torch.from_numpy(self.residual[-1][position : position + 1]))
        return row.float().numpy()[0]

    @property
    def predicted_positions(self) -> range:
        """The positions that have logits (the decoder tokens of an encoder-decoder model, else the input
        tokens); none for a model without a language-model head."""
        if self.stored_logits is not None:
            return range(self.stored_logits.shape[0])
        return range(len(self.residual[-1])) if self._unembed is not None else range(0)

    def probabilities(self, position: int) -> np.ndarray:
        """The model's next-token distribution after ``position``, float64 [vocab] (softmax of its logits)."""
        logits = self.logits_at(position).astype(np.float64)
        e = np.exp(logits - logits.max())
        return e / e.sum()  # type: ignore[no-any-return]

    def decode(self, ids: list[int] | np.ndarray) -> list[str]:
        """Token text of each id (the tokenizer's pieces; the id itself as text without a tokenizer)."""
        ids = [int(i) for i in ids]
        return self._decode(ids) if self._decode is not None else [str(i) for i in ids]

    def token_text(self, token_id: int) -> str:
        """One token id as text (see ``decode``)."""
        return self.decode([token_id])[0]

    def input_text(self) -> str:
        """The text this trace ran on, special tokens dropped (the tokens joined without a tokenizer)."""
        if self.source is None:
            return "".join(self.tokens)
        return str(self.source.tokenizer.decode([int(i) for i in self.token_ids], skip_special_tokens=True))

    def retrace_text(self, text: str) -> Trace:
        """``text`` traced with this trace's model and tokenizer (the page's edit box)."""
        if self.source is None:
            raise ValueError("this trace keeps no model and tokenizer to rerun; trace the model with al.trace")
        if self.decoder_tokens is not None:
            raise ValueError(
                "the edit box reruns one text; for an encoder-decoder model trace both runs yourself "
                "and call al.compare(tr_a, tr_b)"
            )
        return self.source.trace_text(text)

    @property
    def vocab_size(self) -> int | None:
        if self.stored_logits is not None:
            return int(self.stored_logits.shape[-1])
        return None if self._unembed is None else int(self.logits_at(0).shape[-1])

    @property
    def residual(self) -> np.ndarray:
        """The residual stream of the stack the logits come from, [layers + 1, tokens, width]."""
        residual = self.stacks[self.logits_stack].residual
        if residual is None:
            raise ValueError(f"the residual stream was not captured for model type {self.model_type!r}")
        return residual

    def logit_lens(self, k: int = 5, chunk: int = 256) -> LogitLens:
        """Top-k tokens and probabilities after each layer: final norm, then the unembedding.

        The last layer reproduces the model's own output distribution.
        """
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive int, got {k!r}")
        if self._unembed is None:
            raise ValueError(
                f"this {self.model_type} model has no unembedding (a base model without a language-model "
                "head), so there is no logit lens: load it with AutoModelForCausalLM, AutoModelForMaskedLM "
                "or AutoModelForSeq2SeqLM."
            )
        residual = self.residual[1:]
        layers, positions, _ = residual.shape
        ids = np.zeros((layers, positions, k), dtype=np.int64)
        probs = np.zeros((layers, positions, k), dtype=np.float32)
        with torch.no_grad():
            for layer in range(layers):
                for start in range(0, positions, chunk):
                    logits = self._unembed(torch.from_numpy(residual[layer, start : start + chunk]))
                    p = torch.softmax(logits.float(), dim=-1)
                    top = torch.topk(p, min(k, p.shape[-1]), dim=-1)
                    ids[layer, start : start + chunk, : top.indices.shape[-1]] = top.indices.numpy()
                    probs[layer, start : start + chunk, : top.values.shape[-1]] = top.values.numpy()
        tokens = [[self.decode(ids[l, p]) for p in range(positions)] for l in range(layers)]  # noqa: E741
        return LogitLens(token_ids=ids, probs=probs, tokens=tokens)


    # --- analyses that rerun the model ---------------------------------------------------------
    def attribute(
        self,
        target: int | str | None = None,
        method: str = "integrated_gradients",
        contrast: int | str | None = None,
        position: int | None = None,
        n_steps: int = 50,
        n_samples: int = 200,
    ) -> np.ndarray:
        """Attribution of each input token to the prediction of ``target`` after ``position``.

        Defaults: the model's own top prediction after the last token, integrated gradients.
        ``contrast`` explains "why target rather than contrast" (logit difference). Methods: see
        ``attnlens.analysis.attribution.METHODS``.
        """
        return attribution.attribute(self, target, method, contrast, position, n_steps, n_samples)

    def attribute_matrix(
        self,
        method: str = "integrated_gradients",
        rows: list[int] | None = None,
        n_steps: int = 50,
        n_samples: int = 200,
    ) -> np.ndarray:
        """Output × input attributions of a causal LM, float32 [len(rows), tokens] (as Ecco and Inseq show).

        Row i explains the token at ``rows[i]`` as the prediction after ``rows[i] - 1``. Default rows:
        the generated tokens of an ``al.generate`` trace, else every position from 1.
        """
        return attribution.attribute_matrix(self, method, rows, n_steps, n_samples)

    def ablate(
        self,
        heads: list[tuple[int, int]] | None = None,
        neurons: list[tuple[int, int]] | None = None,
        mode: str = "zero",
        stack: str | None = None,
    ) -> Trace:
        """The same input rerun with these heads' outputs and MLP neurons zeroed (or set to their
        mean over positions, ``mode="mean"``): a new Trace."""
        return interventions.ablate(self, heads or [], neurons or [], mode, stack)


    # --- level-of-detail attention (analysis/attention_lod.py) -----------------------------------
    # Each layer's summary (per-row log-sum-exp + pooled pyramid, ~heads × 1.4 MB) is computed once,
    # lazily on a layer's first use, or for every layer by ``summarize()``; it is kept with the
    # trace, outside the 2-entry cache of full layers.
    def layer_lod(self, layer: int, stack: str | None = None) -> LayerLod:
        """The ``LayerLod`` of one layer: tiles, top keys, rows and cells without an N × N array."""
        st = self.stack(stack)
        layer = self._check_layer(layer, st)
        lod = self._lod.get((st.name, layer))
        if lod is None:
            if st.layers is not None:
                lod = LayerLod.from_inputs(st.layers[layer])
            else:
                lod = LayerLod.from_weights(st.eager[layer])  # type: ignore[index]
            self._lod[(st.name, layer)] = lod
        return lod

    def attention_summary(self, layer: int, stack: str | None = None) -> LayerSummary:
        """One layer's ``LayerSummary``: levels {block: (max, mean)} float16 [heads, Nq/b, Nk/b] and
        the per-row log-sum-exp; computed on first use, then kept."""
        return self.layer_lod(layer, stack).summary

    def summarize(self, stack: str | None = None) -> None:
        """Compute every layer's summary now (all stacks unless ``stack``), so that no later
        interaction pays for a full pass; the Lens calls it at display for long inputs."""
        for name in [stack] if stack else list(self.stacks):
            for layer in range(self.stack(name).n_layers):
                self.attention_summary(layer, name)

    def attention_tile(
        self,
        layer: int,
        heads: list[int] | None = None,
        pool: str = "max",
        block: int = 1,
        row: int = 0,
        col: int = 0,
        stack: str | None = None,
        per_head: bool = False,
    ) -> np.ndarray:
        """Tile (row, col) of ``block`` × ``block`` cells (up to 512 × 512 cells), float32: per cell
        the mean over ``heads`` (None: all) of each head's max or mean over the cell's entries, or
        each head's own plane with ``per_head`` ([heads, cells_r, cells_c])."""
        return self.layer_lod(layer, stack).tile(heads, pool, block, row, col, per_head)

    def attention_rows(
        self, layer: int, start: int, count: int = 64, k: int = 8, stack: str | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For query rows [start, start + count): each head's top-k keys, largest first, as
        (index uint32 [heads, rows, k], exact weight float32, mass = sum of those weights [heads, rows])."""
        return self.layer_lod(layer, stack).top_keys(start, count, k)

    def attention_row(self, layer: int, index: int, side: str = "query", stack: str | None = None) -> np.ndarray:
        """One exact row (side "query": what ``index`` attends to) or column (side "key": who
        attends to ``index``) for every head, float32 [heads, n]."""
        return self.layer_lod(layer, stack).row(index, side)

    def attention_cell(self, layer: int, row: int, col: int, stack: str | None = None) -> np.ndarray:
        """A_h[row, col] for every head, float32 [heads]."""
        return self.layer_lod(layer, stack).cell(row, col)

    # --- circuits (thin: the work is in attnlens.analysis) ---------------------------------------
    def logit_attribution(
        self, target: int | str | None = None, contrast: int | str | None = None, position: int = -1
    ) -> LogitAttribution:
        """Each head's and MLP's direct contribution to the logit of ``target`` (minus ``contrast``)
        at ``position``, norms frozen at their scale in this run; see analysis/logit_attribution.py."""
        from attnlens.analysis.logit_attribution import logit_attribution

        return logit_attribution(self, target, contrast, position)

    def head_roles(self, n_random: int = 40, seed: int = 0) -> HeadRoles:
        """Previous-token, induction, duplicate-token and first-token scores of every head, on this text
        and on a repeated random sequence; see analysis/head_roles.py."""
        from attnlens.analysis.head_roles import head_roles

        return head_roles(self, n_random, seed)


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
