"""``generate``: let the model write, then trace prompt + output in one pass."""

from __future__ import annotations

import inspect
from typing import Any

import torch

from attnlens.capture.inputs import (
    check_model,
    check_text,
    check_tokenizer,
    display_tokens,
    encode,
    max_positions,
    special_flags,
)
from attnlens.capture.model_run import eval_mode, input_device
from attnlens.capture.run import trace_encoded
from attnlens.capture.trace import Trace


def generate(model: Any, tokenizer: Any, prompt: str, max_new_tokens: int = 20, **generate_kwargs: Any) -> Trace:
    """Greedy by default; sampling options (``do_sample=True, top_p=...``) go to ``model.generate``.

    The Trace covers prompt plus output (the decoder side of an encoder-decoder model), and
    ``trace.generated`` marks the tokens the model wrote.
    """
    check_model(model)
    check_tokenizer(tokenizer)
    check_text(prompt, "prompt")
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens <= 0:
        raise ValueError(f"max_new_tokens must be a positive int, got {max_new_tokens!r}")
    if not hasattr(model, "generate") or not callable(getattr(model, "can_generate", None)) or not model.can_generate():
        raise TypeError(
            f"{type(model).__name__} cannot generate text; load a language model "
            "(AutoModelForCausalLM or AutoModelForSeq2SeqLM)."
        )
    enc = encode(model, tokenizer, prompt)
    seq2seq = bool(getattr(model.config, "is_encoder_decoder", False))
    n_prompt = int(enc.input_ids.shape[1])
    limit = max_positions(model)
    if not seq2seq and limit is not None and n_prompt + max_new_tokens > limit:
        raise ValueError(
            f"the prompt ({n_prompt} tokens) plus max_new_tokens ({max_new_tokens}) exceeds this model's "
            f"{limit} positions; lower max_new_tokens to at most {limit - n_prompt}."
        )
    kwargs = {"do_sample": False, **generate_kwargs, "max_new_tokens": max_new_tokens}
    if getattr(tokenizer, "pad_token_id", None) is None and getattr(tokenizer, "eos_token_id", None) is not None:
        kwargs.setdefault("pad_token_id", tokenizer.eos_token_id)
    device = input_device(model)
    accepted = inspect.signature(model.forward).parameters
    inputs = {k: v.to(device) for k, v in {"input_ids": enc.input_ids, **enc.extra}.items()
              if k != "decoder_input_ids" and (k in ("input_ids", "attention_mask") or k in accepted)}
    with eval_mode(model), torch.no_grad():
        output = model.generate(**inputs, **kwargs)
    ids = output[0].tolist()
    if seq2seq:
        enc.decoder_ids = torch.tensor([ids])
        enc.decoder_tokens = display_tokens(tokenizer, ids)
        enc.decoder_special = special_flags(tokenizer, ids)
        enc.extra["decoder_input_ids"] = enc.decoder_ids
        enc.generated = [False] + [True] * (len(ids) - 1)
    else:
        enc.input_ids = torch.tensor([ids])
        enc.tokens = display_tokens(tokenizer, ids)
        enc.special = enc.special + special_flags(tokenizer, ids[n_prompt:])
        segments = inputs.get("token_type_ids")
        enc.extra = {"attention_mask": torch.ones_like(enc.input_ids)}
        if segments is not None:  # generation extended the last segment over the new tokens; so does the trace
            segments = segments.cpu()
            new = len(ids) - n_prompt
            enc.extra["token_type_ids"] = torch.cat([segments, segments[:, -1:].expand(1, new)], dim=1)
        enc.segments = None
        enc.generated = [False] * n_prompt + [True] * (len(ids) - n_prompt)
    return trace_encoded(model, enc)
