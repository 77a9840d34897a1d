"""Level-of-detail attention on the wire (docs: /work/briefs/lod-wire.md, issue #12): each request
kind round-trips through ``protocol.answer`` as the page decodes it and equals the Trace methods;
bad fields get an error reply naming the field; thumbnails come from the pyramid; the summary holds
no heads × N × N array and weighs what we predict."""

from __future__ import annotations

import numpy as np
import pytest

import attnlens as al
from attnlens.analysis.attention_lod import BUDGET, LayerLod, stored_block
from attnlens.analysis.attention_source import QKSource
from attnlens.widget.protocol import answer
from families import text_of
from lod_reference import exact_attention, gpt2, llama, pooled
from wire import reply_arrays


@pytest.fixture(scope="module")
def trace(tokenizer) -> al.Trace:
    return al.trace(llama(1024), tokenizer, text_of(tokenizer, 600))  # 8 heads, 2 kv heads; finest block 2


def ask(trace: al.Trace, **fields) -> tuple[dict, dict[str, np.ndarray]]:
    reply, buffers = answer(trace, {"kind": "request", "stack": "self", "id": 3, **fields})
    return reply, reply_arrays(reply, buffers)


def test_tile_replies(trace) -> None:
    reply, out = ask(trace, what="attention_tile", layer=1, heads=[0, 5], pool="mean", block=1, row=1, col=0)
    assert reply["key"] == "attention_tile:self:1:mean:1:1:0:0,5" and reply["id"] == 3
    assert reply["data"] == {"block": 1, "row": 1, "col": 0, "rows": [512, 600], "cols": [0, 512]}
    expected = trace.attention_tile(1, [0, 5], "mean", 1, 1, 0)
    assert out["tile"].shape == (88, 512)
    np.testing.assert_allclose(out["tile"], expected, rtol=1e-3, atol=1e-7)  # float16 on the wire
    reply, out = ask(trace, what="attention_tile", layer=1, heads=list(range(8)), pool="max", block=2, row=0, col=0)
    assert reply["key"] == "attention_tile:self:1:max:2:0:0:all"  # the overview: 300 × 300 cells
    assert out["tile"].shape == (300, 300)
    np.testing.assert_allclose(out["tile"], trace.attention_tile(1, None, "max", 2), rtol=1e-3, atol=1e-7)


def test_tile_heads_reply_averages_to_the_tile(trace) -> None:
    reply, out = ask(trace, what="attention_tile_heads", layer=0, pool="max", block=4, row=0, col=0)
    assert reply["key"] == "attention_tile_heads:self:0:max:4:0:0"
    assert out["tiles"].shape == (8, 150, 150)
    _, one = ask(trace, what="attention_tile", layer=0, heads=[1, 2, 7], pool="max", block=4, row=0, col=0)
    np.testing.assert_allclose(out["tiles"][[1, 2, 7]].mean(0), one["tile"], rtol=2e-3, atol=1e-6)


def test_rows_row_and_cell_replies(trace) -> None:
    reply, out = ask(trace, what="attention_rows", layer=1, start=576, count=64, k=8)
    assert reply["key"] == "attention_rows:self:1:576:64:8" and reply["data"] == {"start": 576, "rows": 24, "k": 8}
    index, weight, mass = trace.attention_rows(1, 576, 64, 8)
    np.testing.assert_array_equal(out["index"], index)
    np.testing.assert_array_equal(out["weight"], weight)
    np.testing.assert_array_equal(out["mass"], mass)
    for side, n in (("query", 600), ("key", 600)):
        reply, out = ask(trace, what="attention_row", layer=1, index=17, side=side)
        assert reply["key"] == f"attention_row:self:1:{side}:17" and out["weights"].shape == (8, n)
        np.testing.assert_array_equal(out["weights"], trace.attention_row(1, 17, side))
    reply, out = ask(trace, what="attention_cell", layer=1, row=599, col=3)
    assert reply["key"] == "attention_cell:self:1:599:3"
    np.testing.assert_allclose(out["weights"], exact_attention(trace.stack().layers[1])[:, 599, 3], rtol=2e-5)


