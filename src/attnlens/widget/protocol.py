"""Requests from the page for data it does not have yet, and their binary replies.

page → kernel: ``{kind: "request", what, stack, layer?, neuron?, id}``
kernel → page: ``{kind: "reply", what, key, id, arrays: {name: {dtype, shape, buffer}}, data}`` where
``buffer`` is the index into the message's binary buffers; or ``{kind: "error", key, id, message}``.
The same replies, keyed by ``request_key``, are embedded in a static export so the page needs no
kernel for what was saved.

Large replies go in chunks (``chunked``): Jupyter server closes a websocket on a message over 10 MiB,
and one layer of attention at 2,048 tokens and 12 heads is 50 MB as uint8. A reply whose buffers
total more than ``CHUNK_BYTES`` (8 MiB) is sent as ``count`` messages, in order,
``{kind: "chunk", id, key, index, count, pieces: [{buffer, offset}], reply?, sizes?}``: message
``index``'s binary buffer ``j`` is the bytes of the reply's buffer ``pieces[j].buffer`` starting at
``pieces[j].offset`` (large buffers are split across chunks). Chunk 0 also carries ``reply`` (the
reply message itself, whose ``buffer`` indices name the reassembled buffers) and ``sizes`` (each
reassembled buffer's byte length). The page reassembles them in order; a chunk missing, out of order
or past the sizes is an error shown in the page, and so is a reply whose chunks stop arriving.
The page never sends more than 1 MiB in one message (it sends only small requests).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attnlens.capture.trace import Trace
from attnlens.widget.views.head import attention_arrays
from attnlens.widget.views.logit_lens import logit_lens_arrays
from attnlens.widget.views.mlp import mlp_top_arrays, neuron_arrays
from attnlens.widget.views.model import thumbnail_arrays
from attnlens.widget.views.neuron import qk_arrays

Arrays = dict[str, dict[str, Any]]
Handler = Callable[[Trace, str, int, int], tuple[Arrays, dict[str, Any]]]

# what → (handler, needs a layer, needs a neuron)
HANDLERS: dict[str, tuple[Handler, bool, bool]] = {
    "attention": (lambda tr, st, layer, _n: (attention_arrays(tr, st, layer), {}), True, False),
    "thumbnails": (lambda tr, st, _l, _n: (thumbnail_arrays(tr, st), {}), False, False),
    "qk": (lambda tr, st, layer, _n: qk_arrays(tr, st, layer), True, False),
    "logit_lens": (lambda tr, _st, _l, _n: logit_lens_arrays(tr), False, False),
    "mlp_top": (lambda tr, st, layer, _n: mlp_top_arrays(tr, st, layer), True, False),
    "neuron": (lambda tr, st, layer, n: (neuron_arrays(tr, st, layer, n), {}), True, True),
}


CHUNK_BYTES = 8 << 20
"""Most binary bytes in one kernel → page message (Jupyter server's websocket limit is 10 MiB)."""
SEED_BYTES = 4 << 20
"""Largest reply seeded into the ``_replies`` trait at display (a state message is not chunked)."""


class RequestError(ValueError):
    """A request the trace cannot answer; its message is shown in the page."""


def request_key(what: str, stack: str, layer: int | None = None, neuron: int | None = None) -> str:
    """``attention:self:3``, ``neuron:self:2:117``, ``logit_lens:self``: one name per answer."""
    parts = [what, stack]
    if layer is not None:
        parts.append(str(layer))
    if neuron is not None:
        parts.append(str(neuron))
    return ":".join(parts)


def _int_field(request: dict[str, Any], name: str, limit: int) -> int:
    value = request.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < limit:
        raise RequestError(f"{name} {value!r} is out of range (0 to {limit - 1})")
    return value


def parse(trace: Trace, request: dict[str, Any]) -> tuple[str, str, int | None, int | None]:
    """(what, stack, layer, neuron) of a well-formed request, else RequestError."""
    what = request.get("what")
    if what not in HANDLERS:
        raise RequestError(f"unknown request {what!r}; the kernel answers {sorted(HANDLERS)}")
    stack = request.get("stack") or trace.default_stack
    if stack not in trace.stacks:
        raise RequestError(f"no attention stack {stack!r} in this trace; it has {list(trace.stacks)}")
    _, needs_layer, needs_neuron = HANDLERS[what]
    layer = _int_field(request, "layer", trace.stack(stack).n_layers) if needs_layer else None
    neuron = _int_field(request, "neuron", 1 << 31) if needs_neuron else None
    return what, stack, layer, neuron


def answer(trace: Trace, request: dict[str, Any]) -> tuple[dict[str, Any], list[bytes]]:
    """The reply message and its buffers; an error reply (never an exception) for a bad request."""
    key = None
    try:
        what, stack, layer, neuron = parse(trace, request)
        key = request_key(what, stack, layer, neuron)
        handler = HANDLERS[what][0]
        arrays, data = handler(trace, stack, layer or 0, neuron or 0)
    except ValueError as err:  # RequestError, or the trace saying what it lacks (no MLP, no unembedding)
        return {"kind": "error", "key": key, "id": request.get("id"), "message": str(err)}, []
    buffers: list[bytes] = []
    meta: dict[str, dict[str, Any]] = {}
    for name, payload in arrays.items():
        meta[name] = {"dtype": payload["dtype"], "shape": payload["shape"], "buffer": len(buffers)}
        buffers.append(payload["buffer"])
    reply = {"kind": "reply", "what": what, "key": key, "id": request.get("id"), "arrays": meta, "data": data}
    return reply, buffers


def inline_reply(trace: Trace, request: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(key, reply with each array's bytes in place of its buffer index): how replies sit in the
    ``_replies`` trait (ipywidgets turns the bytes into binary buffers) and in a static export."""
    reply, buffers = answer(trace, request)
    if reply["kind"] == "error":
        raise ValueError(reply["message"])
    for spec in reply["arrays"].values():
        spec["buffer"] = buffers[spec["buffer"]]
    return reply["key"], reply


def buffers_nbytes(buffers: list[Any]) -> int:
    """Total bytes of a message's binary buffers."""
    return sum(memoryview(b).nbytes for b in buffers)


def inline_nbytes(reply: dict[str, Any]) -> int:
    """Total bytes of the arrays of an ``inline_reply``."""
    return buffers_nbytes([spec["buffer"] for spec in reply["arrays"].values()])


def chunked(
    reply: dict[str, Any], buffers: list[Any], limit: int = CHUNK_BYTES
) -> list[tuple[dict[str, Any], list[memoryview]]]:
    """The messages that carry ``reply``: itself when its buffers fit in ``limit`` bytes, else chunks
    of at most ``limit`` buffer bytes each (the format is in this module's docstring). No copies."""
    if limit <= 0:
        raise ValueError(f"chunk limit {limit} must be positive")
    views = [memoryview(b).cast("B") for b in buffers]
    if sum(v.nbytes for v in views) <= limit:
        return [(reply, views)]
    chunks: list[list[tuple[int, int, memoryview]]] = [[]]
    room = limit
    for i, view in enumerate(views):
        offset = 0
        while offset < view.nbytes:
            if room == 0:
                chunks.append([])
                room = limit
            n = min(room, view.nbytes - offset)
            chunks[-1].append((i, offset, view[offset : offset + n]))
            offset += n
            room -= n
    messages: list[tuple[dict[str, Any], list[memoryview]]] = []
    for index, pieces in enumerate(chunks):
        msg: dict[str, Any] = {
            "kind": "chunk",
            "id": reply.get("id"),
            "key": reply["key"],
            "index": index,
            "count": len(chunks),
            "pieces": [{"buffer": i, "offset": off} for i, off, _ in pieces],
        }
        if index == 0:
            msg["reply"] = reply
            msg["sizes"] = [v.nbytes for v in views]
        messages.append((msg, [piece for _, _, piece in pieces]))
    return messages
