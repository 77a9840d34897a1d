"""Two traces of one model on two texts (a counterfactual): aligned tokens, the change in the
prediction, and the change in attention between aligned tokens.

Tokens are aligned with ``difflib.SequenceMatcher`` so that an edited word shifts nothing else: the
tokens after an inserted word are still compared with their own counterparts.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np

from attnlens.capture.trace import Trace

Pair = tuple[int | None, int | None]


def align_tokens(a: list[str], b: list[str]) -> list[Pair]:
    """Pairs (index in a, index in b), in order: equal runs paired; a replaced run of equal length
    paired one-to-one; other deleted / inserted tokens paired with None."""
    pairs: list[Pair] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            pairs.extend(zip(range(i1, i2), range(j1, j2), strict=True))
        else:
            pairs.extend((i, None) for i in range(i1, i2))
            pairs.extend((None, j) for j in range(j1, j2))
    return pairs


def changed_pairs(a: list[str], b: list[str], pairs: list[Pair]) -> list[bool]:
    """Per pair: the tokens differ, or one side is unmatched."""
    return [x is None or y is None or a[x] != b[y] for x, y in pairs]


@dataclass
class Prediction:
    """The top-k next tokens after a trace's last position."""

    token_ids: np.ndarray  # [k], int64
    tokens: list[str]
    probs: np.ndarray  # [k], float32


@dataclass
class Comparison:
    """What changed from trace ``a`` to trace ``b``; see ``compare_traces``."""

    pairs: list[Pair]  # aligned input tokens (the source side of an encoder-decoder)
    changed: list[bool]  # per pair: the tokens differ, or one side is unmatched
    stack: str
    prediction_a: Prediction | None  # None for a model without a language-model head
    prediction_b: Prediction | None
    a_top_under_b: np.ndarray | None  # probability under b of each of a's top-k tokens, [k]
    a_top_change: np.ndarray | None  # that minus its probability under a, [k]
    _a: Trace = field(repr=False)
    _b: Trace = field(repr=False)

    def side_pairs(self, side: str) -> list[Pair]:
        """The alignment of one token side ("input"/"source" or "target")."""
        if side == "target":
            return align_tokens(self._a.decoder_tokens or [], self._b.decoder_tokens or [])
        return self.pairs

    def attention_diff(self, layer: int) -> np.ndarray:
        """Attention of b minus attention of a between aligned tokens, float32
        [heads, query pairs, key pairs]; NaN where either side of a pair is unmatched."""
        stack = self._a.stack(self.stack)
        weights_a = self._a.attention(layer, self.stack)
        weights_b = self._b.attention(layer, self.stack)
        queries, keys = self.side_pairs(stack.queries), self.side_pairs(stack.keys)
        out = np.full((weights_a.shape[0], len(queries), len(keys)), np.nan, dtype=np.float32)
        q_rows, qa, qb = _matched(queries)
        k_cols, ka, kb = _matched(keys)
        diff = weights_b[:, qb[:, None], kb[None, :]] - weights_a[:, qa[:, None], ka[None, :]]
        out[:, q_rows[:, None], k_cols[None, :]] = diff
        return out


def _matched(pairs: list[Pair]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of the pairs matched on both sides, and their index in a and in b."""
    both = [(i, x, y) for i, (x, y) in enumerate(pairs) if x is not None and y is not None]
    index = np.asarray(both, dtype=np.int64).reshape(-1, 3)
    return index[:, 0], index[:, 1], index[:, 2]


def check_same_model(a: Trace, b: Trace) -> None:
    """Refuse two traces that cannot be aligned: different models, or different stacks."""
    for what in ("model_name", "model_type", "n_layers", "n_heads"):
        if getattr(a, what) != getattr(b, what):
            raise ValueError(
                f"the two traces come from different models ({what} {getattr(a, what)!r} vs "
                f"{getattr(b, what)!r}); trace both texts with the same model to compare them"
            )
    if list(a.stacks) != list(b.stacks):
        raise ValueError(
            f"the two traces have different attention stacks ({list(a.stacks)} vs {list(b.stacks)}); "
            "trace both the same way (with or without target=) to compare them"
        )


def prediction(trace: Trace, k: int) -> tuple[Prediction, np.ndarray] | None:
    """Top-k after the last position, and the full probability vector; None without an LM head."""
    if trace.vocab_size is None:
        return None
    probs = trace.probabilities(trace.predicted_positions[-1])
    top = np.argsort(-probs, kind="stable")[:k]
    return Prediction(top.astype(np.int64), trace.decode(top), probs[top].astype(np.float32)), probs


def compare_traces(tr_a: Trace, tr_b: Trace, k: int = 5, stack: str | None = None) -> Comparison:
    """Align the tokens of two traces of the same model and measure what changed from a to b."""
    for name, tr in (("tr_a", tr_a), ("tr_b", tr_b)):
        if not isinstance(tr, Trace):
            raise TypeError(f"{name} must be a Trace from attnlens.trace(...), got {type(tr).__name__}")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    check_same_model(tr_a, tr_b)
    stack = tr_a.stack(stack).name
    pairs = align_tokens(tr_a.tokens, tr_b.tokens)
    changed = changed_pairs(tr_a.tokens, tr_b.tokens, pairs)
    pa, pb = prediction(tr_a, k), prediction(tr_b, k)
    under_b = change = None
    if pa is not None and pb is not None:
        ids, probs_b = pa[0].token_ids, pb[1]
        under_b = probs_b[ids].astype(np.float32)
        change = (probs_b[ids] - pa[1][ids]).astype(np.float32)
    return Comparison(
        pairs=pairs,
        changed=changed,
        stack=stack,
        prediction_a=None if pa is None else pa[0],
        prediction_b=None if pb is None else pb[0],
        a_top_under_b=under_b,
        a_top_change=change,
        _a=tr_a,
        _b=tr_b,
    )
