"""Fixtures of the browser tests: one Jupyter server and one headless Chromium for the whole run."""

from __future__ import annotations

import os
import pathlib
from collections.abc import Iterator

import pytest
from lab_server import JupyterServer, start_server

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def jupyter_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    base: pathlib.Path = tmp_path_factory.mktemp("jupyter")
    server = start_server(base)
    try:
        yield server
    finally:
        server.stop()
