"""Checks on what the user hands to ``trace``: each failure says what was wrong and what to do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch


@dataclass
class EncodedText:
    input_ids: torch.Tensor  # [1, tokens]
    extra: dict[str, torch.Tensor]  # attention_mask, token_type_ids, ...
    tokens: list[str]  # display text of each token
    special: list[bool]


def check_model(model: Any) -> None:
    if not isinstance(model, torch.nn.Module) or not hasattr(model, "config"):
        raise TypeError(
            f"model must be a Hugging Face transformers model (a torch.nn.Module with a .config), "
            f"got {type(model).__name__}. Load one with AutoModel.from_pretrained(...)."
        )
    if any(p.is_meta for p in model.parameters()):
        raise ValueError(
            "model has weights on the 'meta' device (not loaded yet). Load it with real weights, "
            "e.g. AutoModel.from_pretrained(...) without init_empty_weights / device_map='meta'."
        )


def check_text(text: Any, name: str = "text") -> str:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str, got {type(text).__name__}; pass the input as one string.")
    if not text.strip():
        raise ValueError(f"{name} is empty; pass at least one word to trace.")
    return text


def max_positions(model: torch.nn.Module) -> int | None:
    config = model.config
    for name in ("max_position_embeddings", "n_positions", "max_sequence_length"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def display_tokens(tokenizer: Any, ids: list[int]) -> list[str]:
    """What each token reads as: byte-level and sentencepiece markers turned back into spaces."""
    try:
        return [tokenizer.decode([i], clean_up_tokenization_spaces=False) for i in ids]
    except Exception:  # tokenizers without decode of single ids
        return [str(t) for t in tokenizer.convert_ids_to_tokens(ids)]


def encode(model: Any, tokenizer: Any, text: str, text_pair: str | None = None) -> EncodedText:
    if not callable(tokenizer) or not hasattr(tokenizer, "convert_ids_to_tokens"):
        raise TypeError(
            f"tokenizer must be a Hugging Face tokenizer, got {type(tokenizer).__name__}. "
            "Load it with AutoTokenizer.from_pretrained(...)."
        )
    check_text(text)
    if text_pair is not None:
        check_text(text_pair, "text_pair")
    batch = tokenizer(text, text_pair, return_tensors="pt", return_special_tokens_mask=True)
    special_mask = batch.pop("special_tokens_mask")[0].tolist()
    input_ids = batch.pop("input_ids")
    ids = input_ids[0].tolist()
    if not ids:
        raise ValueError("the tokenizer produced no tokens for this text; pass some words.")
    limit = max_positions(model)
    if limit is not None and len(ids) > limit:
        raise ValueError(
            f"text is {len(ids)} tokens long but this model accepts at most {limit} positions; "
            f"shorten the text to at most {limit} tokens."
        )
    embeddings = model.get_input_embeddings() if hasattr(model, "get_input_embeddings") else None
    vocab = getattr(embeddings, "num_embeddings", None)
    if vocab is not None and max(ids) >= vocab:
        raise ValueError(
            f"the tokenizer produced token id {max(ids)} but the model's embedding has only {vocab} "
            "rows: this tokenizer does not belong to this model. Load both from the same checkpoint."
        )
    extra = {k: v for k, v in batch.items() if isinstance(v, torch.Tensor)}
    return EncodedText(
        input_ids=input_ids,
        extra=extra,
        tokens=display_tokens(tokenizer, ids),
        special=[bool(s) for s in special_mask],
    )
