"""The small causal LM that ships with attnlens, so demos and tests need no network.

Trained by ``scripts/train_bundled_model.py``; see ``bundled/README.md`` for its data and heads.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

MODEL_DIR = pathlib.Path(__file__).resolve().parent / "model"


def model_dir() -> str:
    """The directory to hand to ``from_pretrained``."""
    if not (MODEL_DIR / "config.json").exists():
        raise RuntimeError(f"the bundled model is missing from {MODEL_DIR}; reinstall attnlens")
    return str(MODEL_DIR)


@contextmanager
def _quiet_loading() -> Iterator[None]:
    """No "Loading weights" progress bar for a 20-tensor model (it cluttered every notebook and Voilà
    page); the caller's own progress-bar setting is restored afterwards."""
    from transformers.utils import logging

    was_enabled = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            logging.enable_progress_bar()


def load_model(attn_implementation: str | None = None) -> Any:
    from transformers import AutoModelForCausalLM

    kwargs = {"attn_implementation": attn_implementation} if attn_implementation else {}
    with _quiet_loading():
        return AutoModelForCausalLM.from_pretrained(model_dir(), **kwargs).eval()


def load_tokenizer() -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_dir())


def load() -> tuple[Any, Any]:
    """(model, tokenizer) of the bundled model."""
    return load_model(), load_tokenizer()
