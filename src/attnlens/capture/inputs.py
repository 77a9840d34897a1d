"""Checks on what the user hands to ``trace``: each failure says what was wrong and what to do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch


@dataclass
class EncodedText:
    input_ids: torch.Tensor  # [1, tokens]
    extra: dict[str, torch.Tensor]  # attention_mask, token_type_ids, decoder_input_ids, ...
    tokens: list[str]  # display text of each token
    special: list[bool]
    segments: list[int] | None = None
    decoder_ids: torch.Tensor | None = None  # decoder tokens of an encoder-decoder model, [1, tokens]
    decoder_tokens: list[str] | None = None
    decoder_special: list[bool] | None = None
    generated: list[bool] | None = None
    decode: Callable[[list[int]], list[str]] | None = None  # token ids → display text
    tokenizer: Any = None


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


def check_tokenizer(tokenizer: Any) -> None:
    if not callable(tokenizer) or not hasattr(tokenizer, "convert_ids_to_tokens"):
        raise TypeError(
            f"tokenizer must be a Hugging Face tokenizer, got {type(tokenizer).__name__}. "
            "Load it with AutoTokenizer.from_pretrained(...)."
        )


def check_text(text: Any, name: str = "text") -> str:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str, got {type(text).__name__}; pass the input as one string.")
    if not text.strip():
        raise ValueError(f"{name} is empty; pass at least one word to trace.")
    return text


# Families that number positions from padding_idx + 1 (roberta-base: 514 embeddings, 512 tokens).
OFFSET_POSITIONS = ("roberta", "xlm-roberta", "camembert")


def max_positions(model: Any) -> int | None:
    config = model.config
    for name in ("max_position_embeddings", "n_positions", "max_sequence_length"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            if getattr(config, "model_type", None) in OFFSET_POSITIONS:
                value -= int(getattr(config, "pad_token_id", 1) or 0) + 1
            return value
    return None


def check_length(model: Any, n_tokens: int, what: str = "text") -> None:
    limit = max_positions(model)
    if limit is not None and n_tokens > limit:
        raise ValueError(
            f"{what} is {n_tokens} tokens long but this model accepts at most {limit} positions; "
            f"shorten the {what} to at most {limit} tokens."
        )


def check_vocabulary(model: Any, ids: list[int]) -> None:
    embeddings = model.get_input_embeddings() if hasattr(model, "get_input_embeddings") else None
    vocab = getattr(embeddings, "num_embeddings", None)
    if vocab is not None and ids and max(ids) >= vocab:
        raise ValueError(
            f"the tokenizer produced token id {max(ids)} but the model's embedding has only {vocab} "
            "rows: this tokenizer does not belong to this model. Load both from the same checkpoint."
        )


def display_tokens(tokenizer: Any, ids: list[int]) -> list[str]:
    """What each token reads as: byte-level and sentencepiece markers turned back into spaces."""
    try:
        return [tokenizer.decode([i], clean_up_tokenization_spaces=False) for i in ids]
    except Exception:  # tokenizers without decode of single ids
        return [str(t) for t in tokenizer.convert_ids_to_tokens(ids)]


def special_flags(tokenizer: Any, ids: list[int]) -> list[bool]:
    special = set(getattr(tokenizer, "all_special_ids", []) or [])
    return [i in special for i in ids]


def _drop_padding(batch: dict[str, Any]) -> dict[str, Any]:
    """A batch of one with padding removed: attnlens shows real tokens only."""
    mask = batch.get("attention_mask")
    if not isinstance(mask, torch.Tensor) or bool(mask.all()):
        return batch
    keep = mask[0].bool()
    return {k: (v[:, keep] if isinstance(v, torch.Tensor) and v.dim() == 2 and v.shape[1] == keep.shape[0] else v)
            for k, v in batch.items()}


def encode(
    model: Any,
    tokenizer: Any,
    text: str,
    text_pair: str | None = None,
    decoder_text: str | None = None,
    decoder_ids: list[int] | None = None,
) -> EncodedText:
    """Tokenize for one forward pass; for encoder-decoder models also the decoder side."""
    check_tokenizer(tokenizer)
    check_text(text)
    if text_pair is not None:
        check_text(text_pair, "text_pair")
    batch = dict(tokenizer(text, text_pair, return_tensors="pt", return_special_tokens_mask=True))
    batch = _drop_padding(batch)
    special_mask = batch.pop("special_tokens_mask")[0].tolist()
    input_ids = batch.pop("input_ids")
    ids = input_ids[0].tolist()
    if not ids:
        raise ValueError("the tokenizer produced no tokens for this text; pass some words.")
    check_length(model, len(ids))
    check_vocabulary(model, ids)
    extra = {k: v for k, v in batch.items() if isinstance(v, torch.Tensor)}
    segments = extra["token_type_ids"][0].tolist() if "token_type_ids" in extra else None
    enc = EncodedText(
        input_ids=input_ids,
        extra=extra,
        tokens=display_tokens(tokenizer, ids),
        special=[bool(s) for s in special_mask],
        segments=segments,
        decode=lambda row: display_tokens(tokenizer, row),
        tokenizer=tokenizer,
    )
    if getattr(model.config, "is_encoder_decoder", False):
        _add_decoder_side(model, tokenizer, enc, decoder_text, decoder_ids)
    elif decoder_text is not None:
        raise ValueError("decoder_text= is for encoder-decoder models (T5, BART); this model reads one text")
    return enc


def _add_decoder_side(
    model: Any, tokenizer: Any, enc: EncodedText, decoder_text: str | None, decoder_ids: list[int] | None
) -> None:
    start = getattr(model.config, "decoder_start_token_id", None)
    if start is None:
        raise ValueError("this encoder-decoder model's config has no decoder_start_token_id; set it first")
    if decoder_ids is None:
        body: list[int] = []
        if decoder_text is not None:
            check_text(decoder_text, "decoder_text")
            encoded = tokenizer(text_target=decoder_text)
            body = list(encoded["input_ids"])
            mask = encoded.get("attention_mask")
            if mask is not None:  # a tokenizer set to pad: keep the real tokens only
                body = [i for i, keep in zip(body, mask, strict=True) if keep]
        decoder_ids = [int(start), *body]
    check_vocabulary(model, decoder_ids)
    enc.decoder_ids = torch.tensor([decoder_ids])
    enc.decoder_tokens = display_tokens(tokenizer, decoder_ids)
    enc.decoder_special = special_flags(tokenizer, decoder_ids)
    enc.extra["decoder_input_ids"] = enc.decoder_ids
