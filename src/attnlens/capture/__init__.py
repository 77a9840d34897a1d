"""Capture: one forward pass with hooks → a Trace. The only package that knows architectures."""

from attnlens.capture.trace import Trace
from attnlens.capture.tracer import trace

__all__ = ["Trace", "trace"]
