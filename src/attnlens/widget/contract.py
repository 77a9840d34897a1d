"""The wire contract between kernel and page, read from ``attnlens/contract.json``.

The same JSON file is bundled into the page by esbuild (``js/src/contract.ts``), so the views, the
synced traits, the request kinds and their fields, the attribution methods, the ablation modes and the
shared constants are written once. ``tests/test_contract.py`` and ``js/src/contract.test.ts`` hold
both sides to it.
"""

from __future__ import annotations

import json
import pathlib
import re
from dataclasses import dataclass
from typing import Any

PATH = pathlib.Path(__file__).resolve().parent.parent / "contract.json"
RAW: dict[str, Any] = json.loads(PATH.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class View:
    id: str
    title: str
    order: int


@dataclass(frozen=True)
class Trait:
    """A synced trait: its type, default and how the page treats a value it cannot use."""

    name: str
    type: str
    default: Any
    nullable: bool
    values: tuple[str, ...]  # for enums
    invalid: str


@dataclass(frozen=True)
class Field:
    """One field of a request message, validated in ``widget/registry.py`` before the handler runs."""

    name: str
    type: str
    required: bool
    min: int | None = None
    max: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    message: str | None = None
    values: tuple[str, ...] | None = None  # the choices of a "choice" field


@dataclass(frozen=True)
class RequestKind:
    name: str
    reruns: bool
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    not_saved: str
    saved: str | None
    """Which answers a saved page holds (a rule of ``wire.SAVED``), or None: none."""


CONSTANTS: dict[str, Any] = RAW["constants"]
CHUNK_BYTES: int = CONSTANTS["CHUNK_BYTES"]
"""Most binary bytes in one kernel → page message (Jupyter server's websocket limit is 10 MiB)."""
SEED_BYTES: int = CONSTANTS["SEED_BYTES"]
"""Largest reply seeded into the ``_replies`` trait (a state message is not chunked)."""
MAX_SEND_BYTES: int = CONSTANTS["MAX_SEND_BYTES"]
"""Most bytes of one page → kernel message (the page refuses larger ones)."""
KEPT_REPLIES: int = CONSTANTS["KEPT_REPLIES"]
"""Most replies in ``_replies`` (each one kept for a saved notebook resends the whole trait)."""
KEY_SEPARATOR: str = CONSTANTS["KEY_SEPARATOR"]
KEY_ESCAPES: tuple[tuple[str, str], ...] = tuple((a, b) for a, b in CONSTANTS["KEY_ESCAPES"])

VIEWS: tuple[View, ...] = tuple(sorted((View(**v) for v in RAW["views"]), key=lambda v: v.order))
VIEW_IDS: tuple[str, ...] = tuple(v.id for v in VIEWS)
METHODS: tuple[str, ...] = tuple(m["id"] for m in RAW["methods"])
METHOD_LABELS: dict[str, str] = {m["id"]: m["label"] for m in RAW["methods"]}
ABLATION_MODES: tuple[str, ...] = tuple(m["id"] for m in RAW["ablation_modes"])
ABLATION_ITEM = re.compile(RAW["ablation_item"]["pattern"])

_ENUMS = {"methods": METHODS, "ablation_modes": ABLATION_MODES}


def _trait(t: dict[str, Any]) -> Trait:
    values = t.get("values", ())
    return Trait(
        name=t["name"], type=t["type"], default=t["default"], nullable=bool(t.get("nullable", False)),
        values=tuple(_ENUMS[values] if isinstance(values, str) else values), invalid=t["invalid"],
    )


TRAITS: dict[str, Trait] = {t["name"]: _trait(t) for t in RAW["traits"]}
SYNCED_TRAITS: tuple[str, ...] = tuple(TRAITS)
STATE_TRAITS: tuple[str, ...] = (*SYNCED_TRAITS, "_meta")
"""What a saved page holds besides its replies."""
MODES: tuple[str, ...] = TRAITS["mode"].values

REQUESTS: dict[str, RequestKind] = {
    name: RequestKind(
        name=name,
        reruns=bool(r["reruns"]),
        fields=tuple(Field(**{**f, "values": tuple(f["values"]) if "values" in f else None}) for f in r["fields"]),
        key=tuple(r["key"]),
        not_saved=r["not_saved"],
        saved=r["saved"],
    )
    for name, r in RAW["requests"].items()
}


def reruns(kind: object) -> bool:
    """Whether a request of this kind reruns the model (slow: the kernel says it is working first)."""
    return isinstance(kind, str) and kind in REQUESTS and REQUESTS[kind].reruns


def parse_ablation_item(item: str) -> tuple[str, int, int] | None:
    """``"head:1:3"`` → ``("head", 1, 3)``; None when it is not ``head|neuron:LAYER:INDEX``."""
    m = ABLATION_ITEM.match(item)
    return (m.group(1), int(m.group(2)), int(m.group(3))) if m else None


def ablation_item(kind: str, layer: int, index: int) -> str:
    """The trait's spelling of one marked part (inverse of ``parse_ablation_item``)."""
    return f"{kind}:{layer}:{index}"


def marked_parts(items: list[str]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The ``ablate`` trait's items as (heads, neurons) ``[(layer, index)]``; malformed items skipped."""
    heads: list[tuple[int, int]] = []
    neurons: list[tuple[int, int]] = []
    for item in items:
        part = parse_ablation_item(item)
        if part is not None:
            (heads if part[0] == "head" else neurons).append((part[1], part[2]))
    return heads, neurons
