"""Independent float64 references for the level-of-detail tests: attention recomputed from the
captured q/k over the full matrix (torch float64 softmax), pooled with numpy."""

from __future__ import annotations

import numpy as np
import torch
import transformers as tf

VOCAB = 30522


def exact_attention(inputs) -> np.ndarray:
    """float64 [heads, Nq, Nk] from one layer's captured inputs."""
    q = torch.from_numpy(inputs.query).double()
    k = torch.from_numpy(inputs.key).double()
    heads, kv = q.shape[0], k.shape[0]
    k = torch.stack([k[h // (heads // kv)] for h in range(heads)])
    s = q @ k.transpose(1, 2) * inputs.scaling
    if inputs.softcap is not None:
        s = torch.tanh(s / inputs.softcap) * inputs.softcap
    if inputs.bias is not None:
        s = s + inputs.bias.double()
    nq, nk = s.shape[1:]
    if inputs.mask is not None:
        m = inputs.mask
        s = s.masked_fill(~m, -np.inf) if m.dtype == torch.bool else s + m.double()
    elif inputs.causal:
        i, j = np.arange(nq)[:, None], np.arange(nk)[None, :]
        s = s.masked_fill(torch.from_numpy(j > i + nk - nq), -np.inf)
    return torch.softmax(s, dim=-1).numpy()


def pooled(a: np.ndarray, block: int, how: str) -> np.ndarray:
    """[h, n, m] → [h, ceil(n/b), ceil(m/b)]: max, or sum / true entry count, of each cell."""
    h, n, m = a.shape
    gn, gm = -(-n // block), -(-m // block)
    fill = -np.inf if how == "max" else 0.0
    padded = np.full((h, gn * block, gm * block), fill)
    padded[:, :n, :m] = a
    cells = padded.reshape(h, gn, block, gm, block)
    if how == "max":
        return cells.max(axis=(2, 4))  # type: ignore[no-any-return]
    valid = np.zeros((gn * block, gm * block))
    valid[:n, :m] = 1
    count = valid.reshape(gn, block, gm, block).sum(axis=(1, 3))
    return cells.sum(axis=(2, 4)) / count  # type: ignore[no-any-return]


def gpt2(positions: int, heads: int = 4, width: int = 64, layers: int = 2) -> torch.nn.Module:
    torch.manual_seed(0)
    config = tf.GPT2Config(n_layer=layers, n_head=heads, n_embd=width, n_positions=positions, vocab_size=VOCAB,
                           initializer_range=0.2)
    return tf.GPT2LMHeadModel._from_config(config, attn_implementation="sdpa").eval()


def llama(positions: int) -> torch.nn.Module:
    torch.manual_seed(0)
    config = tf.LlamaConfig(num_hidden_layers=2, num_attention_heads=8, num_key_value_heads=2, hidden_size=64,
                            intermediate_size=128, vocab_size=VOCAB, max_position_embeddings=positions,
                            initializer_range=0.2)
    return tf.LlamaForCausalLM._from_config(config, attn_implementation="sdpa").eval()


def bert(positions: int) -> torch.nn.Module:
    torch.manual_seed(0)
    config = tf.BertConfig(num_hidden_layers=2, num_attention_heads=4, hidden_size=64, intermediate_size=128,
                           vocab_size=VOCAB, max_position_embeddings=positions, initializer_range=0.2)
    return tf.BertForMaskedLM._from_config(config, attn_implementation="sdpa").eval()


def t5() -> torch.nn.Module:
    torch.manual_seed(0)
    config = tf.T5Config(num_layers=2, num_decoder_layers=2, num_heads=4, d_model=64, d_kv=16, d_ff=128,
                         vocab_size=VOCAB, initializer_factor=1.5, decoder_start_token_id=0)
    return tf.T5ForConditionalGeneration._from_config(config, attn_implementation="sdpa").eval()


def electra(positions: int) -> torch.nn.Module:
    """A family attnlens has no adapter for: traced through eager output_attentions."""
    torch.manual_seed(0)
    config = tf.ElectraConfig(num_hidden_layers=2, num_attention_heads=4, hidden_size=64, embedding_size=64,
                              intermediate_size=128, vocab_size=VOCAB, max_position_embeddings=positions,
                              initializer_range=0.2)
    return tf.ElectraModel._from_config(config, attn_implementation="eager").eval()
