"""Two runs aligned token by token (placeholder until the full comparison analysis lands)."""

from __future__ import annotations

import difflib


def align_tokens(a: list[str], b: list[str]) -> list[tuple[int | None, int | None]]:
    """Pairs (index in a, index in b) in order; equal runs and same-length replacements are paired."""
    pairs: list[tuple[int | None, int | None]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
            pairs += list(zip(range(i1, i2), range(j1, j2), strict=True))
        else:
            pairs += [(i, None) for i in range(i1, i2)]
            pairs += [(None, j) for j in range(j1, j2)]
    return pairs
