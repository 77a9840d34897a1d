"""The kernel follows the wire contract (src/attnlens/contract.json); drift fails here."""

from __future__ import annotations

import json
import pathlib

import pytest
import traitlets

import attnlens as al
from attnlens.analysis.attribution import METHODS as ANALYSIS_METHODS
from attnlens.capture.interventions import MODES as INTERVENTION_MODES
from attnlens.widget import contract
from attnlens.widget.lens import Lens
from attnlens.widget.protocol import HANDLERS, answer
from attnlens.widget.session import Session
from attnlens.widget.wire import SAVED

RAW = json.loads((pathlib.Path(al.__file__).parent / "contract.json").read_text(encoding="utf-8"))

# A valid value per field type (for the bundled model's trace), and values the kernel must refuse.
GOOD = {"layer": 1, "int": 2, "text": "x", "method": "saliency", "pairs": [[0, 1]], "ablation_mode": "mean",
        "heads": [0, 1], "power_of_two": 2}
# Fields whose valid range depends on the others (level-of-detail tiles and aligned row windows).
GOOD_BY_NAME = {"start": 0, "row": 0, "col": 0}
BAD = {
    "layer": [99, -1, "1", None, True],
    "int": [-1, 1 << 40, "2", None, 1.5],
    "text": [7, "x" * 30_000, ["x"]],
    "method": [None, 3, "shapley_magic"],
    "pairs": ["0,1", [[0]], [["a", 1]], 5],
    "ablation_mode": ["half", 3],
    "version": [None, 99, "1"],
    "choice": ["sum", 3, None],
    "heads": [[], [0, 99], [1, 0], "0", None],
    "power_of_two": [3, 0, -2, "2", None],
}


def test_the_registry_answers_exactly_the_contract_kinds() -> None:
    assert set(HANDLERS) == set(RAW["requests"]) == set(contract.REQUESTS)


def test_lens_traits_and_defaults_are_the_contract() -> None:
    synced = {n for n, t in Lens.class_traits(sync=True).items() if not n.startswith("_")}
    synced -= set(traitlets.HasTraits.class_traits(sync=True)) | {"layout", "tabbable", "tooltip"}
    synced = {n for n in synced if n in Lens.class_own_traits() or n in contract.TRAITS}
    assert synced == set(contract.SYNCED_TRAITS)
    for t in RAW["traits"]:
        default = Lens.class_traits()[t["name"]].default()
        assert default == t["default"], t["name"]
    assert contract.STATE_TRAITS == (*[t["name"] for t in RAW["traits"]], "_meta")


def test_methods_and_modes_are_what_the_analyses_implement() -> None:
    assert contract.METHODS == ANALYSIS_METHODS
    assert contract.ABLATION_MODES == INTERVENTION_MODES
    assert contract.TRAITS["method"].values == ANALYSIS_METHODS
    assert set(contract.METHOD_LABELS) == set(ANALYSIS_METHODS)


def test_every_saved_rule_exists_and_every_view_has_a_title() -> None:
    assert {r.saved for r in contract.REQUESTS.values()} - {None} <= set(SAVED)
    assert [v["id"] for v in sorted(RAW["views"], key=lambda v: v["order"])] == list(contract.VIEW_IDS)
    assert all(v.title for v in contract.VIEWS)


def test_the_meta_names_the_logits_stack(bundled, bundled_tokenizer) -> None:
    lens = Lens(al.trace(bundled[0], bundled_tokenizer, "one two three"))
    assert lens._meta["logits_stack"] == "self" and lens._meta["methods"] == list(contract.METHODS)


@pytest.fixture(scope="module")
def lens(bundled, bundled_tokenizer):
    model = bundled[0]
    a = al.trace(model, bundled_tokenizer, "the cat sat on the mat")
    return al.compare(a, al.trace(model, bundled_tokenizer, "the dog sat on the mat"))


def _request(kind: str, version: int) -> dict:
    fields = {
        f.name: GOOD_BY_NAME.get(f.name, f.values[0] if f.values else GOOD.get(f.type, version))
        for f in contract.REQUESTS[kind].fields
    }
    return {"kind": "request", "what": kind, "stack": "self", "id": 1, **fields}


@pytest.mark.parametrize("kind", sorted(contract.REQUESTS))
def test_every_kind_refuses_each_bad_field_by_name(lens, kind: str) -> None:
    session: Session = lens._session
    version = max(session.runs)
    for field in contract.REQUESTS[kind].fields:
        for bad in BAD[field.type]:
            request = {**_request(kind, version), field.name: bad}
            reply, buffers = answer(lens.trace, request, session)
            assert reply["kind"] == "error" and buffers == [] and reply["id"] == 1, (field.name, bad, reply)
            words = {field.name, "method", "comparison", "edit box", "ablation mode"}
            assert any(w in reply["message"] for w in words), (field.name, bad, reply["message"])


@pytest.mark.parametrize("kind", sorted(k for k, r in contract.REQUESTS.items() if not r.reruns))
def test_every_kind_that_reads_the_trace_is_answered(lens, kind: str) -> None:
    reply, _ = answer(lens.trace, _request(kind, max(lens._session.runs)), lens._session)
    assert reply["kind"] == "reply" and reply["what"] == kind, reply
    parts = reply["key"].split(":")
    assert parts[:2] == [kind, "self"] and len(parts) == 2 + len(contract.REQUESTS[kind].key)
