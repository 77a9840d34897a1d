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
from typing import TYPE_CHECKING, Any

from attnlens.widget.lod_export import DEFAULT_BUDGET_MB, lod_replies, lod_supported
from attnlens.widget.payloads.compare import input_text
from attnlens.widget.protocol import inline, inline_reply

if TYPE_CHECKING:
    from attnlens.widget.lens import Lens

STATE_TRAITS = (
    "layer", "heads", "token", "target", "neuron", "view", "mode", "stack", "method", "ablate", "ablate_mode", "_meta",
)


def _script_safe(code: str) -> str:
    """JS or CSS that cannot close the element it sits in (``<\\/`` reads as ``</`` in JS strings)."""
    return code.replace("</", "<\\/")


def _json_script_safe(text: str) -> str:
    """JSON that stays valid JSON and can never form ``</script`` or ``<!--``: escape ``<``, ``>``, ``&``."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def saved_requests(lens: Lens) -> list[dict[str, Any]]:
    """What a page without a kernel can show: every layer of every stack in the head and model
    views, the logit lens and top MLP neurons, and q/k and the selected neuron of the current layer."""
    trace = lens.trace
    requests: list[dict[str, Any]] = []
    for name, st in trace.stacks.items():
        if not lod_supported():  # the page's head view reads rows and tiles (lod_export) where the kernel has them
            requests += [{"what": "attention", "stack": name, "layer": i} for i in range(st.n_layers)]
        requests.append({"what": "thumbnails", "stack": name})
        if st.mlp is not None:
            requests += [{"what": "mlp_top", "stack": name, "layer": i} for i in range(st.n_layers)]
    current = trace.stack(lens.stack)
    if current.layers is not None:
        requests.append({"what": "qk", "stack": lens.stack, "layer": lens.layer})
    if current.mlp is not None and lens.neuron is not None:
        requests.append({"what": "neuron", "stack": lens.stack, "layer": lens.layer, "neuron": lens.neuron})
    if trace._unembed is not None:
        requests.append({"what": "logit_lens", "stack": trace._logits_stack})
    views = lens.view.split(",")
    can_rerun = trace._model is not None and trace.vocab_size is not None
    if can_rerun and "attribution" in views:  # what the attribution view asks for first
        requests.append({
            "what": "attribution", "stack": trace._logits_stack, "method": lens.method,
            "position": explained_position(lens), "target": "", "contrast": "",
        })
    version = max(lens._session.runs, default=0)
    if "compare" in views and version:  # the newest comparison, every layer
        requests += [
            {"what": "compare", "stack": lens.stack, "layer": i, "version": version}
            for i in range(trace.stack(lens.stack).n_layers)
        ]
        if can_rerun:
            requests.append(
                {"what": "compare_attribution", "stack": lens.stack, "version": version, "method": lens.method}
            )
    heads, neurons = lens.ablation()
    if can_rerun and "ablation" in views and (heads or neurons):
        requests.append({
            "what": "ablation", "stack": lens.stack, "layer": lens.layer, "position": explained_position(lens),
            "heads": [list(x) for x in heads], "neurons": [list(x) for x in neurons], "mode": lens.ablate_mode,
        })
    return requests


def explained_position(lens: Lens) -> int:
    """The position whose prediction the attribution and ablation views explain (as the page picks it):
    the locked token, else ``target``, else the last."""
    n = len(lens.trace.side_tokens("target" if lens.trace.target_tokens is not None else "input"))
    for value in (lens.token, lens.target):
        if value is not None and 0 <= value < n:
            return value
    return n - 1


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


def standalone_state(lens: Lens, budget_mb: float = DEFAULT_BUDGET_MB) -> dict[str, Any]:
    """The widget's state with the saved replies, buffers as base64; the head view's level-of-detail
    attention (rows windows and overview tiles) within ``budget_mb`` (lod_export)."""
    replies = {}
    saved = [inline_reply(lens.trace, r, lens._session) for r in saved_requests(lens)]  # reruns come from the session
    computed = [(key, inline(reply, buffers)) for key, (reply, buffers) in lens._session.computed.items()]
    for key, reply in [*saved, *computed]:
        replies[key] = encode_reply(reply)
    if lod_supported():
        replies.update(lod_replies(lens, budget_mb, encode_reply))
    state = {name: getattr(lens, name) for name in STATE_TRAITS}
    state["_replies"] = replies
    version = max(lens._session.runs, default=0)
    if version:  # the page opens on the newest comparison, edited in the page or not
        state["_meta"] = {**state["_meta"], "compare": {
            **state["_meta"]["compare"], "version": version, "text_b": input_text(lens._session.runs[version]),
        }}
    return state


def standalone_html(lens: Lens, title: str | None = None, budget_mb: float = DEFAULT_BUDGET_MB) -> str:
    from attnlens.widget.lens import STATIC

    script = (STATIC / "standalone.js").read_text(encoding="utf-8")
    css = (STATIC / "widget.css").read_text(encoding="utf-8")
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
