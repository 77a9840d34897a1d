"""What goes into ``al.trace``: sentence pairs, special tokens, padded batches of one, the decoder side
of encoder-decoder models, models loaded through ``device_map``, half precision, and bad input.

Every attention check compares against Hugging Face's own eager ``output_attentions`` on the same
(unpadded) input, with random weights far from uniform (tests/families.py).
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import re
import warnings

import numpy as np
import pytest
import torch
import transformers as tf

import attnlens as al
from families import VOCAB, build, twin

TOL = 5e-5  # float32 noise between SDPA and eager over a few layers of large random weights
SENTENCE = "The cat sat on the mat because it was tired."
PAIR = "It slept all afternoon."


class Calls:
    """A real tokenizer whose calls get extra keyword arguments (padding, no token_type_ids, ...)."""

    def __init__(self, inner, **kwargs) -> None:
        self.inner = inner
        self.kwargs = kwargs

    def __call__(self, *args, **kwargs):
        return self.inner(*args, **{**self.kwargs, **kwargs})

    def __getattr__(self, name):
        return getattr(self.inner, name)


def eager_attentions(model: torch.nn.Module, family: str, **inputs) -> tuple[np.ndarray, ...]:
    """HF's eager attention weights of a twin of ``model`` (same weights), as numpy per layer."""
    ref = twin(model, family, "eager")
    with torch.no_grad():
        out = ref(**inputs, output_attentions=True)
    return out


def stack(attentions) -> np.ndarray:
    return np.stack([a[0].float().numpy() for a in attentions])


