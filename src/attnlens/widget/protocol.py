"""Requests from the page for data it does not have yet, and their binary replies.

page → kernel: ``{kind: "request", what, stack, id, ...fields}`` where ``what`` is a request kind of
``contract.json`` and its fields are the ones the contract lists for it (checked in ``registry.py``).
kernel → page: ``{kind: "reply", what, key, id, arrays: {name: {dtype, shape, buffer}}, data}`` where
``buffer`` is the index into the message's binary buffers; or ``{kind: "error", key, id, message}``;
before a rerun, ``{kind: "working", key, id}`` so the page shows progress rather than "no kernel".
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

from typing import Any

import attnlens.widget.payloads  # noqa: F401  (registers every request handler)
from attnlens.capture.trace import Trace
from attnlens.widget.contract import CHUNK_BYTES, SEED_BYTES, reruns
from attnlens.widget.registry import HANDLERS, RequestError, key_part, request_key, validate
from attnlens.widget.session import Session

__all__ = [
    "CHUNK_BYTES", "HANDLERS", "SEED_BYTES", "RequestError", "answer", "chunked", "inline", "inline_reply",
    "key_part", "request_key",
]


def _reply(what: str, key: str, request: dict[str, Any], answer: tuple[dict[str, Any], dict[str, Any]]) -> tuple[
    dict[str, Any], list[bytes]
]:
    arrays, data = answer
    buffers: list[bytes] = []
    meta: dict[str, dict[str, Any]] = {}
    for name, payload in arrays.items():
        meta[name] = {"dtype": payload["dtype"], "shape": payload["shape"], "buffer": len(buffers)}
        buffers.append(payload["buffer"])
    reply = {"kind": "reply", "what": what, "key": key, "id": request.get("id"), "arrays": meta, "data": data}
    return reply, buffers


def answer(
    trace: Trace, request: dict[str, Any], session: Session | None = None
) -> tuple[dict[str, Any], list[bytes]]:
    """The reply message and its buffers; an error reply (never an exception) for a bad request.
    Replies of requests that rerun the model are kept in the session (for ``save_html``)."""
    key = None
    session = session or Session()
    try:
        fields = validate(trace, request, session)
        key, work = HANDLERS[fields.kind.name](trace, fields, session)
        if fields.kind.reruns and key in session.computed:
            kept, kept_buffers = session.computed[key]
            return {**kept, "id": request.get("id")}, kept_buffers
        reply, buffers = _reply(fields.kind.name, key, request, work())
    except ValueError as err:  # RequestError, or the trace saying what it lacks (no MLP, no unembedding)
        return {"kind": "error", "key": key, "id": request.get("id"), "message": str(err)}, []
    if reruns(fields.kind.name):
        session.remember(key, reply, buffers)
    return reply, buffers


def inline(reply: dict[str, Any], buffers: list[bytes]) -> dict[str, Any]:
    """A copy of ``reply`` with each array's bytes in place of its buffer index."""
    arrays = {name: {**spec, "buffer": buffers[spec["buffer"]]} for name, spec in reply["arrays"].items()}
    out = {**reply, "arrays": arrays}
    out.pop("id", None)
    return out


def inline_reply(trace: Trace, request: dict[str, Any], session: Session | None = None) -> tuple[str, dict[str, Any]]:
    """(key, reply with each array's bytes in place of its buffer index): how replies sit in the
    ``_replies`` trait (ipywidgets turns the bytes into binary buffers) and in a static export."""
    reply, buffers = answer(trace, request, session)
    if reply["kind"] == "error":
        raise ValueError(reply["message"])
    return reply["key"], inline(reply, buffers)


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
