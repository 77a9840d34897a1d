"""The front end's own checks, run from pytest so one command covers the whole suite."""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
JS = ROOT / "js"


def npm(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    npm_bin = shutil.which("npm")
    assert npm_bin, "npm is not installed: install Node 20 and npm, then run `npm ci` in js/"
    assert (JS / "node_modules").exists(), "js/node_modules is missing: run `npm ci` in js/"
    env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0", "CI": "true"}
    result = subprocess.run([npm_bin, *args], cwd=JS, capture_output=True, text=True, timeout=timeout, env=env)
    ansi = re.compile(r"\x1b\[[0-9;]*m")
    return subprocess.CompletedProcess(result.args, result.returncode, ansi.sub("", result.stdout),
                                       ansi.sub("", result.stderr))


def test_vitest_unit_tests_pass() -> None:
    result = npm("test", "--", "--reporter=dot")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    passed = re.search(r"Tests\s+(\d+) passed", output)
    assert passed and int(passed.group(1)) >= 10, output[-2000:]


def test_typescript_is_strict_and_clean() -> None:
    tsconfig = (JS / "tsconfig.json").read_text()
    assert re.search(r'"strict"\s*:\s*true', tsconfig)
    result = npm("run", "typecheck")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


def test_bundle_makes_no_network_requests_and_never_parses_html() -> None:
    bundle = (ROOT / "src/attnlens/static/widget.js").read_text()
    for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert forbidden not in bundle, forbidden
    for host in ("http://", "https://", "//cdn", "fonts.googleapis"):
        assert host not in bundle.replace("http://www.w3.org/2000/svg", ""), host


def test_wheel_contains_the_bundle_and_the_bundled_model(tmp_path: pathlib.Path) -> None:
    result = subprocess.run(
        ["python3", "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    (wheel,) = tmp_path.glob("attnlens-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"attnlens/static/widget.js", "attnlens/static/widget.css"} <= names
    assert "attnlens/bundled/model/config.json" in names
    assert any(n.startswith("attnlens/bundled/model/") and n.endswith(".safetensors") for n in names)
