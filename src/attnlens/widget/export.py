"""A Lens as one self-contained HTML file: bundle, data and an in-page model, no network.

nbconvert's widget export loads the widget manager from a CDN, so it is no offline answer. This page
inlines ``static/standalone.js`` (the widget plus an in-page model) and the state as JSON whose
binary buffers are base64; every interaction that needs no new computation keeps working.
"""

from __future__ import annotations

import base64
import html
import json
from typing import TYPE_CHECKING, Any

from attnlens.widget.payload import encode_attention

if TYPE_CHECKING:
    from attnlens.widget.lens import Lens

STATE_TRAITS = ("layer", "heads", "token", "target", "neuron", "view", "mode", "_meta")


def _script_safe(code: str) -> str:
    """JS or CSS that cannot close the element it sits in (``<\\/`` reads as ``</`` in JS strings)."""
    return code.replace("</", "<\\/")


def _json_script_safe(text: str) -> str:
    """JSON that stays valid JSON and can never form ``</script`` or ``<!--``: escape ``<``, ``>``, ``&``."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def standalone_state(lens: Lens, layers: list[int] | None = None) -> dict[str, Any]:
    """The widget's state with ``layers`` (default: all) of attention, buffers as base64."""
    chosen = range(lens.trace.n_layers) if layers is None else layers
    attention = {}
    for layer in chosen:
        payload = encode_attention(lens.trace.attention(layer))
        payload["buffer"] = {"base64": base64.b64encode(payload["buffer"]).decode("ascii")}
        attention[str(layer)] = payload
    state = {name: getattr(lens, name) for name in STATE_TRAITS}
    state["_attention"] = attention
    return state


def standalone_html(lens: Lens, title: str | None = None) -> str:
    from attnlens.widget.lens import STATIC

    script = (STATIC / "standalone.js").read_text(encoding="utf-8")
    css = (STATIC / "widget.css").read_text(encoding="utf-8")
    state = json.dumps(standalone_state(lens), ensure_ascii=True, separators=(",", ":"))
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
