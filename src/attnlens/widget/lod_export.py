"""The head view's level-of-detail attention in a saved page, within a byte budget (issue #12).

Instead of every layer's full attention (H·N² values a layer), a saved page holds per layer:
the ``attention_rows`` windows of every row (each row's 8 strongest keys per head, the page's
64-row windows), the overview level as ``attention_tile_heads`` (every head's max-pooled plane, so
the page can average any head subset: ``js/src/static-tiles.ts``), and the mean-pooled overview
when the budget allows. Layers are added nearest the selected layer first (rows and max tile, then
the mean tiles), each only while the compressed, base64 bytes stay within the budget.
What the page holds is written as the reply ``lod_saved:<stack>`` (no arrays), which the page reads
to say, before anyone clicks, which layers it has and that zooming needs a running kernel.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from attnlens.widget.payload import WireDtype, decode_array, encode_array
from attnlens.widget.protocol import inline_reply, request_key

if TYPE_CHECKING:
    from attnlens.widget.wire import LensState as Lens

DEFAULT_BUDGET_MB = 25.0
ROWS_WINDOW = 64  # the page asks in aligned windows of 64 rows …
ROWS_K = 8  # … with each row's 8 strongest keys per head
TILE = 512


def overview_block(nq: int, nk: int) -> int:
    """The smallest power of two b with ceil(nq / b) ≤ TILE and ceil(nk / b) ≤ TILE."""
    block = 1
    while math.ceil(nq / block) > TILE or math.ceil(nk / block) > TILE:
        block *= 2
    return block


def layer_order(n_layers: int, first: int) -> list[int]:
    """Layers nearest ``first`` first (first, first + 1, first - 1, first + 2, …)."""
    first = min(max(first, 0), n_layers - 1)
    return sorted(range(n_layers), key=lambda layer: (abs(layer - first), layer < first))


def rows_requests(stack: str, layer: int, nq: int) -> list[dict[str, Any]]:
    return [
        {"what": "attention_rows", "stack": stack, "layer": layer, "start": start, "count": ROWS_WINDOW, "k": ROWS_K}
        for start in range(0, nq, ROWS_WINDOW)
    ]


def tile_request(stack: str, layer: int, pool: str, block: int) -> dict[str, Any]:
    return {
        "what": "attention_tile_heads", "stack": stack, "layer": layer,
        "pool": pool, "block": block, "row": 0, "col": 0,
    }


COMPACT: dict[str, dict[str, WireDtype]] = {
    "attention_rows": {"index": "uint16", "weight": "float16", "mass": "float16"},
    "attention_tile_heads": {"tiles": "uint8"},
}
"""How a saved page stores these replies (the page decodes every wire dtype alike): half the bytes of the
kernel's exact float32 rows (float16 keeps 3 digits: enough to draw a line), and overview tiles as
value/255 (the colour scale has 256 steps; the exact value under the mouse needs a kernel anyway)."""


def compact(reply: dict[str, Any]) -> dict[str, Any]:
    """An inline reply with its arrays in the saved page's dtypes (``COMPACT``), in place; returns it."""
    for name, dtype in COMPACT.get(reply.get("what", ""), {}).items():
        spec = reply["arrays"].get(name)
        if spec is None:
            continue
        values = decode_array(spec)
        if dtype == "uint16" and values.size and values.max() > 0xFFFF:
            continue  # more keys than uint16 holds: keep uint32
        if dtype == "uint8":
            values = np.clip(values, 0.0, 1.0)  # attention; float16 rounding may pass 1 by a hair
        reply["arrays"][name] = encode_array(values, dtype)
    return reply


def encoded_bytes(reply: dict[str, Any]) -> int:
    """Bytes a reply adds to the page: its buffers' base64 text (compressed ones compressed)."""
    return sum(len(spec["buffer"]["base64"]) for spec in reply["arrays"].values())


Unit = tuple[str, int, Callable[[], list[dict[str, Any]]]]
"""(tier, layer, the requests that make it up): added to the page whole or not at all."""


def plan_units(lens: Lens, stack: str) -> Iterator[Unit]:
    """What a page may hold of ``stack``, most useful first: layer by layer, nearest the selected layer
    first, its rows and its max-pooled overview; then the mean-pooled overviews. Measured at 4,096
    tokens × 12 heads (random GPT-2): rows 1.85 MB and max tile 1.07 MB a layer, so 25 MB holds 8 of
    12 layers whole (the mean tiles, 0.15 MB each, then fill part of the rest)."""
    trace = lens.trace
    st = trace.stack(stack)
    nq, nk = len(trace.side_tokens(st.queries)), len(trace.side_tokens(st.keys))
    block = overview_block(nq, nk)
    order = layer_order(st.n_layers, lens.layer if stack == lens.stack else 0)
    for layer in order:
        yield "rows", layer, lambda layer=layer: rows_requests(stack, layer, nq)  # type: ignore[misc]
        yield "max", layer, lambda layer=layer: [tile_request(stack, layer, "max", block)]  # type: ignore[misc]
    for layer in order:
        yield "mean", layer, lambda layer=layer: [tile_request(stack, layer, "mean", block)]  # type: ignore[misc]


def within_budget(
    units: Iterator[Unit], budget: int, build: Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]
) -> tuple[dict[str, dict[str, Any]], dict[str, list[int]], int]:
    """Add whole units while the page stays within ``budget`` bytes; a unit that does not fit is left
    out (later, smaller ones may still fit). Returns the replies, the layers held per tier, the bytes."""
    replies: dict[str, dict[str, Any]] = {}
    held: dict[str, list[int]] = {}
    used = 0
    for tier, layer, requests in units:
        built = [build(r) for r in requests()]
        size = sum(encoded_bytes(reply) for _, reply in built)
        if used + size > budget:
            continue
        used += size
        replies.update(built)
        held.setdefault(tier, []).append(layer)
    return replies, held, used


def lod_replies(
    lens: Lens, budget_mb: float, encode: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Every stack's level-of-detail replies within ``budget_mb`` (shared), plus each stack's
    ``lod_saved`` note. ``encode`` turns an inline reply's buffers into base64 text (export.py)."""
    if not budget_mb >= 0:
        raise ValueError(f"budget_mb must be a number ≥ 0, not {budget_mb!r}")
    budget = int(budget_mb * 1_000_000)
    out: dict[str, dict[str, Any]] = {}

    def build(request: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        key, reply = inline_reply(lens.trace, request)
        return key, encode(compact(reply))

    for stack in lens.trace.stacks:
        replies, held, used = within_budget(plan_units(lens, stack), budget, build)
        budget -= used
        out.update(replies)
        key = request_key("lod_saved", stack)
        data = {
            "rows_layers": sorted(held.get("rows", [])),
            "tile_layers": sorted(held.get("max", [])),
            "pools": [p for p in ("max", "mean") if held.get(p)],
            "budget_mb": budget_mb,
        }
        out[key] = {"kind": "reply", "what": "lod_saved", "key": key, "arrays": {}, "data": data}
    return out
