"""Fuzzing the data path end to end: random texts and requests through trace → protocol.answer →
protocol.chunked → the page's own ReplyCache and decoder (js/dev/decode-entry.ts bundled by esbuild,
one Node process for the whole module). What JS decodes must equal what Python sent: integers exactly,
float16/uint8 within their quantization, shapes equal; no request may crash either side."""

from __future__ import annotations

import base64
import json
import pathlib
import subprocess
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import attnlens as al
from attnlens.widget.contract import REQUESTS
from attnlens.widget.payload import encode_array
from attnlens.widget.protocol import answer, chunked, request_key
from families import build
from wire import decode_array

JS = pathlib.Path(__file__).resolve().parents[1] / "js"
DRIVER = """require('./decode.js');
const rl = require('readline').createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let out;
  try { const m = JSON.parse(line); out = { ok: globalThis.attnlensDecode(m.key, m.messages) }; }
  catch (e) { out = { crash: String((e && e.stack) || e) }; }
  process.stdout.write(JSON.stringify(out) + '\\n');
});
"""
FUZZ = settings(derandomize=True, deadline=None, max_examples=40,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


class Decoder:
    """One Node process running the bundled decoder; one JSON line per request."""

    def __init__(self, workdir: pathlib.Path) -> None:
        esbuild = JS / "node_modules" / ".bin" / "esbuild"
        subprocess.run([str(esbuild), str(JS / "dev" / "decode-entry.ts"), "--bundle", "--format=iife",
                        "--platform=node", f"--outfile={workdir / 'decode.js'}", "--log-level=warning"],
                       check=True, cwd=JS)
        (workdir / "driver.cjs").write_text(DRIVER)
        self.proc = subprocess.Popen(["node", str(workdir / "driver.cjs")], cwd=workdir, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def decode(self, key: str, messages: list[tuple[dict[str, Any], list[Any]]]) -> dict[str, Any]:
        wire = [{"content": m, "buffers": [base64.b64encode(bytes(b)).decode("ascii") for b in bufs]}
                for m, bufs in messages]
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"key": key, "messages": wire}) + "\n")
        self.proc.stdin.flush()
        out = json.loads(self.proc.stdout.readline())
        assert "crash" not in out, out["crash"]
        return out["ok"]  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def decoder(tmp_path_factory) -> Iterator[Decoder]:
    d = Decoder(tmp_path_factory.mktemp("js-decoder"))
    try:
        yield d
    finally:
        d.close()


@pytest.fixture(scope="module")
def model():
    return build("gpt2", "sdpa")


def bound(dtype: str, reference: np.ndarray) -> np.ndarray:
    """How far a decoded value may be from the value before encoding."""
    if dtype == "uint8":
        return np.full(reference.shape, 0.5 / 255 + 1e-7)
    if dtype == "float16":
        return np.abs(reference) * 2.0**-11 + 2.0**-24
    if dtype == "float32":
        return np.abs(reference) * 2.0**-23
    return np.zeros(reference.shape)


def check_same(sent: dict[str, Any], buffers: list[bytes], got: dict[str, Any]) -> None:
    """JS's decoding of the reply against Python's own decoding of the same bytes."""
    assert got["state"] == "ready", got
    assert set(got["arrays"]) == set(sent["arrays"])
    for name, spec in sent["arrays"].items():
        js = got["arrays"][name]
        assert js["dtype"] == spec["dtype"] and js["shape"] == list(spec["shape"]), (name, js["shape"], spec)
        py = decode_array({**spec, "buffer": buffers[spec["buffer"]]}).astype(np.float64).ravel()
        values = np.asarray(js["values"], np.float64)
        assert values.shape == py.shape, name
        if spec["dtype"] in ("uint16", "uint32"):
            np.testing.assert_array_equal(values, py, err_msg=name)
        else:  # the same bytes: only float32 rounding of the scale may differ
            np.testing.assert_allclose(values, py, rtol=1e-6, atol=1e-7, err_msg=name)
    assert got["data"] == json.loads(json.dumps(sent["data"]))


TEXTS = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40).filter(lambda t: t.strip() != "")


