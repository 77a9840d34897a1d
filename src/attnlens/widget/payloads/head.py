"""Head view: one layer's attention of one stack, [heads, query tokens, key tokens]."""

from __future__ import annotations

from typing import Any

from attnlens.capture.trace import Trace
from attnlens.widget.payload import encode_attention
from attnlens.widget.registry import Fields, Parsed, handles
from attnlens.widget.session import Session


def attention_arrays(trace: Trace, stack: str, layer: int) -> dict[str, dict[str, Any]]:
    return {"attention": encode_attention(trace.attention(layer, stack=stack))}


@handles("attention")
def _attention(trace: Trace, f: Fields, _session: Session) -> Parsed:
    return f.key(), lambda: (attention_arrays(trace, f.stack, f["layer"]), {})
