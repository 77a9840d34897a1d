"""Head roles: how much each head behaves as a previous-token, induction, duplicate-token or
first-token (attention sink) head.

Each role is a pattern of (query, key) pairs; a head's score is the attention it puts on the pattern,
averaged over the query tokens that have such a key (the others are left out, so a text with few
repeated tokens does not drag every induction score towards 0). The definitions follow
TransformerLens's head detector:

- previous token: query i → key i − 1;
- duplicate token: query i → every earlier key j with the same token (j < i);
- induction: query i → the key right after an earlier occurrence of its token (j + 1, j + 1 < i);
- first token: query i → key 0 (queries from 1 on).

Special tokens are never matched as duplicates. Scores are measured twice: on the trace's own text
(NaN where it has no such pair) and on a repeated random sequence: the trace's leading special token
(BOS, [CLS]; else the tokenizer's BOS if it has one), n random non-special tokens of the model's
vocabulary, then the same n tokens again, on which induction and duplicate heads show best.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from attnlens.capture.trace import Trace

ROLES = ("previous_token", "induction", "duplicate_token", "first_token")


@dataclass
class HeadRoles:
    """Scores in [0, 1] per role, each [layers, heads]."""

    text: dict[str, np.ndarray]  # on the trace's own text (NaN where it has no such pair)
    repeated: dict[str, np.ndarray]  # on the repeated random sequence ``repeated_ids``
    repeated_ids: list[int]

    def top(self, role: str, k: int = 3, on: str = "repeated") -> list[tuple[int, int, float]]:
        """The k heads with the highest score for ``role``, as (layer, head, score)."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; choose one of {list(ROLES)}")
        if on not in ("repeated", "text"):
            raise ValueError(f"on must be 'repeated' or 'text', got {on!r}")
        scores = (self.repeated if on == "repeated" else self.text)[role]
        flat = np.nan_to_num(scores, nan=-1.0)
        order = np.argsort(flat, axis=None, kind="stable")[::-1][:k]
        heads = scores.shape[1]
        return [(int(i // heads), int(i % heads), float(scores.flat[i])) for i in order]

    def best(self, on: str = "repeated") -> dict[str, tuple[int, int]]:
        """The top (layer, head) of each role."""
        return {role: self.top(role, 1, on)[0][:2] for role in ROLES}  # type: ignore[misc]


def patterns(ids: np.ndarray, special: list[bool]) -> dict[str, np.ndarray]:
    """Each role's (query, key) pattern over tokens ``ids``, bool [tokens, tokens]."""
    n = len(ids)
    earlier = np.tril(np.ones((n, n), dtype=bool), -1)
    same = (ids[:, None] == ids[None, :]) & earlier & ~np.asarray(special, dtype=bool)[None, :]
    induction = np.zeros((n, n), dtype=bool)
    induction[:, 1:] = same[:, :-1]
    induction &= earlier
    previous = np.eye(n, k=-1, dtype=bool)
    first = np.zeros((n, n), dtype=bool)
    first[1:, 0] = True
    return {"previous_token": previous, "induction": induction, "duplicate_token": same, "first_token": first}


def role_scores(trace: Trace, ids: np.ndarray, special: list[bool]) -> dict[str, np.ndarray]:
    """Scores of every head of ``trace``'s default stack on its own attention, [layers, heads] per role."""
    pats = patterns(ids, special)
    out = {role: np.full((trace.n_layers, trace.n_heads), np.nan) for role in ROLES}
    for layer in range(trace.n_layers):
        weights = trace.attention(layer).astype(np.float64)  # [heads, q, k]
        for role, pattern in pats.items():
            rows = pattern.any(axis=1)
            if rows.any():
                out[role][layer] = (weights * pattern).sum(axis=2)[:, rows].mean(axis=1)
    return out


def repeated_sequence(trace: Trace, n: int, seed: int) -> tuple[np.ndarray, list[bool]]:
    """The trace's leading special token (else the tokenizer's BOS, if any) + n random non-special
    vocabulary tokens, twice."""
    if trace.source is None:
        raise ValueError("this trace keeps no model (built from attention alone); trace it with al.trace")
    tokenizer = trace.source.tokenizer
    vocab = trace.source.model.get_input_embeddings().weight.shape[0]
    avoid = set(getattr(tokenizer, "all_special_ids", []) or [])
    pool = np.array([i for i in range(min(vocab, len(tokenizer) if tokenizer is not None else vocab))
                     if i not in avoid])
    chosen = np.random.default_rng(seed).choice(pool, size=n, replace=len(pool) < n)
    bos = getattr(tokenizer, "bos_token_id", None)
    prefix = [int(trace.token_ids[0])] if trace.special and trace.special[0] else [bos] if isinstance(bos, int) else []
    ids = np.array(prefix + list(chosen) * 2, dtype=np.int64)
    return ids, [True] * len(prefix) + [False] * (2 * n)


def head_roles(trace: Trace, n_random: int = 40, seed: int = 0) -> HeadRoles:
    from attnlens.capture.inputs import EncodedText, check_length

    if isinstance(n_random, bool) or not isinstance(n_random, int) or n_random < 2:
        raise ValueError(f"n_random must be an int of at least 2, got {n_random!r}")
    if trace.source is None:
        raise ValueError("this trace keeps no model (built from attention alone); trace the model with al.trace")
    if len(trace.stacks) > 1:
        raise ValueError(f"head_roles covers decoder-only and encoder-only models; this {trace.model_type} model "
                         "is an encoder-decoder")
    own = role_scores(trace, np.asarray(trace.token_ids), trace.special)
    ids, special = repeated_sequence(trace, n_random, seed)
    check_length(trace.source.model, len(ids))
    extra = {"attention_mask": torch.ones(1, len(ids), dtype=torch.long)}
    if trace.source.encoded is not None and "token_type_ids" in trace.source.encoded.extra:
        extra["token_type_ids"] = torch.zeros(1, len(ids), dtype=torch.long)
    encoded = EncodedText(input_ids=torch.from_numpy(ids)[None], extra=extra, tokens=trace.decode(ids.tolist()),
                          special=special, decode=trace.decode, tokenizer=trace.source.tokenizer)
    rerun = trace.source.runner(trace.source.model, encoded)
    return HeadRoles(text=own, repeated=role_scores(rerun, ids, special), repeated_ids=ids.tolist())
