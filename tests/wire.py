"""Reading kernel replies as the page does, and the float64 softmax the tests compare against."""

from __future__ import annotations

import numpy as np

from attnlens.widget.payload import decode_array


def reply_arrays(reply: dict, buffers: list[bytes]) -> dict[str, np.ndarray]:
    """Every array of a reply message, decoded from its binary buffers (fails on an error reply)."""
    assert reply["kind"] == "reply", reply
    return {name: decode_array({**spec, "buffer": buffers[spec["buffer"]]}) for name, spec in reply["arrays"].items()}


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x.astype(np.float64) - x.max())
    return e / e.sum()  # type: ignore[no-any-return]
