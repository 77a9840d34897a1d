"""House rules that a wrong change breaks: ruff and mypy clean, token text never parsed as HTML."""

from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_is_clean() -> None:
    result = run("ruff", "check", "src", "tests", "benchmarks", "scripts")
    assert result.returncode == 0, result.stdout[-4000:]


def test_mypy_is_clean() -> None:
    result = run("mypy")
    assert result.returncode == 0, result.stdout[-4000:]


def test_front_end_source_never_parses_html() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {word}"
        for path in (ROOT / "js" / "src").rglob("*.ts")
        if not path.name.endswith(".test.ts")
        for word in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "DOMParser")
        if word in path.read_text()
    ]
    assert offenders == []
