"""al.head_view / model_view / neuron_view take BertViz's arguments and carry what BertViz would show.

The reference is BertViz itself: its returned HTML embeds a JSON params object with the tokens and
attention it draws; ours embeds the widget state. Both are decoded and compared.
"""

from __future__ import annotations

import json
import re
from typing import Any

import bertviz
import numpy as np
import pytest
import torch
from transformers import AutoModel

import attnlens as al
from families import build, minilm_dir
from test_static_export import buffer_bytes, embedded_state


def bertviz_params(html: str) -> dict[str, Any]:
    raw = re.search(r"const params = (.*?); // HACK", html, flags=re.S)
    assert raw, "BertViz's page no longer embeds its params where this test looks"
    return json.loads(raw.group(1))  # type: ignore[no-any-return]


def carried(state: dict[str, Any], stack: str, n_layers: int) -> np.ndarray:
    """The attention our offline page carries for ``stack``, [layers, heads, q, k], as the page decodes it."""
    layers = []
    for layer in range(n_layers):
        spec = state["_replies"][f"attention:{stack}:{layer}"]["arrays"]["attention"]
        raw = buffer_bytes(spec["buffer"])
        if spec["dtype"] == "uint8":
            values = np.frombuffer(raw, np.uint8).astype(np.float32) / 255
        else:
            values = np.frombuffer(raw, "<f2").astype(np.float32)
        layers.append(values.reshape(spec["shape"]))
    return np.stack(layers)


@pytest.fixture(scope="module")
def minilm(minilm_tokenizer) -> tuple[tuple[torch.Tensor, ...], list[str], int]:
    model = AutoModel.from_pretrained(minilm_dir(), attn_implementation="eager").eval()
    enc = minilm_tokenizer("The cat sat on the mat.", "It was tired.", return_tensors="pt")
    with torch.no_grad():
        attention = model(**enc, output_attentions=True).attentions
    tokens = minilm_tokenizer.convert_ids_to_tokens(enc["input_ids"][0])
    return attention, tokens, int(enc["token_type_ids"][0].tolist().index(1))


@pytest.mark.parametrize("include_layers", [None, [1, 4, 5]])
def test_head_view_carries_bertviz_tokens_and_attention(minilm, include_layers) -> None:
    attention, tokens, b = minilm
    kwargs = dict(sentence_b_start=b, include_layers=include_layers, html_action="return")
    theirs = bertviz_params(bertviz.head_view(attention, tokens, **kwargs).data)
    ours = embedded_state(al.head_view(attention, tokens, **kwargs).data)
    reference = theirs["attention"][0]  # "All": the whole input
    assert ours["_meta"]["tokens"] == reference["left_text"] == reference["right_text"]
    assert ours["_meta"]["segments"] == [0] * b + [1] * (len(tokens) - b)
    expected = np.array(reference["attn"], np.float32)
    got = carried(ours, "self", expected.shape[0])
    np.testing.assert_allclose(got, expected, atol=1e-3, rtol=2e-3)  # float16 on the wire
    assert ours["_meta"]["layer_ids"] == theirs["include_layers"]


def test_layer_and_heads_are_original_indices(minilm) -> None:
    attention, tokens, _ = minilm
    lens = al.head_view(attention, tokens, include_layers=[2, 5], layer=5, heads=[3, 7], include_heads=[3, 7, 9])
    assert lens.layer == 1 and lens.heads == [0, 1]  # positions in the kept arrays
    assert lens.bertviz_layers == [2, 5] and lens.bertviz_heads == [3, 7, 9]
    np.testing.assert_array_equal(lens.trace.attention(1), attention[5][0, [3, 7, 9]].numpy())
    with pytest.raises(ValueError, match="layer 4 is not among the included layers"):
        al.head_view(attention, tokens, include_layers=[2, 5], layer=4)


