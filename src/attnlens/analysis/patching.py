"""Activation patching between two runs of one model: which layer, position and head carries the
information that changes the answer when the input changes.

``denoise`` runs the corrupt text with one activation taken from the clean run; ``noise`` runs the
clean text with one activation from the corrupt run. The metric is the logit difference
target − contrast after ``position``, normalised so 1 means the patch alone restores the clean answer
(denoise) or alone moves it all the way to the corrupt one (noise), and 0 means no effect.

Batched: the runs that patch one layer go through the model as one batch. The input is run once up to
the patched activation, expanded there to one row per cell, and each row b is patched at its own
position (or head); every layer before the patch is computed once, not once per cell.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from attnlens.analysis.attribution import token_id
from attnlens.analysis.compare import align_tokens, check_same_model
from attnlens.analysis.residual_parts import block_hidden, logits_at, model_inputs, self_stack
from attnlens.capture.adapters import BoundStack

if TYPE_CHECKING:
    from attnlens.capture.trace import Trace

WHATS = ("residual", "attention_out", "mlp_out", "heads")
DIRECTIONS = ("denoise", "noise")


@dataclass
class PatchResult:
    """values[layer, column]: columns are ``positions`` (tokens ``tokens``), or heads for what="heads"."""

    values: np.ndarray
    what: str
    direction: str
    positions: list[int]  # the patched positions (columns), or every position for "heads"
    tokens: list[str]  # the clean run's tokens at ``positions``
    target: int
    contrast: int
    target_token: str
    contrast_token: str
    position: int  # where the logit difference is read
    clean: float  # the logit difference of the clean run
    corrupt: float

    @property
    def columns(self) -> str:
        return "head" if self.what == "heads" else "position"

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.values.shape)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.values if dtype is None else self.values.astype(dtype)

    def top(self, k: int = 5) -> list[tuple[int, int, float]]:
        """The k cells with the largest effect, as (layer, column, value)."""
        order = np.argsort(self.values, axis=None)[::-1][:k]
        width = self.values.shape[1]
        return [(int(i // width), int(i % width), float(self.values.flat[i])) for i in order]

    def __repr__(self) -> str:
        rows, cols = self.values.shape
        return (f"PatchResult({self.what}, {self.direction}: {rows} layers × {cols} {self.columns}s, "
                f"{self.target_token!r} − {self.contrast_token!r}: clean {self.clean:.4g}, corrupt "
                f"{self.corrupt:.4g})")


def _check_runs(clean: Trace, corrupt: Trace, what: str, direction: str) -> None:
    if what not in WHATS:
        raise ValueError(f"unknown what={what!r}; choose one of {list(WHATS)}")
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction={direction!r}; choose 'denoise' or 'noise'")
    for name, run in (("clean", clean), ("corrupt", corrupt)):
        if run.source is None or run.source.encoded is None:
            raise ValueError(f"the {name} trace keeps no model (built from attention alone); trace it with al.trace")
    try:
        check_same_model(clean, corrupt)
    except ValueError as err:
        raise ValueError(str(err).replace("to compare them", "to patch one into the other")) from None
    assert clean.source is not None and corrupt.source is not None  # checked above
    if clean.source.model is not corrupt.source.model:
        raise ValueError("the clean and corrupt traces come from two different model objects; patching moves "
                         "activations within one model: trace both texts with the same model")
    if clean.n_tokens != corrupt.n_tokens:
        raise ValueError(_length_message(clean.tokens, corrupt.tokens))


def _length_message(a: list[str], b: list[str]) -> str:
    unmatched = [(i, j) for i, j in align_tokens(a, b) if i is None or j is None]
    shown_a = [a[i] for i, _ in unmatched if i is not None][:6]
    shown_b = [b[j] for _, j in unmatched if j is not None][:6]
    return (f"the clean text is {len(a)} tokens and the corrupt text {len(b)}: patching swaps activations "
            f"position by position, so both must have the same number of tokens. Aligned, the clean tokens "
            f"{shown_a} have no counterpart in {shown_b}. Replace words by words of the same token length "
            "(al.compare(clean, corrupt) shows the alignment), then trace again.")


def _goal(clean: Trace, corrupt: Trace, target: int | str | None, contrast: int | str | None,
          position: int) -> tuple[int, int, int]:
    if clean.stored_logits is None and not clean.has_logit_lens:
        raise ValueError(f"this {clean.model_type} model has no language-model head, so there is no logit "
                         "difference to patch: load it with AutoModelForCausalLM or AutoModelForMaskedLM")
    n = clean.n_tokens
    if isinstance(position, bool) or not isinstance(position, (int, np.integer)) or not -n <= position < n:
        raise ValueError(f"position {position!r} is out of range: the texts have positions 0 to {n - 1}")
    position = int(position) % n
    t = int(clean.logits_at(position).argmax()) if target is None else token_id(clean, target, "target")
    c = int(corrupt.logits_at(position).argmax()) if contrast is None else token_id(clean, contrast, "contrast")
    if t == c:
        raise ValueError(f"target and contrast are the same token ({t}): the clean and corrupt runs predict the "
                         "same top token, so pass target= and contrast= (two different tokens)")
    return position, t, c


def _positions(positions: list[int] | None, n: int) -> list[int]:
    if positions is None:
        return list(range(n))
    checked = []
    for p in positions:
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or not -n <= p < n:
            raise ValueError(f"position {p!r} in positions= is out of range: 0 to {n - 1}")
        checked.append(int(p) % n)
    if not checked:
        raise ValueError("positions= is empty; pass token positions, or None for all of them")
    return checked


def _module(stack: BoundStack, what: str, layer: int) -> torch.nn.Module:
    assert stack.attn_outs is not None and stack.mlp_outs is not None
    if what == "residual":
        return stack.blocks[layer]
    return stack.mlp_outs[layer] if what == "mlp_out" else stack.attn_outs[layer]


def capture_activations(model: Any, stack: BoundStack, encoded: Any, what: str) -> list[torch.Tensor]:
    """Per layer, the activation ``what`` patches, [tokens, width], in the model's dtype and device:
    the block's input (residual), the output projection's output (attention_out, mlp_out) or input (heads)."""
    from attnlens.capture.model_run import eval_mode as _eval_mode

    n = len(stack.blocks)
    seen: list[Any] = [None] * n
    handles = []
    for layer in range(n):
        module = _module(stack, what, layer)
        if what == "residual":

            def keep_block(_m: Any, args: Any, kwargs: Any, layer: int = layer) -> None:
                seen[layer] = block_hidden(args, kwargs)[0].detach()

            handles.append(module.register_forward_pre_hook(keep_block, with_kwargs=True))
        elif what == "heads":

            def keep_in(_m: Any, args: Any, layer: int = layer) -> None:
                seen[layer] = args[0][0].detach()

            handles.append(module.register_forward_pre_hook(keep_in))
        else:

            def keep_out(_m: Any, _a: Any, out: torch.Tensor, layer: int = layer) -> None:
                seen[layer] = out[0].detach()

            handles.append(module.register_forward_hook(keep_out))
    try:
        with _eval_mode(model), torch.no_grad():
            model(**model_inputs(model, encoded))
    finally:
        for handle in handles:
            handle.remove()
    return seen


def _patched(hidden: torch.Tensor, what: str, cells: list[int], source: torch.Tensor, n_heads: int) -> torch.Tensor:
    """``hidden`` [1, T, width] expanded to one row per cell; row b takes ``source`` at cell b."""
    rows = torch.arange(len(cells), device=hidden.device)
    out = hidden.expand(len(cells), *hidden.shape[1:]).clone()
    index = torch.tensor(cells, device=hidden.device)
    if what != "heads":
        out[rows, index] = source[index].to(out.dtype)
        return out
    t = out.shape[1]
    heads = out.view(len(cells), t, n_heads, -1)
    heads[rows, :, index] = source.view(t, n_heads, -1)[:, index].transpose(0, 1).to(out.dtype)
    return out


@contextmanager
def patch_hook(stack: BoundStack, what: str, layer: int, cells: list[int], source: torch.Tensor,
               n_heads: int) -> Iterator[None]:
    """While open, a batch-1 forward pass comes out as len(cells) rows, row b patched at cell b."""
    module = _module(stack, what, layer)
    if what == "residual":

        def on_block(_m: Any, args: Any, kwargs: Any) -> Any:
            hidden = _patched(block_hidden(args, kwargs), what, cells, source, n_heads)
            if args:
                return (hidden, *args[1:]), kwargs
            return args, {**kwargs, "hidden_states": hidden}

        handle = module.register_forward_pre_hook(on_block, with_kwargs=True)
    elif what == "heads":

        def on_input(_m: Any, args: Any) -> Any:
            return (_patched(args[0], what, cells, source, n_heads), *args[1:])

        handle = module.register_forward_pre_hook(on_input)
    else:

        def on_output(_m: Any, _a: Any, out: torch.Tensor) -> torch.Tensor:
            return _patched(out, what, cells, source, n_heads)

        handle = module.register_forward_hook(on_output)
    try:
        yield
    finally:
        handle.remove()


def logit_difference(model: Any, inputs: dict[str, Any], position: int, target: int, contrast: int) -> torch.Tensor:
    """target − contrast after ``position`` for every row the pass comes out with, float64 [rows]."""
    from attnlens.capture.model_run import eval_mode as _eval_mode

    with logits_at(model, position), _eval_mode(model), torch.no_grad():
        logits = model(**inputs).logits[:, -1].double()
    return (logits[:, target] - logits[:, contrast]).cpu()


def _progress(total: int, show: bool, what: str) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not show, desc=f"patching {what}", unit="batch")


def patch(
    clean: Trace,
    corrupt: Trace,
    what: str = "residual",
    target: int | str | None = None,
    contrast: int | str | None = None,
    direction: str = "denoise",
    position: int = -1,
    positions: list[int] | None = None,
    batch_tokens: int = 8192,
    progress: bool = True,
) -> PatchResult:
    """Patch ``what`` at each layer and position (each head, for "heads") from one run into the other.

    Returns layers × positions ("residual": the block's input; "attention_out", "mlp_out": the output
    projection's output) or layers × heads ("heads": one head's output at every position). ``positions``
    limits the patched positions; ``batch_tokens`` bounds rows × tokens of one batch (memory).
    """
    _check_runs(clean, corrupt, what, direction)
    assert clean.source is not None and corrupt.source is not None  # _check_runs refused traces without one
    model = clean.source.model
    stack = self_stack(model, "patching")
    position, target_id, contrast_id = _goal(clean, corrupt, target, contrast, position)
    base, source = (corrupt, clean) if direction == "denoise" else (clean, corrupt)
    assert base.source is not None
    inputs = model_inputs(model, base.source.encoded)
    clean_in = model_inputs(model, clean.source.encoded)
    corrupt_in = inputs if base is corrupt else model_inputs(model, corrupt.source.encoded)
    clean_m = float(logit_difference(model, clean_in, position, target_id, contrast_id)[0])
    corrupt_m = float(logit_difference(model, corrupt_in, position, target_id, contrast_id)[0])
    if abs(clean_m - corrupt_m) < 1e-6:
        raise ValueError(f"the logit difference is the same in both runs ({clean_m:.4g}), so there is nothing to "
                         "restore: choose a corrupt text that changes the answer, or other target/contrast tokens")
    assert base.source is not None and source.source is not None
    activations = capture_activations(model, stack, source.source.encoded, what)
    n_heads = clean.n_heads
    cells = list(range(n_heads)) if what == "heads" else _positions(positions, clean.n_tokens)
    rows = max(1, batch_tokens // clean.n_tokens)
    values = np.zeros((len(stack.blocks), len(cells)))
    batches = -(-len(cells) // rows)
    with _progress(len(stack.blocks) * batches, progress, what) as bar:
        for layer in range(len(stack.blocks)):
            for start in range(0, len(cells), rows):
                chunk = cells[start : start + rows]
                with patch_hook(stack, what, layer, chunk, activations[layer], n_heads):
                    patched = logit_difference(model, inputs, position, target_id, contrast_id).numpy()
                values[layer, start : start + len(chunk)] = patched
                bar.update(1)
    denom = clean_m - corrupt_m
    values = (values - corrupt_m) / denom if direction == "denoise" else (clean_m - values) / denom
    decode = clean.decode
    columns = list(range(clean.n_tokens)) if what == "heads" else cells
    return PatchResult(
        values=values, what=what, direction=direction, positions=columns,
        tokens=[clean.tokens[p] for p in columns], target=target_id, contrast=contrast_id,
        target_token=decode([target_id])[0], contrast_token=decode([contrast_id])[0], position=position,
        clean=clean_m, corrupt=corrupt_m,
    )
