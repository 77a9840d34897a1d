"""Arrays → compact binary payloads for the page, never JSON lists of floats.

A payload is ``{"dtype", "shape", "buffer"}``; ipywidgets sends the bytes as a binary buffer and
the page reads them through a DataView (``js/src/decode.ts`` mirrors this module).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

WireDtype = Literal["float16", "uint8", "float32", "uint16", "uint32"]

# Above this many bytes per layer as float16, attention goes as uint8 (1/255 steps: plenty for
# line opacity and heatmaps, and it halves the bytes at long sequences).
FLOAT16_LAYER_LIMIT = 1 << 20


def attention_wire_dtype(n_heads: int, n_tokens: int) -> WireDtype:
    return "float16" if n_heads * n_tokens * n_tokens * 2 <= FLOAT16_LAYER_LIMIT else "uint8"


def encode_array(values: np.ndarray, dtype: WireDtype) -> dict[str, Any]:
    """Little-endian bytes of ``values`` in ``dtype``. uint8 encodes values in [0, 1] as round(v·255)."""
    values = np.asarray(values)
    if not np.all(np.isfinite(values)):
        raise ValueError("cannot send non-finite values (NaN or inf) to the page; the trace holds NaN")
    if dtype == "uint8":
        if values.size and (values.min() < 0 or values.max() > 1):
            raise ValueError("uint8 payloads carry values in [0, 1] only")
        data = np.rint(values * 255.0).astype(np.uint8)
    elif dtype == "float16":
        data = values.astype("<f2")
    elif dtype == "float32":
        data = values.astype("<f4")
    elif dtype in ("uint16", "uint32"):  # indices: exact integers
        limit = 0xFFFF if dtype == "uint16" else 0xFFFFFFFF
        if values.size and (values.min() < 0 or values.max() > limit or not np.all(values == np.rint(values))):
            raise ValueError(f"{dtype} payloads carry integers in [0, {limit}] only")
        data = values.astype("<u2" if dtype == "uint16" else "<u4")
    else:
        raise ValueError(f"unknown wire dtype {dtype!r}; use float16, uint8 or float32")
    return {"dtype": dtype, "shape": list(values.shape), "buffer": np.ascontiguousarray(data).tobytes()}


def decode_array(payload: dict[str, Any]) -> np.ndarray:
    """The inverse of ``encode_array`` (float32, or the integers of uint16/uint32), as the page does it."""
    dtype = payload["dtype"]
    raw = bytes(payload["buffer"])
    shape = tuple(payload["shape"])
    if dtype == "uint8":
        return np.frombuffer(raw, np.uint8).reshape(shape).astype(np.float32) / 255.0
    wire = {"float16": "<f2", "float32": "<f4", "uint16": "<u2", "uint32": "<u4"}[dtype]
    values = np.frombuffer(raw, wire).reshape(shape)
    return values.copy() if dtype.startswith("uint") else values.astype(np.float32)


def encode_attention(attention: np.ndarray) -> dict[str, Any]:
    """One layer's attention [heads, tokens, tokens] in the smallest faithful wire dtype."""
    heads, n_tokens, _ = attention.shape
    return encode_array(attention, attention_wire_dtype(heads, n_tokens))
