"""What a Lens puts in its display bundle when no widget front end will ever render it.

``jupyter nbconvert --execute``, papermill and Jupyter Book run notebooks with nbclient: nothing renders
the widget there, yet nbclient saves its state, and nbconvert's HTML then prefers the widget view
(drawn by an HTML widget manager from a CDN, which needs a kernel to answer it anyway) over the
picture beside it. Offline that output is blank. So in such a run the Lens leaves the widget view out
of its bundle and every exporter shows the picture; ``attnlens export`` (``ATTNLENS_EXPORT=page``)
also gets the self-contained page state, which its nbconvert preprocessor turns into a live widget.

``ATTNLENS_EXPORT`` overrides the guess: ``widget`` (always the widget view), ``picture`` (never),
``page`` (picture plus the page state).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from attnlens.widget.lens import Lens

EXPORT_ENV = "ATTNLENS_EXPORT"
PAGE_MIME = "application/vnd.attnlens.page+json"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
MODES = ("widget", "picture", "page")


def export_mode() -> str:
    """``widget``, ``picture`` or ``page``: from ``ATTNLENS_EXPORT``, else guessed (see ``headless_run``)."""
    value = os.environ.get(EXPORT_ENV, "").strip().lower()
    if value:
        if value not in MODES:
            raise ValueError(f"{EXPORT_ENV}={value!r}: expected one of {', '.join(MODES)} (or unset)")
        return value
    return "picture" if headless_run() else "widget"


def headless_run() -> bool:
    """True inside a kernel started by nbclient (nbconvert --execute, papermill, Jupyter Book).

    nbclient starts IPython kernels with ``--HistoryManager.hist_file=:memory:`` and sends execute
    requests without metadata; JupyterLab, Notebook 7 and VS Code keep a history file and JupyterLab
    names the cell (``cellId``) in every request. Both signs are needed, so a live session that keeps
    its history in memory still gets the widget.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    shell = get_ipython()
    if shell is None or str(getattr(getattr(shell, "history_manager", None), "hist_file", "")) != ":memory:":
        return False
    kernel = getattr(shell, "kernel", None)
    try:
        parent = kernel.get_parent("shell") if kernel is not None else {}
    except Exception:  # an older ipykernel without get_parent: trust the history sign alone
        parent = {}
    return "cellId" not in ((parent or {}).get("metadata") or {})


def for_host(lens: Lens, bundle: Any) -> Any:
    """The Lens's ``(data, metadata)`` display bundle as this run should save it (see the module)."""
    if not isinstance(bundle, tuple):
        return bundle
    mode = export_mode()
    if mode == "widget":
        return bundle
    data, metadata = bundle
    data = {k: v for k, v in data.items() if k != WIDGET_MIME}
    if mode == "page":
        from attnlens.widget.export import standalone_state

        data = {PAGE_MIME: standalone_state(lens), **data}
    return data, metadata