def test_model_view_subsets_heads_like_bertviz(minilm) -> None:
    attention, tokens, _ = minilm
    kwargs = dict(include_layers=[0, 3], include_heads=[1, 6, 11], html_action="return")
    theirs = bertviz_params(bertviz.model_view(attention, tokens, **kwargs).data)
    ours = embedded_state(al.model_view(attention, tokens, **kwargs).data)
    assert ours["view"] == "model"
    expected = np.array(theirs["attention"][0]["attn"], np.float32)
    assert expected.shape[:2] == (2, 3)
    np.testing.assert_allclose(carried(ours, "self", 2), expected, atol=1e-3, rtol=2e-3)
    assert ours["_meta"]["head_ids"] == theirs["include_heads"]


@pytest.mark.parametrize("family", ["t5", "bart"])
def test_encoder_decoder_matches_bertviz(family) -> None:
    model = build(family, "eager")
    source = torch.tensor([[101, 2023, 2003, 1037, 3231, 102]])
    target = torch.tensor([[0, 2023, 2003, 3231]])
    with torch.no_grad():
        out = model(input_ids=source, decoder_input_ids=target, output_attentions=True)
    enc_tokens = ["▁The", "Ġcat", "sat</w>", "▁on", "Ġmats", "</s>"]  # markers BertViz strips
    dec_tokens = ["<pad>", "▁Le", "Ġchat", "</s>"]
    kwargs = dict(encoder_attention=out.encoder_attentions, decoder_attention=out.decoder_attentions,
                  cross_attention=out.cross_attentions, encoder_tokens=enc_tokens, decoder_tokens=dec_tokens,
                  html_action="return")
    theirs = {d["name"]: d for d in bertviz_params(bertviz.head_view(**kwargs).data)["attention"]}
    ours = embedded_state(al.head_view(**kwargs).data)
    assert ours["_meta"]["tokens"] == theirs["Encoder"]["left_text"] == [" The", " cat", "sat", " on", " mats", "</s>"]
    assert ours["_meta"]["target_tokens"] == theirs["Decoder"]["left_text"] == theirs["Cross"]["left_text"]
    assert theirs["Cross"]["right_text"] == ours["_meta"]["tokens"]
    for stack, name in (("encoder", "Encoder"), ("decoder", "Decoder"), ("cross", "Cross")):
        expected = np.array(theirs[name]["attn"], np.float32)
        np.testing.assert_allclose(carried(ours, stack, expected.shape[0]), expected, atol=1e-3, rtol=2e-3)


def test_prettify_off_keeps_markers(minilm) -> None:
    attention, _, _ = minilm
    tokens = [f"Ġt{i}▁" for i in range(attention[0].shape[-1])]
    lens = al.head_view(attention, tokens, prettify_tokens=False)
    assert lens.trace.tokens == tokens
    assert al.head_view(attention, tokens).trace.tokens == [f" t{i} " for i in range(len(tokens))]


def test_neuron_view_traces_any_hf_model(minilm_tokenizer) -> None:
    model = AutoModel.from_pretrained(minilm_dir()).eval()
    lens = al.neuron_view(model, "bert", minilm_tokenizer, "The cat sat.", "It slept.", layer=2, head=4)
    assert lens.view == "neuron,head" and lens.layer == 2 and lens.heads == [4]
    assert lens.trace.tokens[0] == "[CLS]" and lens.trace.segments is not None and 1 in lens.trace.segments
    assert lens.trace.queries(2).shape[0] == 12  # q/k captured: the neuron view has its vectors


def test_bad_arguments_say_what_is_wrong(minilm) -> None:
    attention, tokens, _ = minilm
    with pytest.raises(ValueError, match="the attention has 14 positions but tokens has 13"):
        al.head_view(attention, tokens[:-1])
    with pytest.raises(ValueError, match="tuple of per-layer tensors"):
        al.head_view(attention[0], tokens)
    with pytest.raises(ValueError, match=r"must be 4-D \[batch=1, heads, queries, keys\]"):
        al.head_view(tuple(a[0] for a in attention), tokens)
    with pytest.raises(ValueError, match="html_action must be 'view' or 'return'"):
        al.head_view(attention, tokens, html_action="show")
    with pytest.raises(ValueError, match="give no encoder/decoder/cross"):
        al.model_view(attention, tokens, encoder_tokens=tokens)
    with pytest.raises(ValueError, match="'tokens' is required"):
        al.head_view(attention)
