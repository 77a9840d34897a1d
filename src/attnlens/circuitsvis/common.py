"""What the CircuitsVis drop-in functions share: the Lens they return and the arguments attnlens
draws its own way."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from attnlens.capture.trace import Trace
    from attnlens.widget.lens import Lens


def note_ignored(function: str, **given: Any) -> None:
    """CircuitsVis colour arguments attnlens does not apply: said once, not silently dropped."""
    used = sorted(name for name, value in given.items() if value is not None)
    if used:
        warnings.warn(
            f"attnlens's {function} draws with its own colour-blind-safe palette and scale; "
            f"{', '.join(used)} {'is' if len(used) == 1 else 'are'} accepted for CircuitsVis compatibility "
            "but not applied.",
            stacklevel=3,
        )


def lens_of(trace: Trace, view: str, **traits: Any) -> Lens:
    """A Lens over ``trace`` showing ``view``; returned as the cell's value it displays itself."""
    from attnlens.widget.lens import Lens

    lens = Lens(trace)
    lens.view = view
    for name, value in traits.items():
        setattr(lens, name, value)
    return lens
