"""Level-of-detail attention requests (the wire of issue #12): heatmap tiles, head-view top keys,
one exact row or column, one exact cell. Each request's fields are checked (a bad one names the
field and its range), give the reply's key, and the work that builds its arrays.

Keys: ``attention_tile:<stack>:<layer>:<pool>:<block>:<row>:<col>:<heads>`` (``all`` or ``0,3,7``),
``attention_tile_heads:<stack>:<layer>:<pool>:<block>:<row>:<col>``,
``attention_rows:<stack>:<layer>:<start>:<count>:<k>``, ``attention_row:<stack>:<layer>:<side>:<index>``,
``attention_cell:<stack>:<layer>:<row>:<col>``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attnlens.analysis.attention_lod import TILE
from attnlens.capture.trace import Trace
from attnlens.widget.payload import encode_array

Answer = tuple[dict[str, dict[str, Any]], dict[str, Any]]
Parsed = tuple[str, Callable[[], Answer]]

ROWS_WINDOW = 64  # attention_rows windows start at multiples of this
MAX_ROWS = 256
MAX_K = 64
MAX_BLOCK = 1 << 30


def _int(request: dict[str, Any], name: str, low: int, high: int) -> int:
    """An int field in [low, high] (inclusive), else a ValueError naming the field and the range."""
    value = request.get(name)
    if type(value) is not int or not low <= value <= high:
        raise ValueError(f"{name} {value!r} is out of range: it must be an int from {low} to {high}")
    return value


def _stack_layer(trace: Trace, request: dict[str, Any]) -> tuple[str, int]:
    stack = request.get("stack") or trace.default_stack
    if not isinstance(stack, str) or stack not in trace.stacks:
        raise ValueError(f"no attention stack {stack!r} in this trace; it has {list(trace.stacks)}")
    return stack, _int(request, "layer", 0, trace.stack(stack).n_layers - 1)


def _choice(request: dict[str, Any], name: str, options: tuple[str, ...]) -> str:
    value = request.get(name)
    if value not in options:
        raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")
    return str(value)


def _tile_fields(trace: Trace, request: dict[str, Any], what: str) -> tuple[str, int, str, int, int, int, str]:
    stack, layer = _stack_layer(trace, request)
    pool = _choice(request, "pool", ("max", "mean"))
    block = _int(request, "block", 1, MAX_BLOCK)
    if block & (block - 1):
        raise ValueError(f"block {block} must be a power of two (tokens per cell side)")
    source = trace.layer_lod(layer, stack).source
    span = TILE * block
    row = _int(request, "row", 0, -(-source.n_queries // span) - 1)
    col = _int(request, "col", 0, -(-source.n_keys // span) - 1)
    return stack, layer, pool, block, row, col, f"{what}:{stack}:{layer}:{pool}:{block}:{row}:{col}"


def _tile_data(trace: Trace, stack: str, layer: int, block: int, row: int, col: int) -> dict[str, Any]:
    r0, r1, c0, c1 = trace.layer_lod(layer, stack).tile_bounds(block, row, col)
    return {"block": block, "row": row, "col": col, "rows": [r0, r1], "cols": [c0, c1]}


def _heads(trace: Trace, request: dict[str, Any], stack: str) -> list[int] | None:
    n = trace.stack(stack).n_heads
    heads = request.get("heads")
    if not isinstance(heads, list) or not heads or any(type(h) is not int or not 0 <= h < n for h in heads):
        raise ValueError(f"heads must be a non-empty list of head indices from 0 to {n - 1}, got {heads!r}")
    if heads != sorted(set(heads)):
        raise ValueError(f"heads must be sorted and unique, got {heads!r}")
    return None if len(heads) == n else heads


def attention_tile(trace: Trace, request: dict[str, Any]) -> Parsed:
    stack, layer, pool, block, row, col, key = _tile_fields(trace, request, "attention_tile")
    heads = _heads(trace, request, stack)
    key += ":" + ("all" if heads is None else ",".join(map(str, heads)))

    def work() -> Answer:
        tile = trace.attention_tile(layer, heads, pool, block, row, col, stack=stack)
        return {"tile": encode_array(tile, "float16")}, _tile_data(trace, stack, layer, block, row, col)

    return key, work


def attention_tile_heads(trace: Trace, request: dict[str, Any]) -> Parsed:
    stack, layer, pool, block, row, col, key = _tile_fields(trace, request, "attention_tile_heads")

    def work() -> Answer:
        tiles = trace.attention_tile(layer, None, pool, block, row, col, stack=stack, per_head=True)
        return {"tiles": encode_array(tiles, "float16")}, _tile_data(trace, stack, layer, block, row, col)

    return key, work


def attention_rows(trace: Trace, request: dict[str, Any]) -> Parsed:
    stack, layer = _stack_layer(trace, request)
    n = trace.layer_lod(layer, stack).source.n_queries
    start = _int(request, "start", 0, n - 1)
    if start % ROWS_WINDOW:
        raise ValueError(f"start {start} must be a multiple of {ROWS_WINDOW} (rows come in aligned windows)")
    count = _int(request, "count", 1, MAX_ROWS)
    k = _int(request, "k", 1, MAX_K)

    def work() -> Answer:
        index, weight, mass = trace.attention_rows(layer, start, count, k, stack=stack)
        arrays = {"index": encode_array(index, "uint32"), "weight": encode_array(weight, "float32"),
                  "mass": encode_array(mass, "float32")}
        return arrays, {"start": start, "rows": int(index.shape[1]), "k": int(index.shape[2])}

    return f"attention_rows:{stack}:{layer}:{start}:{count}:{k}", work


def attention_row(trace: Trace, request: dict[str, Any]) -> Parsed:
    stack, layer = _stack_layer(trace, request)
    side = _choice(request, "side", ("query", "key"))
    source = trace.layer_lod(layer, stack).source
    index = _int(request, "index", 0, (source.n_queries if side == "query" else source.n_keys) - 1)

    def work() -> Answer:
        return {"weights": encode_array(trace.attention_row(layer, index, side, stack=stack), "float32")}, {}

    return f"attention_row:{stack}:{layer}:{side}:{index}", work


def attention_cell(trace: Trace, request: dict[str, Any]) -> Parsed:
    stack, layer = _stack_layer(trace, request)
    source = trace.layer_lod(layer, stack).source
    row = _int(request, "row", 0, source.n_queries - 1)
    col = _int(request, "col", 0, source.n_keys - 1)

    def work() -> Answer:
        return {"weights": encode_array(trace.attention_cell(layer, row, col, stack=stack), "float32")}, {}

    return f"attention_cell:{stack}:{layer}:{row}:{col}", work


LOD_REQUESTS: dict[str, Callable[[Trace, dict[str, Any]], Parsed]] = {
    "attention_tile": attention_tile,
    "attention_tile_heads": attention_tile_heads,
    "attention_rows": attention_rows,
    "attention_row": attention_row,
    "attention_cell": attention_cell,
}
"""what → (trace, request) → (key, work): requests answered from the layer's summary and q/k."""
