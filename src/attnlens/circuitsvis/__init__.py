"""A drop-in for CircuitsVis: ``from attnlens import circuitsvis as cv``.

``cv.attention.attention_patterns``, ``cv.attention.attention_heads`` and ``cv.tokens.colored_tokens``
take CircuitsVis's arguments and return attnlens's widget (a ``Lens``): linked views, offline (no
CDN), in sync with Python, and usable on long inputs. ``lens.save_html(path)`` writes the offline page.
"""

from attnlens.circuitsvis import attention, tokens

__all__ = ["attention", "tokens"]
