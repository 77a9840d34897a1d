"""Direct logit attribution: the parts add up to the model's own logit, each head's part is its own."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import transformers as tf

import attnlens as al
from attnlens import bundled
from families import NoSegments, build, minilm_dir

LM_FAMILIES = ["gpt2", "llama", "mistral", "qwen2", "gemma", "gemma2", "gpt_neox", "bert", "roberta", "distilbert",
               "t5", "bart"]
REPLY = "the dog ran after a red ball in the park"
TEXT = "the cat sat on the [MASK] because it was tired and then the dog ran"


@pytest.fixture(scope="module")
def minilm_tokenizer() -> Any:
    return tf.AutoTokenizer.from_pretrained(minilm_dir())


def _model(family: str) -> torch.nn.Module:
    if family != "gemma2":
        return build(family, "sdpa", dtype=torch.float64)
    config = tf.Gemma2Config(num_hidden_layers=3, hidden_size=64, intermediate_size=128, num_attention_heads=4,
                             num_key_value_heads=2, head_dim=16, vocab_size=30522, max_position_embeddings=256,
                             initializer_range=0.3)
    torch.manual_seed(0)
    return tf.Gemma2ForCausalLM._from_config(config, attn_implementation="eager", dtype=torch.float64).eval()


def _hf_logits(model: Any, tokenizer: Any, text: str, target_ids: Any = None) -> torch.Tensor:
    """The model's own logits, straight from Hugging Face, uncapped for Gemma 2 (float64)."""
    extra = {} if target_ids is None else {"decoder_input_ids": torch.tensor(target_ids)[None]}
    with torch.no_grad():
        logits = model(**tokenizer(text, return_tensors="pt"), **extra).logits[0].double()
    cap = getattr(model.config, "final_logit_softcapping", None)
    return torch.atanh(logits / cap) * cap if cap else logits


@pytest.mark.parametrize("family", LM_FAMILIES)
def test_parts_sum_to_the_models_own_logit_difference(family: str, minilm_tokenizer: Any) -> None:
    model = _model(family)
    tokenizer = minilm_tokenizer if family == "bert" else NoSegments(minilm_tokenizer)
    seq2seq = family in ("t5", "bart")
    trace = al.trace(model, tokenizer, TEXT, target=REPLY if seq2seq else None)
    position = 6  # the [MASK] for the encoders, a middle token for the decoders (decoder side of seq2seq)
    logits = _hf_logits(model, tokenizer, TEXT, trace.target_ids if seq2seq else None)[position]
    top2 = torch.topk(logits, 2).indices.tolist()
    result = trace.logit_attribution(top2[0], contrast=top2[1], position=position)
    expected = float(logits[top2[0]] - logits[top2[1]])
    layers = 2 if seq2seq else 3
    assert result.heads.shape == (layers, trace.n_heads) and result.mlps.shape == (layers,)
    assert (result.cross_heads is not None) == seq2seq
    assert abs(result.total - expected) < 1e-4, (result.total, expected)
    assert abs(result.logit - expected) < 1e-4
    assert abs(result.heads).sum() > 0.1 and abs(result.mlps).sum() > 0.1  # real parts, not one lump
    single = trace.logit_attribution(top2[0], position=position)
    assert abs(single.total - float(logits[top2[0]])) < 1e-4


def test_bundled_model_float32_within_1e_4() -> None:
    model, tokenizer = bundled.load()
    text = "The quick brown fox jumps over the lazy dog. The quick brown fox"
    trace = al.trace(model, tokenizer, text)
    result = trace.logit_attribution()
    with torch.no_grad():
        logits = model(**tokenizer(text, return_tensors="pt")).logits[0, -1]
    assert result.target == int(logits.argmax())
    assert abs(result.total - float(logits[result.target])) < 1e-4
    # copying the repeated text is the induction heads' work (layer 1, heads 1 and 0)
    assert {(1, 1), (1, 0)} & {(layer, head) for layer, head, _ in result.top_heads(2)}


def test_each_heads_part_matches_a_float64_recomputation_from_eager_attention(minilm_tokenizer: Any) -> None:
    """GPT-2 by hand: z_h = A_h[p] · V_h, through c_proj's rows of head h, the final LayerNorm frozen."""
    model = build("gpt2", "eager", dtype=torch.float64)
    tokenizer = NoSegments(minilm_tokenizer)
    trace = al.trace(model, tokenizer, TEXT)
    p, target = 5, 1000
    result = trace.logit_attribution(target, position=p)
    inputs = tokenizer(TEXT, return_tensors="pt")
    with torch.no_grad():
        out = model(**inputs, output_attentions=True, output_hidden_states=True)
    pre_final: list[torch.Tensor] = []
    handle = model.transformer.ln_f.register_forward_pre_hook(lambda _m, a: pre_final.append(a[0][0, p]))
    with torch.no_grad():
        model(**inputs)
    handle.remove()
    r = pre_final[0]
    ln_f = model.transformer.ln_f
    frozen = ln_f.weight.detach() / torch.sqrt(r.var(unbiased=False) + ln_f.eps)
    unembed = model.lm_head.weight[target].detach()
    n_heads, d = 4, 64
    dh = d // n_heads
    for layer, block in enumerate(model.transformer.h):
        with torch.no_grad():
            x = block.ln_1(out.hidden_states[layer][0])
            v = block.attn.c_attn(x)[:, 2 * d :].view(-1, n_heads, dh)
        for head in range(n_heads):
            z = out.attentions[layer][0, head, p] @ v[:, head]
            written = z @ block.attn.c_proj.weight[head * dh : (head + 1) * dh].detach()
            expected = float(((written - written.mean()) * frozen) @ unembed)
            assert abs(result.heads[layer, head] - expected) < 1e-9, (layer, head)


def test_a_target_of_several_tokens_says_what_it_tokenises_to() -> None:
    model, tokenizer = bundled.load()
    trace = al.trace(model, tokenizer, "Hello there")
    with pytest.raises(ValueError, match=r"is \d+ tokens .*pass a single token.*or a token id"):
        trace.logit_attribution(" extraordinarily")


def test_a_model_without_an_unembedding_is_refused(minilm_tokenizer: Any) -> None:
    model = tf.BertModel._from_config(tf.BertConfig(num_hidden_layers=2, hidden_size=32, num_attention_heads=2,
                                                    intermediate_size=64, vocab_size=30522)).eval()
    trace = al.trace(model, minilm_tokenizer, "a short text")
    with pytest.raises(ValueError, match="no language-model head"):
        trace.logit_attribution(100)


def test_patching_an_encoder_decoder_is_refused_clearly(minilm_tokenizer: Any) -> None:
    model = build("bart", "eager")
    tok = NoSegments(minilm_tokenizer)
    clean, corrupt = (al.trace(model, tok, text, target="a reply") for text in ("a short text", "a long text"))
    with pytest.raises(ValueError, match="encoder-decoder"):
        al.patch(clean, corrupt, target=100, contrast=101, progress=False)
    assert np.isfinite(clean.logits_at(0)).all()
