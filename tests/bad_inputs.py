"""The inventory of bad inputs and the exact message each gets; docs/bad-inputs.md is rendered from it.

Run ``PYTHONPATH=src:tests python tests/bad_inputs.py --write`` after changing a message; the test
``test_bad_input_inventory.py`` fails when the document and the messages disagree.
"""

from __future__ import annotations

import os
import pathlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "bad-inputs.md"


@dataclass(frozen=True)
class Case:
    where: str  # API, widget trait, CLI
    what: str  # the bad input, in words
    run: Callable[[], Any]
    error: type[BaseException]


@cache
def _bundled() -> tuple[Any, Any]:
    from attnlens.bundled import load

    return load()


@cache
def _trace() -> Any:
    import attnlens as al

    model, tok = _bundled()
    return al.trace(model, tok, "When Mary and John went to the store, John gave a drink to")


def _lens() -> Any:
    import attnlens as al

    return al.Lens(_trace())


def _al() -> Any:
    import attnlens as al

    return al


def _set(trait: str, value: Any) -> Callable[[], Any]:
    return lambda: setattr(_lens(), trait, value)


def _cli(*args: str) -> Callable[[], Any]:
    from attnlens.cli import main

    return lambda: main(list(args))


def _bundled_dir() -> str:
    from attnlens.bundled import model_dir

    return model_dir()


def _meta_model() -> Any:
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    with torch.device("meta"):
        return GPT2LMHeadModel(GPT2Config(n_layer=1, n_head=2, n_embd=16))


def _nan_model() -> Any:
    import torch

    from attnlens.bundled import load_model

    model = load_model()
    with torch.no_grad():
        model.model.layers[0].self_attn.q_proj.weight[0, 0] = float("nan")
    return model


def _no_inference_mode() -> Any:
    import torch

    with torch.inference_mode():
        return _trace().attribute(method="saliency")


def _page(request: dict[str, Any]) -> Callable[[], Any]:
    """What the widget shows for a request from the page: the kernel's error reply, raised here."""

    def run() -> Any:
        from attnlens.widget.protocol import answer

        reply, _ = answer(_trace(), request, _lens()._session)
        if reply["kind"] == "error":
            raise ValueError(reply["message"])
        return reply

    return run


def _encoder_matrix() -> Any:
    from transformers import AutoModel, AutoTokenizer

    from families import minilm_dir

    model, tok = AutoModel.from_pretrained(minilm_dir()), AutoTokenizer.from_pretrained(minilm_dir())
    return _al().trace(model, tok, "the cat sat").attribute_matrix()


def _seq2seq_matrix() -> Any:
    from transformers import AutoTokenizer

    from families import NoSegments, build, minilm_dir

    tok = NoSegments(AutoTokenizer.from_pretrained(minilm_dir()))
    return _al().trace(build("t5", "eager"), tok, "the cat sat", decoder_text="le chat").attribute_matrix()


def _other_model_trace() -> Any:
    from transformers import AutoTokenizer

    from families import NoSegments, build, minilm_dir

    tok = NoSegments(AutoTokenizer.from_pretrained(minilm_dir()))
    return _al().trace(build("gpt2", "sdpa"), tok, "When Mary and John went")


def _compare_other_model() -> Any:
    from attnlens.analysis.compare import compare_traces

    return compare_traces(_trace(), _other_model_trace())


def _lens_compare_other_model() -> Any:
    return _al().compare(_trace(), _other_model_trace())


def _compare(*args: Any, **kwargs: Any) -> Callable[[], Any]:
    def run() -> Any:
        from attnlens.analysis.compare import compare_traces

        return compare_traces(*args, **kwargs)

    return run


def _patch(clean: str, corrupt: str, **kwargs: Any) -> Callable[[], Any]:
    def run() -> Any:
        model, tok = _bundled()
        return _al().patch(_al().trace(model, tok, clean), _al().trace(model, tok, corrupt), progress=False, **kwargs)

    return run


def _patch_other_model() -> Any:
    return _al().patch(_trace(), _other_model_trace(), progress=False)


def _base_model_logit_attribution() -> Any:
    from transformers import AutoModel, AutoTokenizer

    from families import minilm_dir

    model, tok = AutoModel.from_pretrained(minilm_dir()), AutoTokenizer.from_pretrained(minilm_dir())
    return _al().trace(model, tok, "the cat sat").logit_attribution(100)


def _traitlets_error() -> type[BaseException]:
    import traitlets

    return traitlets.TraitError


