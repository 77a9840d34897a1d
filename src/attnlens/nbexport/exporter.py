"""``jupyter nbconvert --to attnlens_html`` and ``attnlens export``: a notebook as one offline HTML file.

nbconvert's lab page, with every attnlens output live (see ``preprocess``) and no CDN script left
unless another kind of widget still needs one. When the exporter executes the notebook it sets
``ATTNLENS_EXPORT=page`` for the kernel, so every Lens saves its self-contained page state.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
from collections.abc import Iterator
from typing import Any

import nbformat
from nbconvert import HTMLExporter
from traitlets import Bool, default
from traitlets.config import Config

from attnlens.nbexport.preprocess import AttnlensPreprocessor
from attnlens.widget.headless import EXPORT_ENV

TEMPLATES = pathlib.Path(__file__).resolve().parent / "templates"


@contextlib.contextmanager
def page_state_for_kernels() -> Iterator[None]:
    """Kernels started inside (they inherit the environment) make each Lens save its page state."""
    before = os.environ.get(EXPORT_ENV)
    os.environ[EXPORT_ENV] = "page"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(EXPORT_ENV, None)
        else:
            os.environ[EXPORT_ENV] = before


class AttnlensHTMLExporter(HTMLExporter):  # type: ignore[misc]
    """HTML that needs no network: attnlens outputs live and self-contained, the rest as nbconvert's lab page."""

    export_from_notebook = "HTML, attnlens widgets offline"
    offline = Bool(True, help="Leave out require.js and MathJax from the CDN unless other widgets need it").tag(
        config=True
    )

    @default("template_name")
    def _template_name_default(self) -> str:
        return "attnlens_lab"

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self) -> list[str]:
        return [*super()._default_extra_template_basedirs(), str(TEMPLATES)]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.register_preprocessor(AttnlensPreprocessor, enabled=True)

    def from_notebook_node(  # type: ignore[override]
        self, nb: nbformat.NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        with page_state_for_kernels():
            output, resources = super().from_notebook_node(nb, resources, **kw)
        return output, resources

    def _init_resources(self, resources: Any) -> Any:
        resources = super()._init_resources(resources)
        resources.setdefault("attnlens", {"live": 0, "pictures": 0, "keep_cdn": False})
        return resources

    def _preprocess(self, nb: nbformat.NotebookNode, resources: Any) -> Any:
        nb, resources = super()._preprocess(nb, resources)
        if not self.offline:
            resources["attnlens"]["keep_cdn"] = True
        return nb, resources


def export_notebook(
    path: str | os.PathLike[str], out: str | os.PathLike[str] | None = None, execute: bool = True, timeout: int = 600
) -> tuple[pathlib.Path, dict[str, int]]:
    """Write ``path`` as one offline HTML file (``out``, default beside it with ``.html``); run it first
    (in its own folder) unless ``execute`` is False. Returns the file and ``{"live", "pictures"}`` counts."""
    source = pathlib.Path(path)
    if source.suffix != ".ipynb":
        raise ValueError(f"{source}: expected a notebook (.ipynb)")
    if not source.is_file():
        raise ValueError(f"{source}: no such notebook")
    target = pathlib.Path(out) if out is not None else source.with_suffix(".html")
    if target.resolve() == source.resolve():
        raise ValueError(f"{target}: would overwrite the notebook")
    nb = nbformat.read(source, as_version=4)
    config = Config({"ExecutePreprocessor": {"enabled": execute, "timeout": timeout}})
    resources = {"metadata": {"path": str(source.resolve().parent), "name": source.stem}}
    body, resources = AttnlensHTMLExporter(config=config).from_notebook_node(nb, resources=resources)
    target.write_text(body, encoding="utf-8")
    counts = resources.get("attnlens", {})
    return target, {"live": int(counts.get("live", 0)), "pictures": int(counts.get("pictures", 0))}
