"""Checks on the small Llama-style model bundled with attnlens (src/attnlens/bundled/model).

The weights are produced by ``scripts/train_bundled_model.py`` and committed; these
tests load them with ``from_pretrained`` (offline) and check that the model has the
attention structure the widget demos rely on:

* an induction head (attends from a repeated token to the token that followed its
  earlier occurrence),
* a previous-token head,
* working in-context copying and a held-out loss far below uniform.

``test_thresholds_reject_random_weights`` checks that a randomly initialised
model with the same config fails every one of these thresholds, so the tests
are meaningful.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch
import transformers

MODEL_DIR = Path(__file__).resolve().parents[1] / "src" / "attnlens" / "bundled" / "model"

REPEAT_LEN = 40
SEEDS = (0, 1, 2, 3, 4)
INDUCTION_MIN = 0.3
PREV_TOKEN_MIN = 0.5
COPY_MIN = 0.8
FIRST_COPY_MAX = 0.05

# Fortunes from Debian's ``fortunes`` package that the training script held out
# (``is_heldout_fortune``: sha1(text) % 20 == 0); checked below.
HELDOUT_FORTUNES = [
    "Winter is the season in which people try to keep the house as warm as\n"
    "it was in the summer, when they complained about the heat.",
    "The difference between a lawyer and a rooster is that\n"
    "the rooster gets up in the morning and clucks defiance.",
    "You never know how many friends you have until you rent a house on the beach.",
    "If you refuse to accept anything but the best you very often get it.",
    "The days just prior to marriage are like a snappy introduction to a\ntedious book.",
    "There is no substitute for good manners, except, perhaps, fast reflexes.",
    "The District of Columbia has a law forbidding you to exert pressure on\n"
    "a balloon and thereby cause a whistling sound on the streets.",
    "When confronted by a difficult problem, you can solve it more easily by\n"
    'reducing it to the question, "How would the Lone Ranger handle this?"',
    "The one sure way to make a lazy man look respectable is to put a fishing\n"
    "rod in his hand.",
    "The more things change, the more they'll never be the same again.",
    "Heuristics are bug ridden by definition.  If they didn't have bugs,\n"
    "then they'd be algorithms.",
    "You know you've been sitting in front of your Lisp machine too long\n"
    "when you go out to the junk food machine and start wondering how to\n"
    "make it give you the CADR of Item H so you can get that yummie\n"
    "chocolate cupcake that's stuck behind the disgusting vanilla one.",
    "Calm down, it's only ones and zeroes,\nCalm down, it's only bits and bytes,\n"
    "Calm down, and speak to me in English,\n"
    "Please realize that I'm not one of your computerites.",
    "Humor in the Court:\n"
    "Q.  Did you ever stay all night with this man in New York?\n"
    "A.  I refuse to answer that question.\n"
    "Q.  Did you ever stay all night with this man in Chicago?\n"
    "A.  I refuse to answer that question.\n"
    "Q.  Did you ever stay all night with this man in Miami?\n"
    "A.  No.",
]

OTHER_TEXT = [
    "The quick brown fox jumps over the lazy dog while the cat sleeps in the sun.",
    "Attention patterns show which earlier tokens each position reads from when "
    "the model predicts the next word.",
]


# ----------------------------------------------------------------------------- helpers


def _load(attn="eager"):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(MODEL_DIR)
    model = AutoModelForCausalLM.from_pretrained(MODEL_DIR, attn_implementation=attn)
    model.eval()
    return model, tok


def _random_model(seed: int = 0):
    from transformers import AutoConfig, AutoModelForCausalLM

    torch.manual_seed(seed)
    config = AutoConfig.from_pretrained(MODEL_DIR)
    model = AutoModelForCausalLM.from_config(config, attn_implementation="eager")
    model.eval()
    return model


def _random_pool(tok):
    special = set(tok.all_special_ids)
    return torch.tensor([i for i in range(len(tok)) if i not in special])


def _repeated_batch(tok, r=REPEAT_LEN, seeds=SEEDS):
    """BOS + r distinct random tokens + the same r tokens, one row per seed."""
    pool = _random_pool(tok)
    rows = []
    for s in seeds:
        g = torch.Generator().manual_seed(s)
        span = pool[torch.randperm(len(pool), generator=g)[:r]]
        rows.append(torch.cat([torch.tensor([tok.bos_token_id]), span, span]))
    return torch.stack(rows)


@torch.no_grad()
def induction_scores(model, tok, r=REPEAT_LEN):
    """(layers, heads) mean attention from each token of the second copy to the
    token right after its first occurrence."""
    ids = _repeated_batch(tok, r)
    att = torch.stack(model(ids, output_attentions=True).attentions)  # L,B,H,T,T
    q = torch.arange(r + 1, 2 * r + 1)  # second copy
    k = q - r + 1  # token after the first occurrence
    return att[:, :, :, q, k].mean(dim=(1, 3))


@torch.no_grad()
def previous_token_scores(model, tok):
    """(layers, heads) mean attention on position i-1 over natural text (i >= 2,
    i.e. not counting the forced attention of position 1 to BOS)."""
    per_text = []
    for text in HELDOUT_FORTUNES + OTHER_TEXT:
        ids = [tok.bos_token_id] + tok(text, add_special_tokens=False)["input_ids"]
        ids = torch.tensor([ids])
        att = torch.stack(model(ids, output_attentions=True).attentions)[:, 0]
        q = torch.arange(2, ids.shape[1])
        per_text.append(att[:, :, q, q - 1].mean(-1))
    return torch.stack(per_text).mean(0)


@torch.no_grad()
def copy_accuracy(model, tok, r=REPEAT_LEN):
    """Top-1 next-token accuracy inside the first and the second copy."""
    ids = _repeated_batch(tok, r)
    pred = model(ids).logits.argmax(-1)
    first = (pred[:, 1:r] == ids[:, 2 : r + 1]).float().mean().item()
    second = (pred[:, r + 1 : 2 * r] == ids[:, r + 2 :]).float().mean().item()
    return first, second


@torch.no_grad()
def heldout_loss(model, tok):
    total, count = 0.0, 0
    for text in HELDOUT_FORTUNES:
        ids = torch.tensor([[tok.bos_token_id] + tok(text, add_special_tokens=False)["input_ids"]])
        loss = model(ids, labels=ids).loss.item()
        total += loss * (ids.shape[1] - 1)
        count += ids.shape[1] - 1
    return total / count


def _best(scores):
    layer, head = divmod(int(scores.argmax()), scores.shape[1])
    return layer, head, float(scores[layer, head])


def _loss_threshold(tok):
    # well below uniform: perplexity at most vocab / 20 (3 nats under ln V)
    return math.log(len(tok)) - 3.0


# ------------------------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def bundled():
    assert (MODEL_DIR / "config.json").is_file(), f"the bundled model is missing from {MODEL_DIR}"
    return _load()


def test_files_config_and_tokenizer(bundled):
    model, tok = bundled
    assert (MODEL_DIR / "model.safetensors").is_file()
    size = sum(p.stat().st_size for p in MODEL_DIR.iterdir() if p.is_file())
    assert size < 10 * 2**20, f"bundled model is {size} bytes"
    cfg = json.loads((MODEL_DIR / "config.json").read_text())
    assert cfg["model_type"] == "llama"
    assert isinstance(model, transformers.LlamaForCausalLM)
    assert 2 <= model.config.num_hidden_layers <= 4
    assert model.config.max_position_embeddings >= 512
    assert 2000 <= len(tok) <= 4096
    assert len(tok) == model.config.vocab_size
    assert isinstance(tok, transformers.PreTrainedTokenizerFast)
    assert tok.bos_token == tok.eos_token == "<|endoftext|>"
    assert model.config.bos_token_id == tok.bos_token_id
    text = "Hello, attention heads! def f(x): return x + 1"
    assert tok.decode(tok(text)["input_ids"]) == text


def test_sdpa_and_eager_agree(bundled):
    model, tok = bundled
    sdpa, _ = _load(attn="sdpa")
    ids = torch.tensor([[tok.bos_token_id] + tok(OTHER_TEXT[0])["input_ids"]])
    with torch.no_grad():
        torch.testing.assert_close(model(ids).logits, sdpa(ids).logits, atol=1e-4, rtol=1e-4)


def test_heldout_fortunes_were_held_out():
    for text in HELDOUT_FORTUNES:
        assert int(hashlib.sha1(text.encode()).hexdigest(), 16) % 20 == 0, text[:40]


def test_induction_head(bundled):
    model, tok = bundled
    layer, head, score = _best(induction_scores(model, tok))
    print(f"induction head: layer {layer} head {head} score {score:.3f}")
    assert score >= INDUCTION_MIN
    assert layer >= 1  # induction needs a previous-token head in an earlier layer


def test_previous_token_head(bundled):
    model, tok = bundled
    layer, head, score = _best(previous_token_scores(model, tok))
    print(f"previous-token head: layer {layer} head {head} score {score:.3f}")
    assert score >= PREV_TOKEN_MIN


def test_heads_recorded_in_summary_still_hold(bundled):
    model, tok = bundled
    summary = json.loads((MODEL_DIR / "training_summary.json").read_text())
    li, hi = summary["induction_head"]
    lp, hp = summary["prev_token_head"]
    assert induction_scores(model, tok)[li, hi] >= INDUCTION_MIN
    assert previous_token_scores(model, tok)[lp, hp] >= PREV_TOKEN_MIN


def test_in_context_copying(bundled):
    model, tok = bundled
    first, second = copy_accuracy(model, tok)
    print(f"copy accuracy: first copy {first:.3f}, second copy {second:.3f}")
    assert second >= COPY_MIN
    assert first <= FIRST_COPY_MAX


def test_heldout_loss_well_below_uniform(bundled):
    model, tok = bundled
    loss = heldout_loss(model, tok)
    print(f"held-out loss {loss:.3f} (ppl {math.exp(loss):.1f}), uniform {math.log(len(tok)):.3f}")
    assert loss <= _loss_threshold(tok)


def test_thresholds_reject_random_weights(bundled):
    """A random-weight model of the same config must fail every check above."""
    _, tok = bundled
    for seed in (0, 1):
        rnd = _random_model(seed)
        assert _best(induction_scores(rnd, tok))[2] < INDUCTION_MIN
        assert _best(previous_token_scores(rnd, tok))[2] < PREV_TOKEN_MIN
        assert copy_accuracy(rnd, tok)[1] < COPY_MIN
        assert heldout_loss(rnd, tok) > _loss_threshold(tok)


def test_loading_prints_no_progress_bar(capfd):
    """load() is quiet in notebooks and Voilà (transformers 5 draws a "Loading weights" bar), and the
    caller's own progress-bar setting survives it."""
    from transformers.utils import logging

    from attnlens.bundled import load_model

    assert logging.is_progress_bar_enabled()
    load_model()
    captured = capfd.readouterr()
    assert "Loading weights" not in captured.err + captured.out
    assert logging.is_progress_bar_enabled()
    logging.disable_progress_bar()
    try:
        load_model()
        assert not logging.is_progress_bar_enabled()
    finally:
        logging.enable_progress_bar()