# The kinds that only read the trace and take a layer and/or a neuron (the level-of-detail kinds,
# which take more fields, are fuzzed against their float64 reference in test_attention_lod*.py).
READS = sorted(
    k for k, r in REQUESTS.items() if not r.reruns and {f.name for f in r.fields} <= {"layer", "neuron"}
)


@FUZZ
@given(text=TEXTS, what=st.sampled_from(READS), layer=st.integers(-1, 3),
       neuron=st.integers(-1, 300), limit=st.sampled_from([1 << 30, 257, 64]))
def test_trace_replies_decode_in_js_as_sent(model, tokenizer, decoder, text, what, layer, neuron, limit) -> None:
    try:
        tr = al.trace(model, tokenizer, text)
    except ValueError as err:  # a text the tokenizer turns into nothing says so
        assert "no tokens" in str(err) or "empty" in str(err), err
        return
    request = {"kind": "request", "what": what, "stack": "self", "layer": layer, "neuron": neuron, "id": 1}
    reply, buffers = answer(tr, request)
    fields = {f.name for f in REQUESTS[what].fields}
    needs_layer, needs_neuron = "layer" in fields, "neuron" in fields
    if reply["kind"] == "error":  # only out-of-range selections may fail, with a message naming them
        n_neurons = model.config.n_inner or 4 * model.config.n_embd
        assert (needs_layer and not 0 <= layer < tr.n_layers) or (needs_neuron and not 0 <= neuron < n_neurons), reply
        assert "out of range" in reply["message"]
        key = request_key(what, "self", layer if needs_layer else None, neuron if needs_neuron else None)
        got = decoder.decode(key, [(reply, buffers)])
        if reply["key"] is None:  # a request Python could not even name: not tied to this key
            assert got["state"] == "loading" and got["arrays"] == {}, got
        else:
            assert got == {"state": "error", "message": reply["message"], "arrays": {}, "data": {}}, got
        return
    messages = chunked(reply, buffers, limit=limit)
    got = decoder.decode(reply["key"], messages)
    check_same(reply, buffers, got)
    if what == "attention":  # and against the trace itself, within the wire dtype's step
        ref = tr.attention(layer).astype(np.float64)
        js = np.asarray(got["arrays"]["attention"]["values"]).reshape(ref.shape)
        assert np.all(np.abs(js - ref) <= bound(reply["arrays"]["attention"]["dtype"], ref) + 1e-7)


@FUZZ
@given(dtype=st.sampled_from(["float16", "uint8", "float32", "uint16", "uint32"]),
       shape=st.lists(st.integers(0, 7), min_size=1, max_size=3), seed=st.integers(0, 2**32 - 1),
       limit=st.sampled_from([1 << 30, 5, 64]))
def test_arrays_of_every_wire_dtype_decode_within_their_bound(decoder, dtype, shape, seed, limit) -> None:
    rng = np.random.default_rng(seed)
    if dtype == "uint8":
        values = rng.random(shape)
    elif dtype == "uint16":
        values = rng.integers(0, 0xFFFF, shape, endpoint=True)
    elif dtype == "uint32":
        values = rng.integers(0, 0xFFFFFFFF, shape, endpoint=True, dtype=np.uint64)
    else:
        values = rng.normal(0, 10.0 ** rng.integers(-6, 5), shape)
    payload = encode_array(values, dtype)  # type: ignore[arg-type]
    reply = {"kind": "reply", "what": "x", "key": "x:self", "id": 1, "data": {},
             "arrays": {"a": {"dtype": dtype, "shape": list(shape), "buffer": 0}}}
    got = decoder.decode("x:self", chunked(reply, [payload["buffer"]], limit=limit))
    check_same(reply, [payload["buffer"]], got)
    js = np.asarray(got["arrays"]["a"]["values"], np.float64).reshape(shape)
    ref = np.asarray(values, np.float64)
    if dtype == "float16":  # float16 overflows above 65504: compare where it can represent the value
        ok = np.abs(ref) < 65504
        assert np.all(np.abs(js - ref)[ok] <= bound(dtype, ref)[ok] + 2.0**-24)
    else:
        assert np.all(np.abs(js - ref) <= bound(dtype, ref)), (js, ref)
