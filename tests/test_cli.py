"""The attnlens command: the offline demo, html for any model, and one-line errors with exit code 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from attnlens.cli import main
from families import minilm_dir
from test_static_export import embedded_state


def attnlens(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "attnlens.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def test_demo_writes_a_page_of_the_bundled_model(tmp_path) -> None:
    result = attnlens("demo", "--out", str(tmp_path / "demo.html"))
    assert result.returncode == 0, result.stderr
    state = embedded_state((tmp_path / "demo.html").read_text())
    assert "Hermione Granger met Harry Potter" in "".join(state["_meta"]["tokens"])
    assert state["_meta"]["model_name"].endswith("bundled/model")
    assert {f"attention:self:{i}" for i in range(state["_meta"]["n_layers"])} <= set(state["_replies"])
    assert "logit_lens:self" in state["_replies"]
    assert "wrote" in result.stdout and "demo.html" in result.stdout


def test_html_for_a_model_directory(tmp_path) -> None:
    out = tmp_path / "lens.html"
    result = attnlens("html", "Paris is lovely.", "--model", minilm_dir(), "--out", str(out), "--layer", "3")
    assert result.returncode == 0, result.stderr
    assert '"layer":3' in out.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["html", "hi", "--model", minilm_dir(), "--layer", "9"], "layer 9 is out of range"),
        (["html", "", "--model", minilm_dir()], "text is empty"),
        (["html", "hi", "--model", "/no/such/dir"], "no model directory at '/no/such/dir'"),
        (["html", "hi"], "the following arguments are required: --model"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_code_2(args, message, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("attnlens")


def test_help_explains_each_option(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["html", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--model", "--out", "--layer"):
        assert option in out
