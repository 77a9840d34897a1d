"""attnlens: see inside transformer language models, in linked views that stay in sync with Python."""

from attnlens.capture import Trace, trace

__all__ = ["Trace", "trace"]
__version__ = "0.1.0"
