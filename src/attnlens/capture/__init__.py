"""Capture: one forward pass with hooks → a Trace. The only package that knows architectures."""

from attnlens.capture.generate import generate
from attnlens.capture.run import trace
from attnlens.capture.trace import LogitLens, Trace

__all__ = ["LogitLens", "Trace", "generate", "trace"]
