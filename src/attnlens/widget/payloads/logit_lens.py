"""Logit lens: top-k tokens and probabilities after each layer at each position.

Token strings travel once in a small vocabulary (only the ids that appear); positions carry uint32
indices into it and float16 probabilities.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from attnlens.capture.trace import Trace
from attnlens.widget.payload import encode_array
from attnlens.widget.registry import Fields, Parsed, handles
from attnlens.widget.session import Session

TOP_K = 5


def logit_lens_arrays(trace: Trace, k: int = TOP_K) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    lens = trace.logit_lens(k=k)
    unique, index = np.unique(lens.token_ids, return_inverse=True)
    text_of: dict[int, str] = {}
    for layer_ids, layer_texts in zip(lens.token_ids, lens.tokens, strict=True):
        for ids, texts in zip(layer_ids, layer_texts, strict=True):
            text_of.update(zip(map(int, ids), texts, strict=True))
    arrays = {
        "indices": encode_array(index.reshape(lens.token_ids.shape), "uint32"),  # [layers, positions, k]
        "probs": encode_array(lens.probs, "float16"),  # [layers, positions, k]
    }
    return arrays, {"vocab": [text_of[int(i)] for i in unique], "k": k}


@handles("logit_lens")
def _logit_lens(trace: Trace, f: Fields, _session: Session) -> Parsed:
    return f.key(), lambda: logit_lens_arrays(trace)