CASES: list[Case] = [
    Case("API", "text is empty", lambda: _al().trace(*_bundled(), "  "), ValueError),
    Case("API", "text is not a string", lambda: _al().trace(*_bundled(), 42), TypeError),
    Case("API", "text longer than the model's positions", lambda: _al().trace(*_bundled(), "word " * 600),
         ValueError),
    Case("API", "model is not a transformers model", lambda: _al().trace("gpt2", _bundled()[1], "hi"), TypeError),
    Case("API", "tokenizer is not a tokenizer", lambda: _al().trace(_bundled()[0], "gpt2", "hi"), TypeError),
    Case("API", "model still on the meta device", lambda: _al().trace(_meta_model(), _bundled()[1], "hi"),
         ValueError),
    Case("API", "weights contain NaN", lambda: _al().trace(_nan_model(), _bundled()[1], "hello there"), ValueError),
    Case("API", "layer out of range", lambda: _trace().attention(7), ValueError),
    Case("API", "`decoder_text=` for a decoder-only model", lambda: _al().trace(*_bundled(), "hi", decoder_text="x"),
         ValueError),
    Case("API", "`max_new_tokens` ≤ 0", lambda: _al().generate(*_bundled(), "Once upon", max_new_tokens=0),
         ValueError),
    Case("API", "attribution method not offered", lambda: _trace().attribute(method="magic"), ValueError),
    Case("API", "attribution target not in the vocabulary", lambda: _trace().attribute(target=99999), ValueError),
    Case("API", "attribution position out of range", lambda: _trace().attribute(position=500), ValueError),
    Case("API", "attributions under torch.inference_mode", _no_inference_mode, ValueError),
    Case("API", "ablation of a head that does not exist", lambda: _trace().ablate(heads=[(0, 9)]), ValueError),
    Case("API", "Lens of something that is not a Trace", lambda: _al().Lens("some text"), TypeError),
    Case("API", "`al.compare` (the widget) of runs of two different models", _lens_compare_other_model, ValueError),
    Case("widget", "`lens.layer` out of range", _set("layer", 5), _traitlets_error()),
    Case("widget", "`lens.heads` with a duplicate", _set("heads", [1, 1]), _traitlets_error()),
    Case("widget", "`lens.view` unknown", _set("view", "sankey"), _traitlets_error()),
    Case("widget", "`lens.token` out of range", _set("token", 1000), _traitlets_error()),
    Case("widget", "`lens.stack` unknown", _set("stack", "cross"), _traitlets_error()),
    Case("widget", "`lens.method` not offered", _set("method", "lrp"), _traitlets_error()),
    Case("widget", "`lens.ablate` item malformed", _set("ablate", ["head 1 3"]), _traitlets_error()),
    Case("page", "attribution target typed as several tokens",
         _page({"what": "attribution", "method": "saliency", "position": 3, "target": "Paris"}), ValueError),
    Case("page", "ablation run with nothing marked",
         _page({"what": "ablation", "layer": 0, "position": 3, "heads": [], "neurons": []}), ValueError),
    Case("page", "edit box left empty", _page({"what": "edit", "text": "   "}), ValueError),
    Case("page", "comparison the kernel no longer keeps (e.g. after a restart)",
         _page({"what": "compare", "layer": 0, "version": 3}), ValueError),
    Case("CLI", "unknown command", _cli("frobnicate"), SystemExit),
    Case("CLI", "`--layer` out of range", lambda: _cli("html", "hi", "--model", _bundled_dir(), "--layer", "9")(),
         SystemExit),
    Case("CLI", "model path that does not exist", _cli("html", "hi", "--model", "/no/such/model"), SystemExit),
    # added after the first inventory (kept at the end so earlier rows keep their numbers)
    Case("API", "attribution matrix of an encoder model", _encoder_matrix, ValueError),
    Case("API", "attribution matrix of an encoder-decoder model", _seq2seq_matrix, ValueError),
    Case("API", "attribution matrix row with no earlier token", lambda: _trace().attribute_matrix(rows=[0]),
         ValueError),
    Case("API", "attribution matrix with no rows", lambda: _trace().attribute_matrix(rows=[]), ValueError),
    Case("API", "comparison of traces from two different models", _compare_other_model, ValueError),
    Case("API", "comparison with k ≤ 0", lambda: _compare(_trace(), _trace(), k=0)(), ValueError),
    Case("API", "`al.patch` of texts of different token lengths",
         _patch("The cat sat on the mat", "The big dog sat on the mat"), ValueError),
    Case("API", "`al.patch` of runs of two different models", _patch_other_model, ValueError),
    Case("API", "`al.patch` of a part it does not know", _patch("The cat sat", "The dog sat", what="neurons"),
         ValueError),
    Case("API", "logit attribution to a target of several tokens",
         lambda: _trace().logit_attribution(" extraordinarily"), ValueError),
    Case("API", "logit attribution in a model without an unembedding", _base_model_logit_attribution, ValueError),
]


def message_of(case: Case) -> str:
    """The first line of what the user sees (for the CLI, its stderr line)."""
    import contextlib
    import io

    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            case.run()
    except case.error as caught:
        text = err.getvalue().strip() if isinstance(caught, SystemExit) else str(caught)
        return text.strip().splitlines()[-1 if isinstance(caught, SystemExit) else 0]
    raise AssertionError(f"{case.what}: no {case.error.__name__} raised")


def render() -> str:
    rows = [
        "# Bad inputs and what attnlens says",
        "",
        "Every row is checked by `tests/test_bad_input_inventory.py`, which runs the input and compares the",
        "message with this table (regenerate with `PYTHONPATH=src:tests python tests/bad_inputs.py --write`).",
        "",
        "| # | where | bad input | error | message |",
        "|---|---|---|---|---|",
    ]
    for i, case in enumerate(CASES, 1):
        message = message_of(case).replace("|", "\\|")
        name = "exit 2" if case.error is SystemExit else case.error.__name__
        rows.append(f"| {i} | {case.where} | {case.what} | {name} | {message} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    if "--write" in sys.argv:
        DOC.write_text(render(), encoding="utf-8")
        print(f"wrote {DOC}")
    else:
        print(render())
