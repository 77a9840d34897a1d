"""Saved pages hold the head view's level-of-detail attention within a byte budget (lod_export)."""

from __future__ import annotations

import base64
import math
import zlib
from typing import Any

import numpy as np
import pytest

from attnlens.widget.export import encode_reply
from attnlens.widget.lod_export import layer_order, overview_block, rows_requests, within_budget


def test_overview_block_is_the_smallest_level_that_fits_one_tile() -> None:
    for nq, nk in [(5, 5), (512, 512), (513, 40), (4096, 4096), (32768, 100), (3000, 9000)]:
        b = overview_block(nq, nk)
        assert b & (b - 1) == 0
        assert math.ceil(nq / b) <= 512 and math.ceil(nk / b) <= 512
        assert b == 1 or math.ceil(nq / (b // 2)) > 512 or math.ceil(nk / (b // 2)) > 512


def test_layers_nearest_the_selected_one_come_first() -> None:
    assert layer_order(6, 2) == [2, 3, 1, 4, 0, 5]
    assert layer_order(3, 0) == [0, 1, 2]
    assert layer_order(3, 9) == [2, 1, 0]


def test_rows_windows_are_the_pages_aligned_windows() -> None:
    reqs = rows_requests("self", 3, 130)
    assert [(r["start"], r["count"], r["k"]) for r in reqs] == [(0, 64, 8), (64, 64, 8), (128, 64, 8)]


def _reply(nbytes: int, seed: int) -> dict[str, Any]:
    data = np.random.default_rng(seed).integers(0, 256, nbytes, dtype=np.uint8).tobytes()  # incompressible
    return {"kind": "reply", "arrays": {"a": {"dtype": "uint8", "shape": [nbytes], "buffer": data}}, "data": {}}


def test_budget_counts_the_compressed_base64_bytes_and_skips_what_does_not_fit() -> None:
    sizes = {("rows", 0): 4000, ("rows", 1): 4000, ("max", 0): 9000, ("max", 1): 1000}
    units = [(tier, layer, lambda t=tier, n=layer: [{"t": t, "l": n}]) for tier, layer in sizes]

    def build(req: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return f"{req['t']}:{req['l']}", encode_reply(_reply(sizes[(req["t"], req["l"])], req["l"]))

    replies, held, used = within_budget(iter(units), 13_000, build)
    assert held == {"rows": [0, 1], "max": [1]}  # max 0 (12 kB as base64) would not fit; max 1 still does
    assert sorted(replies) == ["max:1", "rows:0", "rows:1"]
    assert used == sum(len(s["buffer"]["base64"]) for r in replies.values() for s in r["arrays"].values())
    assert 12_000 < used <= 13_000  # 4,000 random bytes are 5,336 as base64
    # compressible data is measured compressed
    flat = {"a": {"dtype": "uint8", "shape": [10**5], "buffer": bytes(10**5)}}
    zeros = encode_reply({"kind": "reply", "arrays": flat, "data": {}})
    spec = zeros["arrays"]["a"]["buffer"]
    assert spec["encoding"] == "deflate" and len(spec["base64"]) < 1000
    assert zlib.decompress(base64.b64decode(spec["base64"])) == bytes(10**5)


def test_a_negative_budget_is_refused() -> None:
    from attnlens.widget.lod_export import lod_replies

    with pytest.raises(ValueError, match="budget_mb"):
        lod_replies(None, -1, encode_reply)  # type: ignore[arg-type]


def test_saved_rows_and_tiles_are_compact_and_decode_close_to_the_exact_values() -> None:
    from attnlens.widget.lod_export import compact
    from attnlens.widget.payload import decode_array, encode_array

    rng = np.random.default_rng(1)
    weight = np.sort(rng.dirichlet(np.ones(300), size=(12, 64)), axis=-1)[..., ::-1][..., :8].astype(np.float32)
    index = rng.integers(0, 4096, size=(12, 64, 8))
    rows = {"what": "attention_rows", "arrays": {
        "index": encode_array(index, "uint32"), "weight": encode_array(weight, "float32"),
        "mass": encode_array(weight.sum(-1), "float32"),
    }}
    small = compact(rows)["arrays"]
    assert [small[n]["dtype"] for n in ("index", "weight", "mass")] == ["uint16", "float16", "float16"]
    assert np.array_equal(decode_array(small["index"]), index)
    assert np.allclose(decode_array(small["weight"]), weight, rtol=1e-3, atol=1e-6)
    tiles = rng.random((12, 512, 512)).astype(np.float32)
    tiles[0, 0, 0] = 1.0
    held = {"what": "attention_tile_heads", "arrays": {"tiles": encode_array(tiles, "float16")}}
    t = compact(held)["arrays"]["tiles"]
    assert t["dtype"] == "uint8" and len(t["buffer"]) == tiles.size
    assert np.abs(decode_array(t) - tiles).max() <= 0.5 / 255 + 1e-3  # float16 then value/255
    wide = {"what": "attention_rows", "arrays": {"index": encode_array(np.array([70_000]), "uint32")}}
    assert compact(wide)["arrays"]["index"]["dtype"] == "uint32"  # more keys than uint16 holds


def test_plan_covers_every_row_window_and_the_overview_level_of_the_trace(bundled) -> None:
    import attnlens as al
    from attnlens.widget.lod_export import plan_units

    model, tok = bundled
    lens = al.Lens(al.trace(model, tok, "the cat sat on the mat because it was tired " * 14), layer=1)
    n = len(lens.trace.tokens)
    units = list(plan_units(lens, "self"))
    layers = lens.trace.n_layers
    order = layer_order(layers, 1)
    assert [(t, layer) for t, layer, _ in units[:4]] == [("rows", 1), ("max", 1), ("rows", order[1]), ("max", order[1])]
    assert sorted(layer for t, layer, _ in units if t == "rows") == list(range(layers))
    assert [t for t, _, _ in units].count("mean") == layers
    rows = next(make for t, layer, make in units if t == "rows")()
    assert [r["start"] for r in rows] == list(range(0, n, 64)) and all(r["count"] == 64 and r["k"] == 8 for r in rows)
    tile = next(make for t, _, make in units if t == "max")()[0]
    assert tile["block"] == overview_block(n, n) and (tile["row"], tile["col"]) == (0, 0)
