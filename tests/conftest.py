"""Shared fixtures: real weights where the environment has them, random-weight configs otherwise."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

from collections.abc import Iterator
from typing import Any

import pytest

from browser import CHROMIUM, CHROMIUM_ARGS
from families import NoSegments, minilm_dir


@pytest.fixture(scope="session")
def minilm_tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(minilm_dir())


@pytest.fixture(scope="session")
def tokenizer(minilm_tokenizer):
    """MiniLM's real tokenizer, returning no token_type_ids (as decoder-only models expect)."""
    return NoSegments(minilm_tokenizer)


@pytest.fixture(scope="session")
def bundled():
    """The bundled model and its tokenizer (read-only in tests: ablation reruns through hooks)."""
    from attnlens.bundled import load

    return load()


@pytest.fixture(scope="session")
def bundled_tokenizer():
    from attnlens.bundled import load_tokenizer

    return load_tokenizer()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        pytest.fail(f"the e2e tests need Playwright's Python package: {err}")
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"the e2e tests need Chromium at {CHROMIUM} (apt-get install -y chromium)")
    pw = sync_playwright().start()
    try:
        try:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        except Exception as err:
            pytest.fail(f"headless Chromium at {CHROMIUM} did not start: {err}")
        try:
            yield browser
        finally:
            browser.close()
    finally:
        pw.stop()
