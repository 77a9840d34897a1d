"""The output × input attribution matrix: each row is one ordinary attribution (and Captum's own
answer), a causal model leaves the future at zero by itself, and generated text gets its rows."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from captum import attr

import attnlens as al
from attnlens.bundled import load
from families import NoSegments, build, minilm_dir

TEXT = "Harry Potter went to the castle. Then Hermione met Harry"


@pytest.fixture(scope="module")
def trace(bundled):
    model, tokenizer = bundled
    return al.trace(model, tokenizer, TEXT)


def captum_row(model, ids: np.ndarray, p: int, method: str) -> np.ndarray:
    """Captum called directly: token p's logit after position p − 1, neutral-token (id 0) baseline."""
    e = model.get_input_embeddings()(torch.from_numpy(ids)[None]).detach()
    base = model.get_input_embeddings()(torch.zeros(e.shape[:2], dtype=torch.long)).detach()
    target = int(ids[p])

    def f(embeds: torch.Tensor) -> torch.Tensor:
        return model(inputs_embeds=embeds).logits[:, p - 1, target]

    if method == "integrated_gradients":
        return attr.IntegratedGradients(f).attribute(e, baselines=base, n_steps=50).detach()[0].sum(-1).numpy()
    mask = torch.arange(e.shape[1]).view(1, -1, 1).expand_as(e)
    return attr.FeatureAblation(f).attribute(e, baselines=base, feature_mask=mask).detach()[0, :, 0].numpy()


@pytest.mark.parametrize("method", ["integrated_gradients", "feature_ablation"])
def test_a_row_is_one_attribution_and_equals_captum(method, bundled, trace) -> None:
    model, _ = bundled
    rows = [3, 7, len(trace.tokens) - 1]
    matrix = trace.attribute_matrix(method=method, rows=rows)
    assert matrix.dtype == np.float32 and matrix.shape == (3, len(trace.tokens))
    for i, p in enumerate(rows):
        one = trace.attribute(target=int(trace.token_ids[p]), position=p - 1, method=method)
        np.testing.assert_allclose(matrix[i], one, atol=1e-5)
        np.testing.assert_allclose(matrix[i], captum_row(model, trace.token_ids, p, method), atol=1e-5)
    assert not np.allclose(matrix[0, :3], matrix[1, :3])  # rows explain different tokens


@pytest.mark.parametrize("method", ["integrated_gradients", "input_x_gradient", "occlusion", "attention_rollout"])
def test_causality_leaves_the_future_at_zero(method, trace) -> None:
    matrix = trace.attribute_matrix(method=method)  # default rows: 1 .. n − 1
    n = len(trace.tokens)
    assert matrix.shape == (n - 1, n)
    for i, p in enumerate(range(1, n)):
        assert np.all(matrix[i, p:] == 0.0), (p, matrix[i, p:])  # never forced: nothing there reaches it
        assert np.any(matrix[i, :p] != 0.0)


def test_generated_text_defaults_to_the_generated_rows(bundled) -> None:
    model, tokenizer = bundled
    tr = al.generate(model, tokenizer, "Once upon a time there was a", max_new_tokens=5)
    assert tr.generated is not None
    rows = [p for p, g in enumerate(tr.generated) if g]
    assert len(rows) == 5 and rows[-1] == len(tr.tokens) - 1
    matrix = tr.attribute_matrix()
    assert matrix.shape == (5, len(tr.tokens))
    for i, p in enumerate(rows):
        expected = tr.attribute(target=int(tr.token_ids[p]), position=p - 1)
        np.testing.assert_allclose(matrix[i], expected, atol=1e-5)
        assert np.all(matrix[i, p:] == 0.0)
    # greedy decoding: each generated token is the model's own top prediction, i.e. the default target
    np.testing.assert_allclose(matrix[-1], tr.attribute(position=rows[-1] - 1), atol=1e-5)


@pytest.mark.parametrize(
    ("rows", "error", "message"),
    [
        ([0], ValueError, r"row 0 cannot be explained: each row is the position of a token predicted from the "
                          r"ones before it, from 1 to \d+"),
        ([1, 99], ValueError, r"row 99 cannot be explained"),
        ([True], ValueError, r"row True cannot be explained"),
        ([], ValueError, r"rows is empty; pass positions from 1 to \d+, or None"),
        (5, TypeError, r"rows must be a list of token positions, got int"),
    ],
)
def test_bad_rows(trace, rows, error, message) -> None:
    with pytest.raises(error, match=message):
        trace.attribute_matrix(rows=rows)


def test_unknown_method(trace) -> None:
    with pytest.raises(ValueError, match=r"unknown attribution method 'magic'"):
        trace.attribute_matrix(method="magic")


def test_encoder_and_seq2seq_models_are_refused(minilm_tokenizer) -> None:
    from transformers import AutoModel

    encoder = al.trace(AutoModel.from_pretrained(minilm_dir()), minilm_tokenizer, "the cat sat")
    with pytest.raises(ValueError, match=r"attribute_matrix is for causal language models; this bert model "
                                         r"lets each token see later ones"):
        encoder.attribute_matrix()
    seq2seq = al.trace(build("t5", "eager"), NoSegments(minilm_tokenizer), "the cat sat", decoder_text="le chat")
    with pytest.raises(ValueError, match=r"this t5 model is an encoder-decoder"):
        seq2seq.attribute_matrix()


def test_a_model_in_training_mode_is_explained_in_eval_mode_and_left_training() -> None:
    model, tokenizer = load()
    tr = al.trace(model, tokenizer, TEXT)
    expected = tr.attribute(method="saliency")
    model.train()
    modes = [m.training for m in model.modules()]
    assert all(modes)
    np.testing.assert_array_equal(tr.attribute(method="saliency"), expected)
    assert [m.training for m in model.modules()] == modes
    model.eval()
    model.model.layers[0].train()  # a mix: only what was training goes back to training
    modes = [m.training for m in model.modules()]
    tr.attribute(method="saliency")
    assert [m.training for m in model.modules()] == modes
