"""A tokenizer of exact token counts for benchmarks: they measure capture, not tokenization."""

from __future__ import annotations

import torch


class IdTokenizer:
    """Feeds exact token counts of random ids: the benchmark measures capture, not tokenization."""

    def __init__(self, ids: torch.Tensor) -> None:
        self.ids = ids

    def __call__(self, text, text_pair=None, return_tensors=None, return_special_tokens_mask=False):
        out = {"input_ids": self.ids, "attention_mask": torch.ones_like(self.ids)}
        if return_special_tokens_mask:
            out["special_tokens_mask"] = torch.zeros_like(self.ids)
        return out

    def convert_ids_to_tokens(self, ids):
        return [f"t{i}" for i in ids]

    def decode(self, ids, **_):
        return f" t{ids[0]}"
