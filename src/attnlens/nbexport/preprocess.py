"""An nbconvert preprocessor that makes every attnlens output of a notebook show offline.

An attnlens output is a display whose bundle carries the page state (``application/vnd.attnlens.page+json``,
written by a kernel run under ``ATTNLENS_EXPORT=page``) or attnlens's still picture. The first kind
becomes a live widget: a ``<script type="application/vnd.attnlens+json">`` state block that the
standalone bundle (inlined once, with the first one) boots into an independent widget over an in-page
model (with the picture in ``<noscript>`` when ``noscript_picture`` is set: it often weighs more than
the state). The second kind loses its widget view, so the picture shows.
Saved widget state that no widget view still shown needs goes too, and with it nbconvert's CDN widget
manager when no other widget is left.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool

from attnlens.widget.headless import PAGE_MIME, WIDGET_MIME

WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"
PICTURE_MARK = 'class="attnlens-static"'  # static_repr's <figure>


def is_attnlens_output(output: NotebookNode) -> bool:
    data = output.get("data") or {}
    return PAGE_MIME in data or PICTURE_MARK in str(data.get("text/html", ""))


def _json_in_script(value: Any) -> str:
    """JSON that stays JSON and can never close its <script> or open a comment."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _code_in_element(code: str) -> str:
    """JS or CSS that cannot close the element it sits in (``<\\/`` reads as ``</`` in JS strings)."""
    return code.replace("</", "<\\/")


def bundle_html() -> str:
    """The widget's CSS and the standalone script (boots every state block on the page)."""
    from attnlens.widget import bundle

    css, script = bundle.read("widget.css"), bundle.read("standalone.js")
    return f"<style>{_code_in_element(css)}</style><script>{_code_in_element(script)}</script>"


def live_html(state: dict[str, Any], png: str | None, with_bundle: bool) -> str:
    """One live widget: its state block, the picture for pages without JavaScript, the bundle if asked."""
    parts = ['<div class="attnlens-export">',
             f'<script type="application/vnd.attnlens+json" class="attnlens-state">{_json_in_script(state)}</script>']
    if png:
        alt = html.escape("attnlens: a still picture of the view (JavaScript is off)")
        parts.append(f'<noscript><img src="data:image/png;base64,{png}" alt="{alt}" style="max-width:100%"></noscript>')
    if with_bundle:
        parts.append(bundle_html())
    parts.append("</div>")
    return "".join(parts)


def _model_id(data: dict[str, Any]) -> str | None:
    view = data.get(WIDGET_MIME)
    return str(view.get("model_id")) if isinstance(view, dict) and view.get("model_id") else None


class AttnlensPreprocessor(Preprocessor):  # type: ignore[misc]
    """Every attnlens output live (when its page state was saved) or its picture; never a CDN widget."""

    noscript_picture = Bool(False, help="Also keep each live widget's picture, for browsers without JavaScript").tag(
        config=True
    )

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        live = pictures = 0
        for cell in nb.cells:
            for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
                shown = output.get("output_type") in ("display_data", "execute_result")
                if not shown or not is_attnlens_output(output):
                    continue
                data = dict(output["data"])
                state = data.get(PAGE_MIME)
                if isinstance(state, dict):
                    png = data.get("image/png") if self.noscript_picture else None
                    page = live_html(state, png, with_bundle=live == 0)
                    output["data"] = {"text/html": page, "text/plain": data.get("text/plain", "attnlens Lens")}
                    live += 1
                else:
                    output["data"] = {k: v for k, v in data.items() if k not in (WIDGET_MIME, PAGE_MIME)}
                    pictures += 1
        others = _drop_widget_state(nb)
        resources["attnlens"] = {"live": live, "pictures": pictures, "keep_cdn": others > 0}
        return nb, resources


def _drop_widget_state(nb: NotebookNode) -> int:
    """Keep only the saved widget models that a widget view still shown needs (itself and the models
    it names, e.g. its layout); drop the state when none is left. Returns how many models remain."""
    widgets = nb.metadata.get("widgets")
    if not isinstance(widgets, dict) or not isinstance(widgets.get(WIDGET_STATE_MIME), dict):
        return 0
    state = widgets[WIDGET_STATE_MIME].get("state") or {}
    todo = [m for cell in nb.cells for o in cell.get("outputs", []) if (m := _model_id(o.get("data") or {}))]
    kept: dict[str, Any] = {}
    while todo:
        model = todo.pop()
        if model in kept or model not in state:
            continue
        kept[model] = state[model]
        todo += re.findall(r"IPY_MODEL_([0-9a-zA-Z_-]+)", json.dumps(state[model].get("state", {})))
    if kept:
        widgets[WIDGET_STATE_MIME]["state"] = kept
    else:
        del nb.metadata["widgets"]
    return len(kept)
