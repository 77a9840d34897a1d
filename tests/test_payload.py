"""Serializer round trip: what Python sends is what the page decodes (same formulas as decode.ts)."""

from __future__ import annotations

import numpy as np
import pytest

from attnlens.widget.payload import attention_wire_dtype, encode_array, encode_attention
from wire import decode_array


def test_float16_round_trip_is_within_half_precision() -> None:
    rng = np.random.default_rng(0)
    values = rng.random((3, 5, 5)).astype(np.float32)
    payload = encode_array(values, "float16")
    assert isinstance(payload["buffer"], bytes) and len(payload["buffer"]) == values.size * 2
    assert payload["shape"] == [3, 5, 5]
    assert np.abs(decode_array(payload) - values).max() <= 2**-11


def test_uint8_round_trip_is_within_half_a_step() -> None:
    values = np.linspace(0, 1, 1001, dtype=np.float32).reshape(7, 11, 13)[:, :, :]
    payload = encode_array(values, "uint8")
    assert len(payload["buffer"]) == values.size
    assert np.abs(decode_array(payload) - values).max() <= 0.5 / 255 + 1e-7


def test_bytes_are_little_endian_half_floats() -> None:
    payload = encode_array(np.array([1.0, -2.0, 0.5], dtype=np.float32), "float16")
    assert payload["buffer"] == bytes.fromhex("003c00c00038")


def test_attention_switches_to_uint8_for_long_inputs() -> None:
    assert attention_wire_dtype(12, 128) == "float16"
    assert attention_wire_dtype(12, 512) == "uint8"
    big = np.full((12, 512, 512), 1 / 512, dtype=np.float32)
    assert len(encode_attention(big)["buffer"]) == 12 * 512 * 512  # 3 MiB, not 12 MiB of float32


@pytest.mark.parametrize("bad", [np.array([np.nan]), np.array([np.inf])])
def test_non_finite_values_are_refused_with_a_message(bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match="non-finite"):
        encode_array(bad, "float16")


def test_uint8_refuses_values_outside_unit_interval() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        encode_array(np.array([1.5]), "uint8")
