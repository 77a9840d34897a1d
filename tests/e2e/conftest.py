"""Fixtures of the browser tests: one Jupyter server and one headless Chromium for the whole run."""

from __future__ import annotations

import os
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
from e2e_helpers import CHROMIUM, CHROMIUM_ARGS, JupyterServer, start_server

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def jupyter_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    base: pathlib.Path = tmp_path_factory.mktemp("jupyter")
    server = start_server(base)
    try:
        yield server
    finally:
        server.stop()


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
