"""How the source is put together: no import cycles, Trace read through its public API, one device
helper for every rerun, and no long functions."""

from __future__ import annotations

import ast
import re

import numpy as np
import pytest
import torch

import attnlens as al
from attnlens.capture.model_run import input_device
from import_graph import SRC, cycles, import_graph

PRIVATE_TRACE = re.compile(r"\._(model|encoded|tokenizer|unembed|decode|logits_stack)\b")


def test_the_import_graph_has_no_cycle() -> None:
    graph = import_graph()
    assert "attnlens.capture.trace" in graph and graph["attnlens.widget.lens"]  # the graph is read at all
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_nobody_outside_capture_reads_a_private_field_of_trace() -> None:
    offenders = []
    for path in (SRC / "attnlens").rglob("*.py"):
        if path.parent.name == "capture":
            continue
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if PRIVATE_TRACE.search(line) and "self._" not in line:
                offenders.append(f"{path.relative_to(SRC)}:{i}: {line.strip()}")
    assert offenders == []


def test_no_module_imports_a_private_helper_of_another() -> None:
    offenders = []
    for path in (SRC / "attnlens").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("attnlens"):
                offenders += [f"{path.name}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert offenders == []


def test_every_rerun_finds_the_device_through_one_helper() -> None:
    """The input goes where the input embeddings are, even when another parameter comes first (as
    with ``device_map``): here a head on the meta device registered before the embeddings."""

    class Split(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.head = torch.nn.Linear(2, 2, device="meta")
            self.embed = torch.nn.Embedding(4, 2)

        def get_input_embeddings(self) -> torch.nn.Module:
            return self.embed

    model = Split()
    assert next(model.parameters()).device.type == "meta"
    assert input_device(model) == torch.device("cpu")
    for path in (SRC / "attnlens").rglob("*.py"):  # nobody else picks a device for the input
        text = path.read_text(encoding="utf-8")
        if path.name != "model_run.py":
            assert "def input_device" not in text and "next(model.parameters()).device" not in text, path


def test_the_public_api_of_a_trace(bundled, bundled_tokenizer) -> None:
    model = bundled[0]
    tr = al.trace(model, bundled_tokenizer, "the cat sat on the mat")
    assert tr.source is not None and tr.source.model is model and tr.source.tokenizer is bundled_tokenizer
    assert tr.source.device == torch.device("cpu") and tr.can_rerun and tr.has_logit_lens
    assert tr.predicted_positions == range(tr.n_tokens)
    with torch.no_grad():
        logits = model(**tr.source.inputs()).logits[0, 3].double()
    np.testing.assert_allclose(tr.probabilities(3), torch.softmax(logits, -1).numpy(), atol=1e-5)
    ids = [int(i) for i in tr.token_ids[:3]]
    assert tr.decode(ids) == tr.tokens[:3] and tr.token_text(ids[1]) == tr.tokens[1]
    assert tr.input_text() == "the cat sat on the mat"
    again = tr.retrace_text("the dog sat")
    np.testing.assert_allclose(again.attention(0), al.trace(model, bundled_tokenizer, "the dog sat").attention(0))
    with pytest.warns(DeprecationWarning, match="logits_stack"):
        assert tr._logits_stack == tr.logits_stack == "self"


def test_a_trace_without_a_model_says_so() -> None:
    from attnlens.widget.bertviz_compat import build_trace

    tr, _, _ = build_trace(attention=(np.full((1, 1, 2, 2), 0.5, np.float32),), tokens=["a", "b"])
    assert tr.source is None and not tr.can_rerun and tr.predicted_positions == range(0)
    assert tr.decode([5]) == ["5"] and tr.input_text() == "ab"
    with pytest.raises(ValueError, match="keeps no model"):
        tr.retrace_text("x")


def test_the_decoder_side_has_its_own_name_and_the_old_one_still_works(minilm_tokenizer) -> None:
    from families import NoSegments, build

    model, tok = build("t5", "eager"), NoSegments(minilm_tokenizer)
    new = al.trace(model, tok, "the cat sat", decoder_text="le chat")
    with pytest.warns(DeprecationWarning, match=r"trace\(decoder_text=\.\.\.\)"):
        old = al.trace(model, tok, "the cat sat", target="le chat")
    assert new.decoder_tokens == old.decoder_tokens and new.decoder_tokens is not None
    with pytest.warns(DeprecationWarning, match="decoder_tokens"):
        assert new.target_tokens == new.decoder_tokens
    with pytest.warns(DeprecationWarning, match="decoder_ids"):
        np.testing.assert_array_equal(new.target_ids, new.decoder_ids)
    with pytest.warns(DeprecationWarning, match="decoder_special"):
        assert new.target_special == new.decoder_special
    with pytest.raises(TypeError, match="decoder_text= only"), pytest.warns(DeprecationWarning):
        al.trace(model, tok, "the cat sat", decoder_text="a", target="b")


def test_no_python_function_is_over_80_lines() -> None:
    long = []
    for path in (SRC / "attnlens").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno:
                if node.end_lineno - node.lineno + 1 > 80:
                    long.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name}")
    assert long == []
