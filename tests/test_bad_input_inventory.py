"""Each bad input in the inventory gets its clear error, and docs/bad-inputs.md shows exactly that."""

from __future__ import annotations

import pytest

from bad_inputs import CASES, DOC, message_of, render


@pytest.mark.parametrize("case", CASES, ids=[f"{c.where}: {c.what}" for c in CASES])
def test_bad_input_gets_a_clear_message(case) -> None:
    message = message_of(case)
    assert len(message) > 25, message  # says what was wrong, not just "invalid"
    assert "Traceback" not in message and "torch/" not in message


def test_inventory_has_at_least_15_cases_across_api_widget_and_cli() -> None:
    assert len(CASES) >= 15
    assert {c.where for c in CASES} == {"API", "widget", "page", "CLI"}


def test_the_document_matches_what_users_get() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/bad-inputs.md is out of date: run PYTHONPATH=src:tests python tests/bad_inputs.py --write"
    )
