"""What one Lens keeps between page requests: reruns (ablations, an edited text) and the answers the
kernel computed on request, so a later ``save_html`` carries them too."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from attnlens.capture.trace import Trace

ABLATIONS_KEPT = 4
RUNS_KEPT = 4
COMPUTED_BYTES = 32 << 20  # replies kept for save_html, newest first, up to this many buffer bytes


@dataclass
class Session:
    """Per-widget state; never shared between widgets."""

    runs: OrderedDict[int, Trace] = field(default_factory=OrderedDict)
    """Second runs of a comparison (al.compare, or the page's edit box) by version, newest last;
    the page names the version it shows, so an edit never mixes two runs in one view."""
    _ablations: OrderedDict[str, Trace] = field(default_factory=OrderedDict)
    computed: OrderedDict[str, tuple[dict[str, Any], list[bytes]]] = field(default_factory=OrderedDict)
    """Request key → the reply and buffers the kernel computed for the page, newest last."""

    def ablated(self, spec: str, run: Callable[[], Trace]) -> Trace:
        """The ablated rerun named ``spec``, computed once and kept for the next few layer requests."""
        if spec in self._ablations:
            self._ablations.move_to_end(spec)
            return self._ablations[spec]
        result = run()
        self._ablations[spec] = result
        while len(self._ablations) > ABLATIONS_KEPT:
            self._ablations.popitem(last=False)
        return result

    def add_run(self, trace: Trace) -> int:
        version = max(self.runs, default=0) + 1
        self.runs[version] = trace
        while len(self.runs) > RUNS_KEPT:
            self.runs.popitem(last=False)
        return version

    def run(self, version: int) -> Trace:
        if version not in self.runs:
            raise ValueError(f"comparison {version} is no longer kept; press Compare again to rerun it")
        return self.runs[version]

    def remember(self, key: str, reply: dict[str, Any], buffers: list[bytes]) -> None:
        """Keep a computed reply for ``save_html`` (attributions and ablations cannot be recomputed
        without the model, and are slow to recompute with it)."""
        self.computed[key] = (reply, buffers)
        self.computed.move_to_end(key)
        total = sum(len(b) for _, bufs in self.computed.values() for b in bufs)
        while total > COMPUTED_BYTES and len(self.computed) > 1:
            _, (_, dropped) = self.computed.popitem(last=False)
            total -= sum(len(b) for b in dropped)
