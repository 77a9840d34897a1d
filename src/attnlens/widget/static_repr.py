"""A still picture of the Lens beside its widget view, for places where JavaScript does not run.

GitHub, nbviewer, nbconvert without widget state and many notebook previews drop the widget and show
the next mime type they know. Putting a PNG of the current view (and a plain HTML ``<img>``) in the
same display bundle means those places show the attention instead of "Loading widget...".
"""

from __future__ import annotations

import base64
import html
from typing import Any

from attnlens.widget.images import png_bytes
from attnlens.widget.wire import LensState

MAX_WIDTH = 900  # px: fits a GitHub notebook column
LINES_LIMIT = 96  # above this many tokens a lines picture is too tall to read: show the heatmap


def static_mimebundle(lens: LensState) -> dict[str, str]:
    """``{"image/png": base64 PNG of the current view, "text/html": an <img> with a caption}``."""
    trace = lens.trace
    n = max(len(trace.query_tokens(lens.stack)), len(trace.key_tokens(lens.stack)))
    mode = "heatmap" if n > LINES_LIMIT else None
    png = base64.b64encode(png_bytes(lens, max_width=MAX_WIDTH, mode=mode, min_cell=1)).decode("ascii")
    caption = (f"attnlens · {trace.model_name} · layer {lens.layer} · {n} tokens. A still image: run the "
               "notebook (or open lens.save_html(...)) for the interactive view.")
    page = (f'<figure class="attnlens-static" style="margin:0"><img src="data:image/png;base64,{png}" '
            f'alt="{html.escape(caption)}" style="max-width:100%"><figcaption style="font-size:12px">'
            f"{html.escape(caption)}</figcaption></figure>")
    return {"image/png": png, "text/html": page}


def with_static(lens: LensState, bundle: Any) -> Any:
    """The widget's ``(data, metadata)`` bundle with the still picture added (the widget view stays first
    choice wherever widgets render)."""
    if not isinstance(bundle, tuple):
        return bundle
    data, metadata = bundle
    return {**static_mimebundle(lens), **data}, metadata