BAD = [
    ({"what": "attention_tile", "layer": 9}, "layer 9 is out of range"),
    ({"what": "attention_tile", "layer": 0, "heads": [3, 1], "pool": "max", "block": 1, "row": 0, "col": 0},
     "heads must be sorted and unique"),
    ({"what": "attention_tile", "layer": 0, "heads": [8], "pool": "max", "block": 1, "row": 0, "col": 0},
     "heads must be a non-empty list of head indices from 0 to 7"),
    ({"what": "attention_tile", "layer": 0, "heads": [], "pool": "max", "block": 1, "row": 0, "col": 0}, "heads"),
    ({"what": "attention_tile", "layer": 0, "heads": [0], "pool": "sum", "block": 1, "row": 0, "col": 0},
     "pool must be one of ['max', 'mean']"),
    ({"what": "attention_tile", "layer": 0, "heads": [0], "pool": "max", "block": 3, "row": 0, "col": 0},
     "block 3 must be a power of two"),
    ({"what": "attention_tile", "layer": 0, "heads": [0], "pool": "max", "block": 1, "row": 2, "col": 0},
     "tile row at block 1: 2 is out of range (0 to 1)"),
    ({"what": "attention_tile_heads", "layer": 0, "pool": "max", "block": 2, "row": 0, "col": 1},
     "tile col at block 2: 1 is out of range (0 to 0)"),
    ({"what": "attention_rows", "layer": 0, "start": 10, "count": 64, "k": 8}, "must be a multiple of 64"),
    ({"what": "attention_rows", "layer": 0, "start": 640, "count": 64, "k": 8}, "start 640 is out of range"),
    ({"what": "attention_rows", "layer": 0, "start": 0, "count": 300, "k": 8}, "count 300 is out of range"),
    ({"what": "attention_rows", "layer": 0, "start": 0, "count": 64, "k": 65}, "k 65 is out of range"),
    ({"what": "attention_row", "layer": 0, "index": 3, "side": "both"}, "side must be one of ['query', 'key']"),
    ({"what": "attention_row", "layer": 0, "index": 600, "side": "key"}, "index 600 is out of range"),
    ({"what": "attention_cell", "layer": 0, "row": 1.5, "col": 0}, "row 1.5 is out of range"),
    ({"what": "attention_cell", "layer": 0, "row": 0, "col": -1}, "col -1 is out of range"),
]


@pytest.mark.parametrize(("fields", "message"), BAD)
def test_bad_fields_get_an_error_naming_them(trace, fields, message) -> None:
    reply, buffers = answer(trace, {"kind": "request", "stack": "self", "id": 4, **fields})
    assert reply["kind"] == "error" and reply["id"] == 4 and buffers == []
    assert message in reply["message"]


def test_trace_methods_reject_bad_arguments(trace) -> None:
    with pytest.raises(ValueError, match="block must be a power of two ≥ 1, got 6"):
        trace.attention_tile(0, block=6)
    with pytest.raises(ValueError, match="tile row at block 1 5 is out of range"):
        trace.attention_tile(0, row=5)
    with pytest.raises(ValueError, match="pool must be 'max' or 'mean'"):
        trace.attention_tile(0, pool="median")
    with pytest.raises(ValueError, match="heads must be sorted and unique"):
        trace.attention_tile(0, heads=[2, 2])
    with pytest.raises(ValueError, match="head 8 is out of range"):
        trace.attention_tile(0, heads=[8])
    with pytest.raises(ValueError, match="side must be 'query' or 'key'"):
        trace.attention_row(0, 1, "row")
    with pytest.raises(ValueError, match="count and k must be ≥ 1"):
        trace.attention_rows(0, 0, 64, 0)
    with pytest.raises(TypeError, match=r"row \(a query token\) must be an int, got str"):
        trace.attention_cell(0, "1", 2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="layer 4 is out of range"):
        trace.attention_summary(4)


def test_thumbnails_are_the_exact_pooled_max(trace) -> None:
    _, out = ask(trace, what="thumbnails")
    block = stored_block(600, 600, 32)
    assert block == 32 and out["thumbnails"].shape == (2, 8, 19, 19)
    expected = pooled(exact_attention(trace.stack().layers[1]), block, "max")
    expected /= expected.max(axis=(-2, -1), keepdims=True)
    np.testing.assert_allclose(out["thumbnails"][1], expected, atol=0.5 / 255 + 1e-3)


class Recording(QKSource):
    """q/k source that records the shape of every score block it computes."""

    shapes: list[tuple[int, ...]]

    def scores(self, r0, r1, c0, c1, heads):
        out = super().scores(r0, r1, c0, c1, heads)
        self.shapes.append(tuple(out.shape))
        return out


def test_summary_chunks_stay_in_budget_and_weigh_what_we_predict(tokenizer) -> None:
    n, heads = 4096, 2
    tr = al.trace(gpt2(n, heads=heads, width=16, layers=1), tokenizer, text_of(tokenizer, n))
    source = Recording(tr.stack().layers[0])  # type: ignore[index]
    source.shapes = []
    summary = LayerLod(source, BUDGET).summary
    largest = max(np.prod(s) * 4 for s in source.shapes)
    assert largest <= BUDGET < heads * n * n * 4  # never the whole heads × N × N
    assert sum(np.prod(s) for s in source.shapes) < 0.8 * heads * n * n  # causal: later keys skipped
    # levels 8 (512²), 16, …, 4096 (1²); max and mean float16; log-sum-exp float32 per head and row
    predicted = sum(heads * (n // b) ** 2 * 2 * 2 for b in (8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096))
    predicted += heads * n * 4
    assert summary.finest == 8 and sorted(summary.levels) == [8 << i for i in range(10)]
    assert summary.nbytes == predicted
    # answers on demand stay within budget too: a full-resolution tile computes only its own block
    source.shapes = []
    lod = LayerLod(source, BUDGET)
    lod._summary = summary
    lod.tile([1], "max", 1, 7, 3)
    assert sum(np.prod(s) for s in source.shapes) == 512 * 512