def hook_count(model: torch.nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


# --- sentence pairs and special tokens ------------------------------------------------------------


@pytest.fixture(scope="module")
def bert():
    return build("bert", "sdpa")


def test_sentence_pair_segments_match_the_tokenizer_and_attention_matches_hf(bert, minilm_tokenizer) -> None:
    tr = al.trace(bert, minilm_tokenizer, SENTENCE, PAIR)
    batch = minilm_tokenizer(SENTENCE, PAIR, return_tensors="pt")
    expected_segments = batch["token_type_ids"][0].tolist()
    assert tr.segments == expected_segments
    first_sep = tr.tokens.index("[SEP]")
    assert tr.segments == [0] * (first_sep + 1) + [1] * (len(tr.tokens) - first_sep - 1)
    assert tr.token_ids.tolist() == batch["input_ids"][0].tolist()

    out = eager_attentions(bert, "bert", **batch)
    ref = stack(out.attentions)
    assert np.abs(tr.attentions - ref).max() <= TOL
    np.testing.assert_allclose(tr.logits, out.logits[0].numpy(), atol=1e-4)
    # The comparison can tell segments apart: without token_type_ids the attention differs.
    unsegmented = eager_attentions(bert, "bert", input_ids=batch["input_ids"])
    assert np.abs(stack(unsegmented.attentions) - ref).max() > 1e-3


def test_special_tokens_are_flagged(bert, minilm_tokenizer) -> None:
    tr = al.trace(bert, minilm_tokenizer, SENTENCE, PAIR)
    ids = tr.token_ids.tolist()
    assert tr.tokens == minilm_tokenizer.convert_ids_to_tokens(ids)
    assert tr.special == [t in ("[CLS]", "[SEP]") for t in tr.tokens]
    assert tr.tokens[0] == "[CLS]" and tr.tokens[-1] == "[SEP]" and tr.tokens.count("[SEP]") == 2
    assert sum(tr.special) == 3


# --- padding ------------------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("family", ["bert", "gpt2", "llama"])
def test_a_padding_tokenizer_gives_only_the_real_tokens(family: str, side: str, minilm_tokenizer) -> None:
    model = build(family, "sdpa")
    inner = tf.AutoTokenizer.from_pretrained(minilm_tokenizer.name_or_path, padding_side=side)
    padded = Calls(inner, padding="max_length", max_length=32)
    assert padded(SENTENCE)["input_ids"].count(inner.pad_token_id) > 10  # it really pads
    pair = PAIR if family == "bert" else None
    tr = al.trace(model, padded, SENTENCE, pair)

    batch = minilm_tokenizer(SENTENCE, pair, return_tensors="pt")  # the same text, never padded
    assert tr.token_ids.tolist() == batch["input_ids"][0].tolist()
    assert "[PAD]" not in tr.tokens
    assert len(tr.special) == len(tr.tokens) and sum(tr.special) == (3 if pair else 2)
    if pair:
        assert tr.segments == batch["token_type_ids"][0].tolist()
    ref = stack(eager_attentions(model, family, **batch).attentions)
    assert tr.attentions.shape == ref.shape
    assert np.abs(tr.attentions - ref).max() <= TOL
    assert tr.residual.shape[1] == len(tr.tokens) and tr.mlp(0).shape[0] == len(tr.tokens)


# --- encoder-decoder ------------------------------------------------------------------------------


@pytest.mark.parametrize("family", ["t5", "bart"])
def test_target_starts_with_the_decoder_start_token(family: str, minilm_tokenizer) -> None:
    model = build(family, "sdpa")
    tokenizer = Calls(minilm_tokenizer, return_token_type_ids=False)
    target = "Die Katze schlief."
    tr = al.trace(model, tokenizer, SENTENCE, decoder_text=target)
    start = model.config.decoder_start_token_id
    body = minilm_tokenizer(text_target=target)["input_ids"]
    assert tr.decoder_ids.tolist() == [start, *body]
    assert tr.decoder_tokens[0] == minilm_tokenizer.convert_ids_to_tokens(start)
    assert len(tr.decoder_tokens) == len(body) + 1 == len(tr.decoder_special)
    assert tr.tokens == minilm_tokenizer.convert_ids_to_tokens(minilm_tokenizer(SENTENCE)["input_ids"])
    heads = model.config.num_heads if family == "t5" else model.config.decoder_attention_heads
    assert tr.attention(0, "cross").shape == (heads, len(tr.decoder_tokens), len(tr.tokens))
    assert tr.attention(0, "decoder").shape == (heads, len(tr.decoder_tokens), len(tr.decoder_tokens))
    assert tr.attention(0, "encoder").shape == (heads, len(tr.tokens), len(tr.tokens))
    batch = tokenizer(SENTENCE, return_tensors="pt")
    out = eager_attentions(model, family, **batch, decoder_input_ids=torch.tensor([tr.decoder_ids.tolist()]))
    for name, attentions in [("encoder", out.encoder_attentions), ("decoder", out.decoder_attentions),
                             ("cross", out.cross_attentions)]:
        ours = np.stack([tr.attention(i, name) for i in range(len(attentions))])
        assert np.abs(ours - stack(attentions)).max() <= TOL, name
    assert tr.logits.shape == (len(tr.decoder_tokens), VOCAB)


def test_a_padding_tokenizer_does_not_pad_the_target(minilm_tokenizer) -> None:
    """The target goes through the same tokenizer: its padding must be dropped too."""
    model = build("t5", "sdpa")
    padded = Calls(minilm_tokenizer, padding="max_length", max_length=32, return_token_type_ids=False)
    target = "Die Katze schlief."
    tr = al.trace(model, padded, SENTENCE, decoder_text=target)
    body = minilm_tokenizer(text_target=target)["input_ids"]
    assert tr.decoder_ids.tolist() == [model.config.decoder_start_token_id, *body], tr.decoder_tokens
    assert len(tr.decoder_tokens) == len(body) + 1


# --- loading paths and precision --------------------------------------------------------------------


@pytest.mark.parametrize(("family", "auto"), [("llama", tf.AutoModelForCausalLM), ("bert", tf.AutoModelForMaskedLM)])
def test_a_device_map_loaded_model_traces_and_matches(family, auto, tmp_path, minilm_tokenizer) -> None:
    try:
        import accelerate  # noqa: F401  (from_pretrained(device_map=...) needs it)
    except ImportError as err:
        pytest.fail(f"device_map loading needs the accelerate package (add it to the test extra): {err}")
    build(family, "sdpa").save_pretrained(tmp_path)
    model = auto.from_pretrained(tmp_path, device_map={"": "cpu"})
    assert model.config._attn_implementation == "sdpa"
    hooks_before = hook_count(model)
    tr = al.trace(model, minilm_tokenizer, SENTENCE)
    assert hook_count(model) == hooks_before
    reference = auto.from_pretrained(tmp_path, attn_implementation="eager")
    batch = minilm_tokenizer(SENTENCE, return_tensors="pt")
    with torch.no_grad():
        out = reference(**batch, output_attentions=True)
    assert np.abs(tr.attentions - stack(out.attentions)).max() <= TOL
    np.testing.assert_allclose(tr.logits, out.logits[0].numpy(), atol=1e-4)
    lens = tr.logit_lens(k=3)
    np.testing.assert_allclose(lens.probs[-1], torch.softmax(out.logits[0], -1).topk(3).values.numpy(), atol=TOL)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("family", ["gpt2", "llama", "bert"])
def test_half_precision_leaves_the_model_unchanged(family: str, dtype: torch.dtype, minilm_tokenizer) -> None:
    model = build(family, "sdpa", dtype=dtype).train()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    tr = al.trace(model, minilm_tokenizer, SENTENCE)
    assert tr.dtype == str(dtype).removeprefix("torch.")
    assert all(p.dtype == dtype for p in model.parameters())
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    assert model.training and all(m.training for m in model.modules())
    assert model.config._attn_implementation == "sdpa" and hook_count(model) == 0
    attention = tr.attention(0)
    assert attention.dtype == np.float32 and tr.residual.dtype == np.float32
    np.testing.assert_allclose(attention.sum(-1), 1.0, atol=1e-5)
    # Layer 0 gets the same half-precision q/k in both; eager rounds its scores to half precision.
    ref = build(family, "eager", dtype=dtype)
    ref.load_state_dict(model.state_dict())
    with torch.no_grad():
        out = ref(**minilm_tokenizer(SENTENCE, return_tensors="pt"), output_attentions=True)
    assert np.abs(attention - out.attentions[0][0].float().numpy()).max() < (0.01 if dtype == torch.float16 else 0.03)


# --- bad input -------------------------------------------------------------------------------------


def test_an_architecture_without_adapter_or_attention_weights(minilm_tokenizer) -> None:
    """Mamba has no adapter and returns no attention weights, eager or not."""
    torch.manual_seed(0)
    model = tf.MambaForCausalLM(tf.MambaConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2,
                                               state_size=4)).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError) as caught:
            al.trace(model, minilm_tokenizer, SENTENCE)
    message = str(caught.value)
    assert "no adapter for model type 'mamba' (MambaForCausalLM)" in message
    assert "returns no attention weights" in message and "open an issue naming the model" in message
    assert hook_count(model) == 0


