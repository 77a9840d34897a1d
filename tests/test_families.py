"""Every family: attention of every stack equals HF's eager output_attentions, and the logit lens's
last layer equals the model's own output distribution, under eager and SDPA."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import attnlens as al
from families import FAMILIES, SEQ2SEQ, NoSegments, build, twin

SOURCE = "The quick brown fox jumps over the lazy dog because it was bored."
TARGET = "Der schnelle braune Fuchs springt."
TOL = 1e-5


def reference(model: torch.nn.Module, tr: al.Trace, minilm_tokenizer) -> dict[str, np.ndarray]:
    """HF's own eager attentions for the same inputs, per stack."""
    batch = dict(minilm_tokenizer(SOURCE, return_tensors="pt"))
    if tr.decoder_ids is not None:
        batch["decoder_input_ids"] = torch.from_numpy(tr.decoder_ids)[None]
    if model.config.model_type in ("distilbert", "roberta") or tr.decoder_ids is not None:
        batch.pop("token_type_ids", None)
    with torch.no_grad():
        out = model(**batch, output_attentions=True)
    stack = lambda atts: np.stack([a[0].float().numpy() for a in atts])  # noqa: E731
    if tr.decoder_ids is not None:
        return {"encoder": stack(out.encoder_attentions), "decoder": stack(out.decoder_attentions),
                "cross": stack(out.cross_attentions), "logits": out.logits[0].float().numpy()}
    return {"self": stack(out.attentions), "logits": out.logits[0].float().numpy()}


def run_trace(model, tokenizer, family: str) -> al.Trace:
    if family in ("distilbert", "roberta"):
        return al.trace(model, NoSegments(tokenizer), SOURCE)
    return al.trace(model, tokenizer, SOURCE, decoder_text=TARGET if family in SEQ2SEQ else None)


@pytest.mark.parametrize("impl", ["eager", "sdpa"])
@pytest.mark.parametrize("family", FAMILIES)
def test_attention_and_logit_lens_match_the_model(family: str, impl: str, minilm_tokenizer) -> None:
    model = build(family, impl)
    tr = run_trace(model, minilm_tokenizer, family)
    ref = reference(twin(model, family, "eager"), tr, minilm_tokenizer)
    expected_stacks = ["encoder", "decoder", "cross"] if family in SEQ2SEQ else ["self"]
    assert list(tr.stacks) == expected_stacks
    for name in expected_stacks:
        ours = np.stack([tr.attention(i, stack=name) for i in range(tr.stack(name).n_layers)])
        assert ours.shape == ref[name].shape
        assert np.abs(ours - ref[name]).max() <= TOL, name
        assert ref[name].max(axis=-1).mean() > 0.3, f"{name}: near-uniform attention proves little"
    # logit lens: the last layer is the model's own distribution
    lens = tr.logit_lens(k=5)
    probs = torch.softmax(torch.from_numpy(ref["logits"]), dim=-1)
    top = torch.topk(probs, 5, dim=-1)
    np.testing.assert_allclose(lens.probs[-1], top.values.numpy(), atol=TOL)
    np.testing.assert_array_equal(lens.token_ids[-1, :, 0], top.indices[:, 0].numpy())
    assert lens.probs.shape[0] == tr.stack("decoder" if family in SEQ2SEQ else "self").n_layers
    assert model.config._attn_implementation == impl


@pytest.mark.parametrize("family", ["gpt2", "llama", "bert"])
def test_half_precision_models_are_captured_without_changing_them(family: str, minilm_tokenizer) -> None:
    model = build(family, "sdpa", dtype=torch.bfloat16)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    tr = al.trace(model, minilm_tokenizer, SOURCE)
    assert tr.dtype == "bfloat16"
    assert next(model.parameters()).dtype == torch.bfloat16
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    attention = tr.attention(0)
    assert attention.dtype == np.float32
    np.testing.assert_allclose(attention.sum(-1), 1.0, atol=1e-5)
    # Layer 0 sees the same bf16 q/k in both; eager rounds its scores to bf16 (2^-8 relative, on
    # scores of ~10: a few hundredths of probability), attnlens keeps them in float32.
    ref = reference(twin(model, family, "eager").to(torch.bfloat16), tr, minilm_tokenizer)
    assert np.abs(attention - ref["self"][0]).max() < 0.03


def test_gqa_heads_share_keys_as_repeat_kv_does(minilm_tokenizer) -> None:
    tr = al.trace(build("llama", "sdpa"), minilm_tokenizer, SOURCE)
    q, k = tr.queries(0), tr.keys(0)
    assert q.shape[0] == 8 and k.shape[0] == 2
    # head 5 reads kv head 5 // 4 = 1: recompute it by hand in float64
    inputs = tr.stack().layers[0]
    scores = q[5].astype(np.float64) @ k[1].astype(np.float64).T * inputs.scaling
    scores[np.triu_indices(len(scores), 1)] = -np.inf
    expected = np.exp(scores - scores.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    np.testing.assert_allclose(tr.attention(0)[5], expected, atol=1e-6)


@pytest.mark.parametrize("family", ["gpt2", "llama", "bert", "t5"])
def test_mlp_activations_are_the_input_of_the_output_projection(family: str, minilm_tokenizer) -> None:
    """Reference: a forward pre-hook of our own on the model's MLP output projection, same input."""
    model = build(family, "sdpa")
    down = {"gpt2": lambda m: m.transformer.h[1].mlp.c_proj, "llama": lambda m: m.model.layers[1].mlp.down_proj,
            "bert": lambda m: m.bert.encoder.layer[1].output.dense,
            "t5": lambda m: m.encoder.block[1].layer[1].DenseReluDense.wo}[family](model)
    seen: list[torch.Tensor] = []
    handle = down.register_forward_pre_hook(lambda _m, args: seen.append(args[0][0].detach().clone()))
    tr = run_trace(model, minilm_tokenizer, family)
    handle.remove()
    stack = "encoder" if family == "t5" else None
    expected = seen[0].float().numpy()
    np.testing.assert_allclose(tr.mlp(1, stack=stack), expected, rtol=2e-3, atol=2e-3 * np.abs(expected).max())
    assert tr.mlp(1, stack=stack).dtype == np.float32
