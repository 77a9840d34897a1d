"""A Lens as one self-contained HTML file: bundle, data and an in-page model, no network.

nbconvert's widget export loads the widget manager from a CDN, so it is no offline answer. This page
inlines ``static/standalone.js`` (the widget plus an in-page model) and the state as JSON whose
binary buffers are base64 (zlib-compressed when large); every interaction that needs no new
computation keeps working.
"""

from __future__ import annotations

import base64
import html
import json
import zlib
from typing import Any

from attnlens.widget import bundle
from attnlens.widget.contract import STATE_TRAITS
from attnlens.widget.lod_export import DEFAULT_BUDGET_MB, lod_replies
from attnlens.widget.protocol import inline, inline_reply
from attnlens.widget.wire import LensState, explained_position, saved_requests

__all__ = ["STATE_TRAITS", "explained_position", "saved_requests", "standalone_html", "standalone_state"]


def _script_safe(code: str) -> str:
    """JS or CSS that cannot close the element it sits in (``<\\/`` reads as ``</`` in JS strings)."""
    return code.replace("</", "<\\/")


def _json_script_safe(text: str) -> str:
    """JSON that stays valid JSON and can never form ``</script`` or ``<!--``: escape ``<``, ``>``, ``&``."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# Buffers at least this large are zlib-compressed (the page inflates them with DecompressionStream):
# quantised attention is mostly zeros, and a 4,096-token page shrinks from ~92 MB to ~3 MB.
COMPRESS_MIN_BYTES = 1024


def _base64(data: bytes) -> dict[str, Any]:
    """A buffer as text: base64, zlib-compressed first when that makes it smaller."""
    if len(data) >= COMPRESS_MIN_BYTES:
        packed = zlib.compress(data, 6)
        if len(packed) < len(data):
            return {"base64": base64.b64encode(packed).decode("ascii"), "encoding": "deflate", "bytes": len(data)}
    return {"base64": base64.b64encode(data).decode("ascii")}


def encode_reply(reply: dict[str, Any]) -> dict[str, Any]:
    """``reply`` (from ``inline_reply``) with each buffer as base64 text, in place; returns it."""
    for spec in reply["arrays"].values():
        spec["buffer"] = _base64(spec["buffer"])
    return reply


def standalone_state(lens: LensState, budget_mb: float = DEFAULT_BUDGET_MB) -> dict[str, Any]:
    """The widget's state with the saved replies, buffers as base64; the head view's level-of-detail
    attention (rows windows and overview tiles) within ``budget_mb`` (lod_export)."""
    replies = {}
    saved = [inline_reply(lens.trace, r, lens._session) for r in saved_requests(lens)]  # reruns come from the session
    computed = [(key, inline(reply, buffers)) for key, (reply, buffers) in lens._session.computed.items()]
    for key, reply in [*saved, *computed]:
        replies[key] = encode_reply(reply)
    replies.update(lod_replies(lens, budget_mb, encode_reply))
    state = {name: getattr(lens, name) for name in STATE_TRAITS}
    state["_replies"] = replies
    version = max(lens._session.runs, default=0)
    if version:  # the page opens on the newest comparison, edited in the page or not
        state["_meta"] = {**state["_meta"], "compare": {
            **state["_meta"]["compare"], "version": version, "text_b": lens._session.runs[version].input_text(),
        }}
    return state


def standalone_html(lens: LensState, title: str | None = None, budget_mb: float = DEFAULT_BUDGET_MB) -> str:
    script, css = bundle.read("standalone.js"), bundle.read("widget.css")
    state = json.dumps(standalone_state(lens, budget_mb), ensure_ascii=True, separators=(",", ":"))
    heading = title or f"attnlens · {lens.trace.model_name}"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            # Nothing may leave the page: no fetch, no images, fonts or scripts from elsewhere.
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:\">",
            f"<title>{html.escape(heading)}</title>",
            f"<style>body{{margin:16px;font-family:system-ui,sans-serif}}\n{_script_safe(css)}</style>",
            "</head><body>",
            f'<script type="application/vnd.attnlens+json" class="attnlens-state">{_json_script_safe(state)}</script>',
            f"<script>{_script_safe(script)}</script>",
            "</body></html>",
        ]
    )
