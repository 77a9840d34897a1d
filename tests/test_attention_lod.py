"""Level-of-detail attention (issue #12): every tile, top key, row and cell equals a float64
recomputation from the captured q/k (``lod_reference``), on several families: GPT-2 (causal through
``is_causal``), Llama (grouped-query, rotary), BERT with a padded batch of one, T5 (relative
position bias) and a family without an adapter (eager weights)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import attnlens as al
from attnlens.analysis.attention_lod import TILE, stored_block
from attnlens.capture.inputs import EncodedText, display_tokens
from attnlens.capture.run import trace_encoded
from families import text_of
from lod_reference import bert, electra, exact_attention, gpt2, llama, pooled, t5


@pytest.fixture(scope="module")
def gpt2_trace(tokenizer) -> al.Trace:
    return al.trace(gpt2(2048), tokenizer, text_of(tokenizer, 1100))  # finest stored block 4


@pytest.fixture(scope="module")
def llama_trace(tokenizer) -> al.Trace:
    return al.trace(llama(1024), tokenizer, text_of(tokenizer, 600))  # finest stored block 2


@pytest.fixture(scope="module")
def bert_padded(minilm_tokenizer) -> al.Trace:
    """A batch of one padded to a longer length: the mask hides the padding keys."""
    batch = dict(minilm_tokenizer(text_of(minilm_tokenizer, 530), padding="max_length", max_length=600,
                                  return_tensors="pt"))
    ids = batch.pop("input_ids")
    assert int(batch["attention_mask"].sum()) == 530
    tokens = display_tokens(minilm_tokenizer, ids[0].tolist())
    return trace_encoded(bert(1024), EncodedText(input_ids=ids, extra=batch, tokens=tokens, special=[False] * 600))


@pytest.fixture(scope="module")
def t5_trace(tokenizer) -> al.Trace:
    return al.trace(t5(), tokenizer, text_of(tokenizer, 40), decoder_text="the dog ran after a red ball")


@pytest.fixture(scope="module")
def eager_trace(tokenizer) -> al.Trace:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return al.trace(electra(1024), tokenizer, text_of(tokenizer, 560))


def reference(trace: al.Trace, layer: int, stack: str | None = None) -> np.ndarray:
    st = trace.stack(stack)
    if st.layers is None:
        return st.eager[layer].astype(np.float64)  # type: ignore[index]
    return exact_attention(st.layers[layer])


def check_tiles(trace: al.Trace, layer: int, stack: str | None = None) -> None:
    """Per-head and head-mean tiles at stored and on-demand blocks, max and mean, corner tiles."""
    a = reference(trace, layer, stack)
    heads, nq, nk = a.shape
    finest = stored_block(nq, nk)
    blocks = sorted({1, 2, finest, 2 * finest, 64, stored_block(nq, nk, 1)})  # the last: one cell
    for block in blocks:
        span = TILE * block
        last_r, last_c = -(-nq // span) - 1, -(-nk // span) - 1
        for pool in ("max", "mean"):
            ref = pooled(a, block, pool)
            tol = dict(rtol=2e-3, atol=1e-6) if block >= finest else EXACT
            for row, col in sorted({(0, 0), (last_r, last_c), (0, last_c), (last_r, 0)}):
                cells = ref[:, row * TILE : (row + 1) * TILE, col * TILE : (col + 1) * TILE]
                got = trace.attention_tile(layer, None, pool, block, row, col, stack=stack, per_head=True)
                np.testing.assert_allclose(got, cells, **tol, err_msg=f"block {block} {pool} tile {row},{col}")
                for chosen in ([heads - 1], [0, heads - 1]):
                    mean = trace.attention_tile(layer, chosen, pool, block, row, col, stack=stack)
                    np.testing.assert_allclose(mean, cells[chosen].mean(0), **tol)


EXACT = dict(rtol=2e-5, atol=1e-6)  # float32 exp(score − lse): relative error ~ |score| · 2⁻²⁴


def check_exact(trace: al.Trace, layer: int, stack: str | None = None) -> None:
    a = reference(trace, layer, stack)
    _, nq, nk = a.shape
    for i in (0, 1, nq // 2, nq - 1):
        np.testing.assert_allclose(trace.attention_row(layer, i, "query", stack=stack), a[:, i], **EXACT)
    for j in (0, nk // 3, nk - 1):
        np.testing.assert_allclose(trace.attention_row(layer, j, "key", stack=stack), a[:, :, j], **EXACT)
    for i, j in ((0, 0), (nq - 1, 0), (nq // 2, nk // 2), (0, nk - 1), (nq - 1, nk - 1)):
        np.testing.assert_allclose(trace.attention_cell(layer, i, j, stack=stack), a[:, i, j], **EXACT)


def check_top_keys(trace: al.Trace, layer: int, stack: str | None = None, k: int = 8) -> None:
    a = reference(trace, layer, stack)
    nq, nk = a.shape[1:]
    for start in sorted({0, 64 * ((nq - 1) // 64)}):
        index, weight, mass = trace.attention_rows(layer, start, 64, k, stack=stack)
        rows = a[:, start : start + 64]
        k2 = min(k, nk)
        assert index.dtype == np.uint32 and index.shape == (a.shape[0], rows.shape[1], k2)
        chosen = np.take_along_axis(rows, index.astype(np.int64), -1)
        np.testing.assert_allclose(weight, chosen, **EXACT)  # exact weights of the keys named
        true_top = -np.sort(-rows, axis=-1)[..., :k2]
        np.testing.assert_allclose(weight, true_top, **EXACT)  # they are the true top keys, largest first
        np.testing.assert_allclose(mass, chosen.sum(-1), atol=1e-5)
        distinct = np.diff(-true_top, axis=-1).min(-1) > 1e-4  # no near-ties: the order is the keys' own
        ref_index = np.argsort(-rows, axis=-1, kind="stable")[..., :k2]
        np.testing.assert_array_equal(index[distinct], ref_index[distinct])


def test_gpt2_causal_is_causal(gpt2_trace) -> None:
    layers = gpt2_trace.stack().layers
    assert layers is not None and layers[1].causal and layers[1].mask is None
    check_tiles(gpt2_trace, 1)
    check_exact(gpt2_trace, 1)
    check_top_keys(gpt2_trace, 1)
    index, weight, _ = gpt2_trace.attention_rows(1, 0, 64, 8)
    for i in range(7):  # row i has i + 1 keys; the zero weights after it go to the smaller keys first
        assert sorted(index[0, i].tolist()) == list(range(8)) and np.all(weight[0, i, i + 1 :] == 0)


def test_llama_grouped_query(llama_trace) -> None:
    layers = llama_trace.stack().layers
    assert layers is not None and layers[0].query.shape[0] == 8 and layers[0].key.shape[0] == 2
    check_tiles(llama_trace, 0)
    check_exact(llama_trace, 0)
    check_top_keys(llama_trace, 0)


def test_bert_padded_batch_of_one(bert_padded) -> None:
    mask = bert_padded.stack().layers[0].mask  # type: ignore[index]
    assert mask is not None and not bool(mask[0, 0, 530:].any())  # padding keys are masked
    check_tiles(bert_padded, 1)
    check_exact(bert_padded, 1)
    check_top_keys(bert_padded, 1, k=64)
    assert np.all(bert_padded.attention_row(1, 3, "query")[:, 530:] == 0)


def test_t5_relative_bias_every_stack(t5_trace) -> None:
    for stack in ("encoder", "decoder", "cross"):
        assert t5_trace.stack(stack).layers[0].bias is not None  # type: ignore[index]
        check_tiles(t5_trace, 1, stack)
        check_exact(t5_trace, 1, stack)
        check_top_keys(t5_trace, 1, stack, k=64)


def test_eager_fallback_answers_from_the_stored_weights(eager_trace) -> None:
    assert eager_trace.stack().layers is None and eager_trace.stack().eager is not None
    check_tiles(eager_trace, 1)
    check_exact(eager_trace, 1)
    check_top_keys(eager_trace, 1)


def test_fully_masked_query_rows_are_nan_as_in_attention(tokenizer) -> None:
    """Left padding in a causal model: the padding queries see no key at all. attention() gives NaN
    rows there; every level-of-detail answer is NaN for them too, and exact elsewhere."""
    batch = dict(tokenizer("the cat sat on the mat and then it slept", return_tensors="pt"))
    ids, n = batch.pop("input_ids"), 4
    ids = torch.cat([torch.zeros(1, n, dtype=ids.dtype), ids], 1)
    batch["attention_mask"] = torch.cat([torch.zeros(1, n, dtype=torch.long), batch["attention_mask"]], 1)
    enc = EncodedText(input_ids=ids, extra=batch, tokens=[str(i) for i in ids[0].tolist()],
                      special=[False] * ids.shape[1])
    tr = trace_encoded(llama(256), enc)
    full = tr.attention(0)
    assert np.isnan(full[:, :n]).all() and not np.isnan(full[:, n:]).any()
    tile = tr.attention_tile(0, None, "max", 1, 0, 0, per_head=True)
    np.testing.assert_allclose(tile, full, rtol=2e-3, atol=1e-6)  # NaN where attention() is NaN
    assert np.isnan(tr.attention_tile(0, None, "max", 2, 0, 0)[: n // 2]).all()
    assert np.isnan(tr.attention_row(0, 1, "query")).all() and np.isnan(tr.attention_cell(0, 2, 0)).all()
    _, weight, mass = tr.attention_rows(0, 0, 64, 4)
    assert np.isnan(weight[:, :n]).all() and np.isnan(mass[:, :n]).all() and not np.isnan(weight[:, n:]).any()
    np.testing.assert_allclose(tr.attention_row(0, 0, "key")[:, n:], full[:, n:, 0], **EXACT)


def test_summary_is_computed_once_and_kept(gpt2_trace) -> None:
    first = gpt2_trace.attention_summary(0)
    gpt2_trace.attention(0), gpt2_trace.attention(1)  # the full-layer cache keeps 2 layers; summaries stay
    assert gpt2_trace.attention_summary(0) is first
    gpt2_trace.summarize()
    assert set(gpt2_trace._lod) == {("self", 0), ("self", 1)}
