"""Requests from the page for data it does not have yet, and their binary replies.

page → kernel: ``{kind: "request", what, stack, layer?, neuron?, id}``, plus for the requests that
rerun the model (``RERUNS``): ``attribution`` ``{method, position, target, contrast}`` and
``ablation`` ``{layer, heads: [[layer, head]], neurons: [[layer, neuron]], mode, position}``.
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

from collections.abc import Callable
from typing import Any

from attnlens.capture.trace import Trace
from attnlens.widget.session import Session
from attnlens.widget.payloads.ablation import ablation_arrays, ablation_spec
from attnlens.widget.payloads.attention_lod import LOD_REQUESTS
from attnlens.widget.payloads.attribution import attribution_arrays, matrix_arrays
from attnlens.widget.payloads.compare import compare_arrays, compare_attribution_arrays, rerun_text
from attnlens.widget.payloads.head import attention_arrays
from attnlens.widget.payloads.logit_lens import logit_lens_arrays
from attnlens.widget.payloads.mlp import mlp_top_arrays, neuron_arrays
from attnlens.widget.payloads.model import thumbnail_arrays
from attnlens.widget.payloads.neuron import qk_arrays

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


def key_part(text: str) -> str:
    """Free text (a target token) inside a key: ``%`` and ``:`` escaped (mirrored in replies.ts)."""
    return text.replace("%", "%25").replace(":", "%3A")


def request_key(
    what: str, stack: str, layer: int | None = None, neuron: int | None = None, extra: tuple[str, ...] = ()
) -> str:
    """``attention:self:3``, ``neuron:self:2:117``, ``logit_lens:self``: one name per answer."""
    parts = [what, stack]
    if layer is not None:
        parts.append(str(layer))
    if neuron is not None:
        parts.append(str(neuron))
    parts += [key_part(x) for x in extra]
    return ":".join(parts)


def _int_field(request: dict[str, Any], name: str, limit: int) -> int:
    value = request.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < limit:
        raise RequestError(f"{name} {value!r} is out of range (0 to {limit - 1})")
    return value


def _stack_field(trace: Trace, request: dict[str, Any]) -> str:
    stack = request.get("stack") or trace.default_stack
    if stack not in trace.stacks:
        raise RequestError(f"no attention stack {stack!r} in this trace; it has {list(trace.stacks)}")
    return str(stack)


def _text_field(request: dict[str, Any], name: str) -> str:
    value = request.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > 200:
        raise RequestError(f"{name} must be a token's text (at most 200 characters), got {str(value)[:40]!r}")
    return value


def _pairs_field(request: dict[str, Any], name: str) -> list[tuple[int, int]]:
    value = request.get(name) or []
    if not isinstance(value, list) or len(value) > 10_000:
        raise RequestError(f"{name} must be a list of [layer, index] pairs")
    pairs = []
    for pair in value:
        if not (isinstance(pair, list) and len(pair) == 2 and all(type(v) is int for v in pair)):
            raise RequestError(f"{name} must be a list of [layer, index] pairs, got {pair!r}")
        pairs.append((pair[0], pair[1]))
    return pairs


Answer = tuple[Arrays, dict[str, Any]]


def _attribution(trace: Trace, request: dict[str, Any], _session: Session) -> tuple[str, Callable[[], Answer]]:
    stack = _stack_field(trace, request)
    method = request.get("method")
    if not isinstance(method, str):
        raise RequestError("an attribution request needs a method name")
    position = _int_field(request, "position", 1 << 31)
    target, contrast = _text_field(request, "target"), _text_field(request, "contrast")
    key = request_key("attribution", stack, extra=(method, str(position), target, contrast))
    return key, lambda: attribution_arrays(trace, method, position, target, contrast)


def _attribution_matrix(
    trace: Trace, request: dict[str, Any], _session: Session
) -> tuple[str, Callable[[], Answer]]:
    stack = _stack_field(trace, request)
    method = request.get("method")
    if not isinstance(method, str):
        raise RequestError("an attribution_matrix request needs a method name")
    return request_key("attribution_matrix", stack, extra=(method,)), lambda: matrix_arrays(trace, method)


def _ablation(trace: Trace, request: dict[str, Any], session: Session) -> tuple[str, Callable[[], Answer]]:
    stack = _stack_field(trace, request)
    layer = _int_field(request, "layer", trace.stack(stack).n_layers)
    position = _int_field(request, "position", 1 << 31)
    heads, neurons = _pairs_field(request, "heads"), _pairs_field(request, "neurons")
    mode = request.get("mode", "zero")
    if mode not in ("zero", "mean"):
        raise RequestError(f"unknown ablation mode {mode!r}; choose 'zero' or 'mean'")
    key = request_key("ablation", stack, layer, extra=(str(position), ablation_spec(heads, neurons, mode)))
    return key, lambda: ablation_arrays(trace, session, stack, layer, heads, neurons, mode, position)


def _edit(trace: Trace, request: dict[str, Any], session: Session) -> tuple[str, Callable[[], Answer]]:
    stack = _stack_field(trace, request)
    text = request.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > 20_000:
        raise RequestError("the edit box needs a text of 1 to 20,000 characters")

    def work() -> Answer:
        version = session.add_run(rerun_text(trace, text))
        return {}, {"version": version, "text": text}

    return request_key("edit", stack, extra=(text,)), work


def _version_field(request: dict[str, Any], session: Session) -> int:
    version = request.get("version")
    if type(version) is not int or version not in session.runs:
        raise RequestError(f"comparison {version!r} is not kept by the kernel; press Compare to run it again")
    return version


def _compare(trace: Trace, request: dict[str, Any], session: Session) -> tuple[str, Callable[[], Answer]]:
    stack = _stack_field(trace, request)
    layer = _int_field(request, "layer", trace.stack(stack).n_layers)
    version = _version_field(request, session)
    key = request_key("compare", stack, layer, extra=(str(version),))
    return key, lambda: compare_arrays(trace, session.run(version), stack, layer)


def _compare_attribution(
    trace: Trace, request: dict[str, Any], session: Session
) -> tuple[str, Callable[[], Answer]]:
    stack = _stack_field(trace, request)
    version = _version_field(request, session)
    method = request.get("method")
    if not isinstance(method, str):
        raise RequestError("a compare_attribution request needs a method name")
    key = request_key("compare_attribution", stack, extra=(str(version), method))
    return key, lambda: compare_attribution_arrays(trace, session.run(version), method)


# A rerun request parses into (its key, the work); the key alone tells whether a reply is kept.
Rerun = Callable[[Trace, dict[str, Any], Session], tuple[str, Callable[[], Answer]]]
RERUNS: dict[str, Rerun] = {
    "attribution": _attribution,
    "attribution_matrix": _attribution_matrix,
    "ablation": _ablation,
    "edit": _edit,
    "compare": _compare,
    "compare_attribution": _compare_attribution,
}
"""Requests that rerun the model: slow, so the kernel says it is working, and the session keeps
their replies for save_html."""


def parse(trace: Trace, request: dict[str, Any]) -> tuple[str, str, int | None, int | None]:
    """(what, stack, layer, neuron) of a well-formed request, else RequestError."""
    what = request.get("what")
    if what not in HANDLERS:
        known = sorted([*HANDLERS, *RERUNS, *LOD_REQUESTS])
        raise RequestError(f"unknown request {what!r}; the kernel answers {known}")
    stack = _stack_field(trace, request)
    _, needs_layer, needs_neuron = HANDLERS[what]
    layer = _int_field(request, "layer", trace.stack(stack).n_layers) if needs_layer else None
    neuron = _int_field(request, "neuron", 1 << 31) if needs_neuron else None
    return what, stack, layer, neuron


def answer(
    trace: Trace, request: dict[str, Any], session: Session | None = None
) -> tuple[dict[str, Any], list[bytes]]:
    """The reply message and its buffers; an error reply (never an exception) for a bad request."""
    key = None
    what = request.get("what")
    remember: Session | None = None
    try:
        if isinstance(what, str) and what in RERUNS:
            session = session or Session()
            key, work = RERUNS[what](trace, request, session)
            if key in session.computed:
                kept, kept_buffers = session.computed[key]
                return {**kept, "id": request.get("id")}, kept_buffers
            arrays, data = work()
            remember = session
        elif isinstance(what, str) and what in LOD_REQUESTS:
            key, lod_work = LOD_REQUESTS[what](trace, request)
            arrays, data = lod_work()
        else:
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
    if remember is not None:
        remember.remember(key, reply, buffers)
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
