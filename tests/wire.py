"""Reading kernel replies as the page does, and the float64 softmax the tests compare against."""

from __future__ import annotations

from typing import Any

import numpy as np


def decode_array(payload: dict[str, Any]) -> np.ndarray:
    """The inverse of ``encode_array`` (float32, or the integers of uint16/uint32), as the page does it
    (test-only: the page decodes in js/src/decode.ts)."""
    dtype = payload["dtype"]
    raw = bytes(payload["buffer"])
    shape = tuple(payload["shape"])
    if dtype == "uint8":
        return np.frombuffer(raw, np.uint8).reshape(shape).astype(np.float32) / 255.0
    wire = {"float16": "<f2", "float32": "<f4", "uint16": "<u2", "uint32": "<u4"}[dtype]
    values = np.frombuffer(raw, wire).reshape(shape)
    return values.copy() if dtype.startswith("uint") else values.astype(np.float32)


def reply_arrays(reply: dict, buffers: list[bytes]) -> dict[str, np.ndarray]:
    """Every array of a reply message, decoded from its binary buffers (fails on an error reply)."""
    assert reply["kind"] == "reply", reply
    return {name: decode_array({**spec, "buffer": buffers[spec["buffer"]]}) for name, spec in reply["arrays"].items()}


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x.astype(np.float64) - x.max())
    return e / e.sum()  # type: ignore[no-any-return]
