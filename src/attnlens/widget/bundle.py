"""Where the front-end bundle lives (``attnlens/static``, written by ``npm run build`` in ``js/``)."""

from __future__ import annotations

import pathlib

STATIC = pathlib.Path(__file__).resolve().parent.parent / "static"
FILES = ("widget.js", "widget.css", "standalone.js")


def check_bundle() -> None:
    """A clear error when the bundle was never built (a source checkout without ``npm run build``)."""
    for name in FILES:
        if not (STATIC / name).exists():
            raise RuntimeError(
                f"attnlens's front-end bundle {STATIC / name} is missing: install attnlens with pip "
                "(which runs the npm build), or run `npm ci && npm run build` in js/."
            )


def read(name: str) -> str:
    """One file of the bundle as text (``standalone.js``, ``widget.css``)."""
    if name not in FILES:
        raise ValueError(f"{name!r} is not a file of the bundle; it has {list(FILES)}")
    return (STATIC / name).read_text(encoding="utf-8")
