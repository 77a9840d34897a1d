"""One registry of request kinds: ``kind → parse(trace, fields, session) -> (key, work)``.

A request's fields are checked here, generically, from its entry in ``contract.json`` (type, range,
required), so a handler receives valid values. Its key is ``kind:stack:<the contract's key parts>``
(free text escaped). A handler is registered next to the payload code it calls::

    @handles("qk")
    def _qk(trace: Trace, f: Fields, session: Session) -> Parsed:
        return f.key(), lambda: qk_arrays(trace, f.stack, f["layer"])

Adding a request kind = its entry in ``contract.json`` + one function like this one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attnlens.analysis.attribution import METHODS
from attnlens.capture.trace import Trace
from attnlens.widget.contract import ABLATION_MODES, KEY_ESCAPES, KEY_SEPARATOR, REQUESTS, Field, RequestKind
from attnlens.widget.session import Session

Arrays = dict[str, dict[str, Any]]
Answer = tuple[Arrays, dict[str, Any]]
Work = Callable[[], Answer]
Parsed = tuple[str, Work]


class RequestError(ValueError):
    """A request the trace cannot answer; its message is shown in the page."""


def key_part(text: str) -> str:
    """Free text (a target token) inside a key: ``%`` and ``:`` escaped (contract ``KEY_ESCAPES``)."""
    for raw, escaped in KEY_ESCAPES:
        text = text.replace(raw, escaped)
    return text


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
    return KEY_SEPARATOR.join(parts)


class Fields:
    """A request's validated fields (by the contract), its stack, and its key."""

    def __init__(self, kind: RequestKind, stack: str, values: dict[str, Any]) -> None:
        self.kind, self.stack, self.values = kind, stack, values

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def key(self, **derived: object) -> str:
        """``kind:stack:part:…`` from the contract's key list; parts not in the request are ``derived``."""
        parts = [derived[name] if name in derived else self.values[name] for name in self.kind.key]
        return request_key(self.kind.name, self.stack, extra=tuple(str(p) for p in parts))


Parse = Callable[[Trace, Fields, Session], Parsed]
HANDLERS: dict[str, Parse] = {}
"""Every request kind the kernel answers (``widget/payloads/*.py`` register theirs)."""


def handles(kind: str) -> Callable[[Parse], Parse]:
    """Register ``parse`` as the handler of ``kind``, which the contract must list."""
    if kind not in REQUESTS:
        raise KeyError(f"request kind {kind!r} is not in contract.json; add it there first")

    def register(parse: Parse) -> Parse:
        if kind in HANDLERS:
            raise KeyError(f"request kind {kind!r} has two handlers")
        HANDLERS[kind] = parse
        return parse

    return register


def stack_field(trace: Trace, request: dict[str, Any]) -> str:
    stack = request.get("stack") or trace.default_stack
    if stack not in trace.stacks:
        raise RequestError(f"no attention stack {stack!r} in this trace; it has {list(trace.stacks)}")
    return str(stack)


def _int(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RequestError(f"{name} {value!r} is out of range ({low} to {high})")
    return value


def _text(field: Field, value: Any) -> str:
    value = "" if value is None else value
    low, high = field.min_length or 0, field.max_length or 200
    if not isinstance(value, str) or not low <= len(value.strip() if low else value) or len(value) > high:
        raise RequestError(
            field.message or f"{field.name} must be a token's text (at most {high} characters), got {str(value)[:40]!r}"
        )
    return value


def _pairs(field: Field, value: Any) -> list[tuple[int, int]]:
    value = value or []
    if not isinstance(value, list) or len(value) > (field.max_length or 10_000):
        raise RequestError(f"{field.name} must be a list of [layer, index] pairs")
    for pair in value:
        if not (isinstance(pair, list) and len(pair) == 2 and all(type(v) is int for v in pair)):
            raise RequestError(f"{field.name} must be a list of [layer, index] pairs, got {pair!r}")
    return [(pair[0], pair[1]) for pair in value]


def _heads(value: Any, n: int) -> list[int]:
    if not isinstance(value, list) or not value or any(type(h) is not int or not 0 <= h < n for h in value):
        raise RequestError(f"heads must be a non-empty list of head indices from 0 to {n - 1}, got {value!r}")
    if value != sorted(set(value)):
        raise RequestError(f"heads must be sorted and unique, got {value!r}")
    return value


def _method(kind: str, value: Any) -> str:
    if not isinstance(value, str):
        raise RequestError(f"the {kind} request needs a method name")
    if value not in METHODS:
        raise RequestError(f"unknown attribution method {value!r}; attnlens offers {list(METHODS)}")
    return value


def _field(field: Field, value: Any, ctx: tuple[Trace, str, str, Session]) -> Any:
    """One field checked against its contract entry."""
    trace, kind, stack, session = ctx
    if field.type == "layer":
        return _int("layer", value, 0, trace.stack(stack).n_layers - 1)
    if field.type == "int":
        return _int(field.name, value, field.min or 0, field.max if field.max is not None else (1 << 31) - 1)
    if field.type == "text":
        return _text(field, value)
    if field.type == "pairs":
        return _pairs(field, value)
    if field.type == "method":
        return _method(kind, value)
    if field.type == "ablation_mode":
        mode = "zero" if value is None else value
        if mode not in ABLATION_MODES:
            raise RequestError(f"unknown ablation mode {mode!r}; choose one of {list(ABLATION_MODES)}")
        return mode
    if field.type == "choice":
        if value not in (field.values or ()):
            raise RequestError(f"{field.name} must be one of {list(field.values or ())}, got {value!r}")
        return value
    if field.type == "power_of_two":
        block = _int(field.name, value, 1, 1 << 30)
        if block & (block - 1):
            raise RequestError(f"{field.name} {block} must be a power of two (tokens per cell side)")
        return block
    if field.type == "heads":
        return _heads(value, trace.stack(stack).n_heads)
    if field.type == "version":
        if type(value) is not int or value not in session.runs:
            raise RequestError(f"comparison {value!r} is not kept by the kernel; press Compare to run it again")
        return value
    raise RequestError(f"field {field.name!r} has a type ({field.type!r}) the kernel does not know")


def validate(trace: Trace, request: dict[str, Any], session: Session) -> Fields:
    """The request's kind and fields, checked against the contract in the contract's order."""
    kind = request.get("what")
    if not isinstance(kind, str) or kind not in HANDLERS:
        raise RequestError(f"unknown request {kind!r}; the kernel answers {sorted(HANDLERS)}")
    spec = REQUESTS[kind]
    stack = stack_field(trace, request)
    ctx = (trace, kind, stack, session)
    values = {f.name: _field(f, request.get(f.name), ctx) for f in spec.fields}
    return Fields(spec, stack, values)
