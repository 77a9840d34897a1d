"""The small causal LM that ships with attnlens, so demos and tests need no network.

Trained by ``scripts/train_bundled_model.py``; see ``bundled/README.md`` for its data and heads.
"""

from __future__ import annotations

import pathlib
from typing import Any

MODEL_DIR = pathlib.Path(__file__).resolve().parent / "model"


def model_dir() -> str:
    """The directory to hand to ``from_pretrained``."""
    if not (MODEL_DIR / "config.json").exists():
        raise RuntimeError(f"the bundled model is missing from {MODEL_DIR}; reinstall attnlens")
    return str(MODEL_DIR)


def load_model(attn_implementation: str | None = None) -> Any:
    from transformers import AutoModelForCausalLM

    kwargs = {"attn_implementation": attn_implementation} if attn_implementation else {}
    return AutoModelForCausalLM.from_pretrained(model_dir(), **kwargs).eval()


def load_tokenizer() -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_dir())


def load() -> tuple[Any, Any]:
    """(model, tokenizer) of the bundled model."""
    return load_model(), load_tokenizer()
