"""Payload code per front-end view (mirrors ``js/src/views/<view>/``): trace → compact arrays, and the
request handlers (``widget/registry.py``) that call it. Importing this package registers every handler."""

from attnlens.widget.payloads import (  # noqa: F401  (each module registers its request kinds)
    ablation,
    attention_lod,
    attribution,
    compare,
    head,
    logit_lens,
    mlp,
    model,
    neuron,
)
