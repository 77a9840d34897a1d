"""attnlens: see inside transformer language models, in linked views that stay in sync with Python."""

from __future__ import annotations

from typing import Any

from attnlens.capture import LogitLens, Trace, from_cache, generate, trace

__all__ = [
    "Lens", "LogitLens", "Trace", "compare", "from_cache", "generate", "head_view", "model_view", "neuron_view",
    "patch", "show", "trace",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The widget needs the built front-end bundle; tracing does not, so it loads only when asked.
    if name == "Lens":
        from attnlens.widget.lens import Lens

        return Lens
    if name == "compare":
        from attnlens.widget.show import compare

        return compare
    if name == "patch":  # activation patching between two traces
        from attnlens.analysis.patching import patch

        return patch
    if name == "show":
        from attnlens.widget.show import show

        return show
    if name in ("head_view", "model_view", "neuron_view"):  # the BertViz drop-in
        from attnlens.widget import bertviz_compat

        return getattr(bertviz_compat, name)
    raise AttributeError(f"module 'attnlens' has no attribute {name!r}")
