"""Counterfactual comparison: token alignment, the change in prediction and the attention difference,
checked against float64 recomputations from ``tr.attention`` / ``tr.logits_at`` written here."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import attnlens as al
from attnlens.analysis.compare import Comparison, align_tokens, compare_traces
from attnlens.bundled import load
from families import build

BASE = "Harry went to the castle and Hermione gave a book to"
SWAPPED = "Harry went to the forest and Hermione gave a book to"  # castle → forest: 3 tokens for 3
INSERTED = "Harry went to the old castle and Hermione gave a book to"  # one token more


@pytest.fixture(scope="module")
def bundled():
    return load()


@pytest.fixture(scope="module")
def traces(bundled):
    model, tokenizer = bundled
    return {text: al.trace(model, tokenizer, text) for text in (BASE, SWAPPED, INSERTED)}


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (list("abc"), list("abc"), [(0, 0), (1, 1), (2, 2)]),
        (list("abcd"), list("axyd"), [(0, 0), (1, 1), (2, 2), (3, 3)]),  # equal-length replace: one-to-one
        (list("abd"), list("abcd"), [(0, 0), (1, 1), (None, 2), (2, 3)]),  # insert
        (list("abcd"), list("abd"), [(0, 0), (1, 1), (2, None), (3, 2)]),  # delete
        (list("abcd"), list("axd"), [(0, 0), (1, None), (2, None), (None, 1), (3, 2)]),  # 2 → 1: unmatched
        ([], list("ab"), [(None, 0), (None, 1)]),
    ],
)
def test_align_tokens(a, b, expected) -> None:
    assert align_tokens(a, b) == expected


def top_k_reference(tr: al.Trace, k: int) -> tuple[np.ndarray, np.ndarray]:
    logits = tr.logits_at(len(tr.tokens) - 1).astype(np.float64)
    p = np.exp(logits - logits.max())
    p /= p.sum()
    return np.argsort(-p, kind="stable")[:k], p


def attention_diff_reference(a: al.Trace, b: al.Trace, pairs, layer: int) -> np.ndarray:
    wa, wb = a.attention(layer).astype(np.float64), b.attention(layer).astype(np.float64)
    out = np.full((wa.shape[0], len(pairs), len(pairs)), np.nan)
    for i, (qa, qb) in enumerate(pairs):
        for j, (ka, kb) in enumerate(pairs):
            if None not in (qa, qb, ka, kb):
                out[:, i, j] = wb[:, qb, kb] - wa[:, qa, ka]
    return out


def check_against_reference(a: al.Trace, b: al.Trace, k: int = 5) -> Comparison:
    comparison = compare_traces(a, b, k=k)
    ids_a, p_a = top_k_reference(a, k)
    ids_b, p_b = top_k_reference(b, k)
    assert comparison.prediction_a is not None and comparison.prediction_b is not None
    np.testing.assert_array_equal(comparison.prediction_a.token_ids, ids_a)
    np.testing.assert_array_equal(comparison.prediction_b.token_ids, ids_b)
    np.testing.assert_allclose(comparison.prediction_a.probs, p_a[ids_a], atol=1e-6)
    np.testing.assert_allclose(comparison.prediction_b.probs, p_b[ids_b], atol=1e-6)
    np.testing.assert_allclose(comparison.a_top_under_b, p_b[ids_a], atol=1e-6)
    np.testing.assert_allclose(comparison.a_top_change, p_b[ids_a] - p_a[ids_a], atol=1e-6)
    assert comparison.prediction_a.tokens == [a._decode([int(i)])[0] for i in ids_a]
    for layer in range(a.n_layers):
        diff = comparison.attention_diff(layer)
        expected = attention_diff_reference(a, b, comparison.pairs, layer)
        assert diff.dtype == np.float32 and diff.shape == expected.shape
        np.testing.assert_array_equal(np.isnan(diff), np.isnan(expected))
        np.testing.assert_allclose(diff, expected, atol=1e-6, equal_nan=True)
    return comparison


def test_one_word_swapped(traces) -> None:
    a, b = traces[BASE], traces[SWAPPED]
    comparison = check_against_reference(a, b)
    assert len(a.tokens) == len(b.tokens)
    assert comparison.pairs == [(i, i) for i in range(len(a.tokens))]
    swapped = [i for i, (x, y) in enumerate(comparison.pairs) if a.tokens[x] != b.tokens[y]]
    assert swapped and comparison.changed == [i in swapped for i in range(len(a.tokens))]
    diff = comparison.attention_diff(1)
    before = min(swapped)
    np.testing.assert_allclose(diff[:, :before, :before], 0.0, atol=1e-6)  # causal: earlier rows unchanged
    assert np.abs(diff[:, max(swapped) + 1 :]).max() > 1e-3  # later rows see the swapped word
    assert np.abs(comparison.a_top_change).max() > 1e-4


def test_one_word_inserted(traces) -> None:
    a, b = traces[BASE], traces[INSERTED]
    comparison = check_against_reference(a, b)
    inserted = next(j for j, tok in enumerate(b.tokens) if "old" in tok)
    expected = [(i, i) for i in range(inserted)] + [(None, inserted)]
    expected += [(i, i + 1) for i in range(inserted, len(a.tokens))]
    assert comparison.pairs == expected
    assert comparison.changed == [x is None for x, _ in expected]
    diff = comparison.attention_diff(0)
    assert np.isnan(diff[:, inserted]).all() and np.isnan(diff[:, :, inserted]).all()
    assert not np.isnan(np.delete(np.delete(diff, inserted, 1), inserted, 2)).any()


def test_a_trace_against_itself_changes_nothing(traces) -> None:
    tr = traces[BASE]
    comparison = compare_traces(tr, tr, k=3)
    assert not any(comparison.changed)
    assert np.all(comparison.attention_diff(0) == 0.0) and np.all(comparison.a_top_change == 0.0)


def test_traces_of_different_models_are_refused(traces, tokenizer) -> None:
    other = al.trace(build("gpt2", "sdpa"), tokenizer, BASE)
    with pytest.raises(ValueError, match=r"the two traces come from different models \(model_name .* vs .*\); "
                                         r"trace both texts with the same model"):
        compare_traces(traces[BASE], other)


def test_stacks_must_match(traces) -> None:
    tr = traces[BASE]
    renamed = dataclasses.replace(tr, stacks={"other": tr.stacks["self"]})
    with pytest.raises(ValueError, match=r"different attention stacks \(\['self'\] vs \['other'\]\)"):
        compare_traces(tr, renamed)


def test_bad_arguments(traces) -> None:
    tr = traces[BASE]
    with pytest.raises(ValueError, match=r"k must be a positive int, got 0"):
        compare_traces(tr, tr, k=0)
    with pytest.raises(TypeError, match=r"tr_b must be a Trace from attnlens.trace\(...\), got str"):
        compare_traces(tr, "Harry went")
    with pytest.raises(ValueError, match=r"no attention stack 'cross'"):
        compare_traces(tr, tr, stack="cross")
    with pytest.raises(ValueError, match=r"layer 9 is out of range"):
        compare_traces(tr, tr).attention_diff(9)