def test_a_model_on_the_meta_device(minilm_tokenizer) -> None:
    config, cls = tf.GPT2Config(n_layer=2, n_head=2, n_embd=32, vocab_size=VOCAB), tf.GPT2LMHeadModel
    with torch.device("meta"):
        model = cls(config)
    with pytest.raises(ValueError, match=re.escape("model has weights on the 'meta' device (not loaded yet)")):
        al.trace(model, minilm_tokenizer, SENTENCE)


@pytest.mark.parametrize(
    ("family", "parameter"),
    [
        ("gpt2", "transformer.h.0.attn.c_attn.weight"),
        ("gpt2", "transformer.h.2.mlp.c_proj.bias"),
        ("llama", "model.layers.1.self_attn.k_proj.weight"),
        ("t5", "encoder.block.0.layer.0.SelfAttention.q.weight"),
        # after the last block: the logits and the logit lens turn NaN, the residual stream does not
        ("gpt2", "transformer.ln_f.weight"),
        ("llama", "model.norm.weight"),
        ("llama", "lm_head.weight"),
        ("bert", "cls.predictions.transform.dense.weight"),
    ],
)
def test_nan_weights_are_named(family: str, parameter: str, minilm_tokenizer) -> None:
    model = build(family, "sdpa")
    with torch.no_grad():
        dict(model.named_parameters())[parameter].view(-1)[0] = float("nan")
    target = "Hallo." if family == "t5" else None
    tokenizer = Calls(minilm_tokenizer, return_token_type_ids=False) if family == "t5" else minilm_tokenizer
    with pytest.raises(ValueError, match=r"the model's weights contain NaN or inf \(" + re.escape(parameter)):
        al.trace(model, tokenizer, SENTENCE, decoder_text=target)
    assert hook_count(model) == 0


def test_nan_weights_are_named_without_an_adapter(minilm_tokenizer) -> None:
    """The eager fallback (no adapter) must not hand back NaN attention either."""
    torch.manual_seed(0)
    config = tf.OPTConfig(num_hidden_layers=2, num_attention_heads=4, hidden_size=64, ffn_dim=128,
                          vocab_size=VOCAB, max_position_embeddings=128, init_std=0.3)
    model = tf.OPTForCausalLM._from_config(config, attn_implementation="sdpa").eval()
    with torch.no_grad():
        model.model.decoder.layers[0].self_attn.q_proj.weight[0, 0] = float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"NaN or inf \(model\.decoder\.layers\.0\.self_attn\.q_proj\.weight"):
            al.trace(model, minilm_tokenizer, SENTENCE)


def test_a_prompt_beyond_the_model_positions(minilm_tokenizer) -> None:
    model = build("gpt2", "sdpa")  # n_positions = 256
    assert len(al.trace(model, minilm_tokenizer, "a " * 254).tokens) == 256  # exactly at the limit: fine
    with pytest.raises(ValueError, match=re.escape(
        "text is 257 tokens long but this model accepts at most 256 positions; shorten the text to at most "
        "256 tokens."
    )):
        al.trace(model, minilm_tokenizer, "a " * 255)


def test_target_for_a_decoder_only_model(minilm_tokenizer) -> None:
    with pytest.raises(ValueError, match=re.escape(
        "decoder_text= is for encoder-decoder models (T5, BART); this model reads one text"
    )):
        al.trace(build("gpt2", "sdpa"), minilm_tokenizer, SENTENCE, decoder_text="Hallo.")


def test_roberta_positions_start_after_the_padding_index(minilm_tokenizer) -> None:
    """RoBERTa numbers positions from pad_token_id + 1: max_position_embeddings=258 with pad 1 (514 / 512
    for roberta-base) accepts 256 tokens; 257 must be the friendly error, not an IndexError in HF."""
    model = build("roberta", "sdpa")
    tokenizer = Calls(minilm_tokenizer, return_token_type_ids=False)
    assert len(al.trace(model, tokenizer, "a " * 254).tokens) == 256
    with pytest.raises(ValueError, match=re.escape("text is 257 tokens long but this model accepts at most 256")):
        al.trace(model, tokenizer, "a " * 255)
