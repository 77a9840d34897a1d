"""Level-of-detail attention requests (the wire of issue #12): heatmap tiles, head-view top keys,
one exact row or column, one exact cell. Each request's fields are checked (a bad one names the
field and its range), give the reply's key, and the work that builds its arrays.

Keys: ``attention_tile:<stack>:<layer>:<pool>:<block>:<row>:<col>:<heads>`` (``all`` or ``0,3,7``),
``attention_tile_heads:<stack>:<layer>:<pool>:<block>:<row>:<col>``,
``attention_rows:<stack>:<layer>:<start>:<count>:<k>``, ``attention_row:<stack>:<layer>:<side>:<index>``,
``attention_cell:<stack>:<layer>:<row>:<col>``.
"""

from __future__ import annotations

from attnlens.analysis.attention_lod import TILE
from attnlens.capture.trace import Trace
from attnlens.widget.payload import encode_array
from attnlens.widget.registry import Answer, Fields, Parsed, RequestError, handles
from attnlens.widget.session import Session

ROWS_WINDOW = 64  # attention_rows windows start at multiples of this (the contract checks the rest)


def _below(name: str, value: int, limit: int) -> int:
    """A field the contract checked as an int, now against a bound that depends on the trace."""
    if value >= limit:
        raise RequestError(f"{name} {value} is out of range (0 to {limit - 1})")
    return value


def _tile_bounds(trace: Trace, f: Fields) -> tuple[int, int, int, int]:
    source = trace.layer_lod(f["layer"], f.stack).source
    span = TILE * f["block"]
    _below(f"tile row at block {f['block']}:", f["row"], -(-source.n_queries // span))
    _below(f"tile col at block {f['block']}:", f["col"], -(-source.n_keys // span))
    return trace.layer_lod(f["layer"], f.stack).tile_bounds(f["block"], f["row"], f["col"])


def _tile_data(f: Fields, bounds: tuple[int, int, int, int]) -> dict[str, object]:
    r0, r1, c0, c1 = bounds
    return {"block": f["block"], "row": f["row"], "col": f["col"], "rows": [r0, r1], "cols": [c0, c1]}


@handles("attention_tile")
def _attention_tile(trace: Trace, f: Fields, _session: Session) -> Parsed:
    bounds = _tile_bounds(trace, f)
    every = len(f["heads"]) == trace.stack(f.stack).n_heads
    heads = None if every else f["heads"]

    def work() -> Answer:
        tile = trace.attention_tile(f["layer"], heads, f["pool"], f["block"], f["row"], f["col"], stack=f.stack)
        return {"tile": encode_array(tile, "float16")}, _tile_data(f, bounds)

    return f.key(heads="all" if every else ",".join(map(str, f["heads"]))), work


@handles("attention_tile_heads")
def _attention_tile_heads(trace: Trace, f: Fields, _session: Session) -> Parsed:
    bounds = _tile_bounds(trace, f)

    def work() -> Answer:
        tiles = trace.attention_tile(f["layer"], None, f["pool"], f["block"], f["row"], f["col"], stack=f.stack,
                                     per_head=True)
        return {"tiles": encode_array(tiles, "float16")}, _tile_data(f, bounds)

    return f.key(), work


@handles("attention_rows")
def _attention_rows(trace: Trace, f: Fields, _session: Session) -> Parsed:
    _below("start", f["start"], trace.layer_lod(f["layer"], f.stack).source.n_queries)
    if f["start"] % ROWS_WINDOW:
        raise RequestError(f"start {f['start']} must be a multiple of {ROWS_WINDOW} (rows come in aligned windows)")

    def work() -> Answer:
        index, weight, mass = trace.attention_rows(f["layer"], f["start"], f["count"], f["k"], stack=f.stack)
        arrays = {"index": encode_array(index, "uint32"), "weight": encode_array(weight, "float32"),
                  "mass": encode_array(mass, "float32")}
        return arrays, {"start": f["start"], "rows": int(index.shape[1]), "k": int(index.shape[2])}

    return f.key(), work


@handles("attention_row")
def _attention_row(trace: Trace, f: Fields, _session: Session) -> Parsed:
    source = trace.layer_lod(f["layer"], f.stack).source
    _below("index", f["index"], source.n_queries if f["side"] == "query" else source.n_keys)

    def work() -> Answer:
        weights = trace.attention_row(f["layer"], f["index"], f["side"], stack=f.stack)
        return {"weights": encode_array(weights, "float32")}, {}

    return f.key(), work


@handles("attention_cell")
def _attention_cell(trace: Trace, f: Fields, _session: Session) -> Parsed:
    source = trace.layer_lod(f["layer"], f.stack).source
    _below("row", f["row"], source.n_queries)
    _below("col", f["col"], source.n_keys)

    def work() -> Answer:
        weights = trace.attention_cell(f["layer"], f["row"], f["col"], stack=f.stack)
        return {"weights": encode_array(weights, "float32")}, {}

    return f.key(), work
