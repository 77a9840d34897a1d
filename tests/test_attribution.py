"""Attributions equal Captum called directly; IG is complete; rollout and flow equal float64
references written here from Abnar & Zuidema (2020); ablation removes in-context copying."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from captum import attr

import attnlens as al

TEXT = "Harry Potter went to the castle. Then Hermione met Harry"


@pytest.fixture(scope="module")
def trace(bundled):
    model, tokenizer = bundled
    return al.trace(model, tokenizer, TEXT)


def reference_forward(model, position: int, target: int, contrast: int | None = None):
    def f(embeds: torch.Tensor) -> torch.Tensor:
        logits = model(inputs_embeds=embeds).logits[:, position]
        return logits[:, target] - (logits[:, contrast] if contrast is not None else 0)

    return f


def embeddings(model, trace) -> torch.Tensor:
    return model.get_input_embeddings()(torch.from_numpy(trace.token_ids)[None]).detach()


def baseline(model, e: torch.Tensor) -> torch.Tensor:
    """<|endoftext|> (the bundled tokenizer's only special token, id 0) at every position."""
    return model.get_input_embeddings()(torch.zeros(e.shape[:2], dtype=torch.long)).detach()


CAPTUM = {
    "integrated_gradients": (attr.IntegratedGradients, lambda e, b: {"baselines": b, "n_steps": 50}),
    "saliency": (attr.Saliency, lambda e, b: {"abs": True}),
    "input_x_gradient": (attr.InputXGradient, lambda e, b: {}),
    "occlusion": (attr.Occlusion, lambda e, b: {"sliding_window_shapes": (1, e.shape[2]), "baselines": b}),
    "feature_ablation": (attr.FeatureAblation, lambda e, b: {"baselines": b, "feature_mask": token_mask(e)}),
    "lime": (attr.Lime, lambda e, b: {"baselines": b, "feature_mask": token_mask(e), "n_samples": 50}),
    "kernel_shap": (attr.KernelShap, lambda e, b: {"baselines": b, "feature_mask": token_mask(e), "n_samples": 50}),
}


def token_mask(e: torch.Tensor) -> torch.Tensor:
    return torch.arange(e.shape[1]).view(1, -1, 1).expand_as(e)


@pytest.mark.parametrize("method", list(CAPTUM))
def test_each_method_equals_captum_called_directly(method, bundled, trace) -> None:
    model, _ = bundled
    position = len(trace.tokens) - 1
    target = int(trace.logits[position].argmax())
    torch.manual_seed(0)
    ours = trace.attribute(method=method, n_samples=50)
    cls, kwargs = CAPTUM[method]
    e = embeddings(model, trace)
    torch.manual_seed(0)
    raw = cls(reference_forward(model, position, target)).attribute(e, **kwargs(e, baseline(model, e))).detach()[0]
    expected = raw.sum(-1) if method in ("integrated_gradients", "saliency", "input_x_gradient") else raw[:, 0]
    assert ours.shape == (len(trace.tokens),)
    np.testing.assert_allclose(ours, expected.numpy(), atol=1e-5, rtol=1e-4)
    assert np.abs(ours).max() > 0


def test_integrated_gradients_are_complete(bundled, trace) -> None:
    model, _ = bundled
    position = len(trace.tokens) - 1
    target = int(trace.logits[position].argmax())
    f = reference_forward(model, position, target)
    e = embeddings(model, trace)
    with torch.no_grad():
        gap = float(f(e) - f(baseline(model, e)))
    total = float(trace.attribute(method="integrated_gradients", n_steps=50).sum())
    assert abs(total - gap) <= 0.05 * abs(gap), (total, gap)


def test_contrast_is_the_difference_of_the_two_explanations(trace, bundled) -> None:
    _, tokenizer = bundled
    (the,) = tokenizer(" the", add_special_tokens=False)["input_ids"]
    (a_,) = tokenizer(" a", add_special_tokens=False)["input_ids"]
    a = trace.attribute(target=the, method="input_x_gradient")
    b = trace.attribute(target=a_, method="input_x_gradient")
    both = trace.attribute(target=the, contrast=a_, method="input_x_gradient")
    np.testing.assert_allclose(both, a - b, atol=1e-5)
    same = trace.attribute(target=" the", method="input_x_gradient")  # text naming one token
    np.testing.assert_allclose(same, a, atol=1e-6)


def rollout_reference(attentions: np.ndarray) -> np.ndarray:
    """Abnar & Zuidema eq.: Ã_l = 0.5·mean_h A_l + 0.5·I, rows renormalised; R = Ã_L ⋯ Ã_1."""
    result = np.eye(attentions.shape[-1])
    for layer in attentions.astype(np.float64):
        a = 0.5 * layer.mean(0) + 0.5 * np.eye(len(result))
        a /= a.sum(-1, keepdims=True)
        result = a @ result
    return result


def max_flow_reference(capacity: np.ndarray, source: int, sink: int) -> float:
    """Edmonds–Karp on a dense float64 capacity matrix (BFS augmenting paths)."""
    residual = capacity.copy()
    flow = 0.0
    n = len(residual)
    while True:
        parent = [-1] * n
        parent[source] = source
        queue = [source]
        while queue and parent[sink] == -1:
            u = queue.pop(0)
            for v in np.nonzero(residual[u] > 1e-15)[0]:
                if parent[v] == -1:
                    parent[v] = u
                    queue.append(int(v))
        if parent[sink] == -1:
            return flow
        path, v = [], sink
        while v != source:
            path.append((parent[v], v))
            v = parent[v]
        push = min(residual[u, v] for u, v in path)
        for u, v in path:
            residual[u, v] -= push
            residual[v, u] += push
        flow += push


def test_rollout_and_flow_equal_the_papers_definitions(trace) -> None:
    attentions = trace.attentions
    position = len(trace.tokens) - 1
    rollout = trace.attribute(method="attention_rollout")
    np.testing.assert_allclose(rollout, rollout_reference(attentions)[position], atol=1e-9)
    assert rollout.sum() == pytest.approx(1.0)
    # flow: nodes (layer, token) flattened; edges from layer l token j to layer l+1 token i
    layers, _, n, _ = attentions.shape
    capacity = np.zeros(((layers + 1) * n, (layers + 1) * n))
    for layer, a in enumerate(attentions.astype(np.float64)):
        mixed = 0.5 * a.mean(0) + 0.5 * np.eye(n)
        mixed /= mixed.sum(-1, keepdims=True)
        capacity[layer * n:(layer + 1) * n, (layer + 1) * n:(layer + 2) * n] = mixed.T
    flow = trace.attribute(method="attention_flow")
    expected = [max_flow_reference(capacity, j, layers * n + position) for j in range(n)]
    np.testing.assert_allclose(flow, expected, atol=1e-7)
    assert not np.allclose(flow, rollout)  # two different answers, not one computed twice


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"method": "shapley_magic"}, ValueError, r"unknown attribution method 'shapley_magic'; attnlens offers \["),
        ({"target": 10**6}, ValueError, r"target 1000000 is not in the vocabulary: use a token id from 0 to 2047"),
        ({"target": " Hermione Granger"}, ValueError, r"target ' Hermione Granger' is \d+ tokens .*, not one"),
        ({"position": 99}, ValueError, r"position 99 is out of range: the text has positions 0 to"),
        ({"contrast": -1}, ValueError, r"contrast -1 is not in the vocabulary"),
    ],
)
def test_bad_attribution_requests(trace, kwargs, error, message) -> None:
    with pytest.raises(error, match=message):
        trace.attribute(**kwargs)


def test_no_gradients_under_inference_mode(trace) -> None:
    with torch.inference_mode(), pytest.raises(ValueError, match=r"gradients are off: .*inference_mode"):
        trace.attribute(method="saliency")


def test_ablating_the_induction_layer_stops_in_context_copying(bundled) -> None:
    model, tokenizer = bundled
    rng = np.random.default_rng(0)
    # whole-word tokens (" castle"): random picks of them, joined, tokenize back to the same ids
    words = [t for t in tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
             if t.startswith("Ġ") and t[1:].isalpha() and len(t) > 3]
    accuracies = []
    for _ in range(3):
        half = "".join(rng.choice(words, size=30, replace=False)).replace("Ġ", " ")
        tr = al.trace(model, tokenizer, half + half)
        span = len(tr.tokens) // 2
        assert list(tr.token_ids[:span]) == list(tr.token_ids[span:])
        cut = tr.ablate(heads=[(1, h) for h in range(tr.n_heads)])
        accuracies.append((copying_accuracy(tr, span), copying_accuracy(cut, span)))
    before = np.mean([a for a, _ in accuracies])
    after = np.mean([b for _, b in accuracies])
    print(f"copying accuracy: {before:.2f} intact, {after:.2f} with layer 1's heads ablated")
    assert before >= 0.6 and after <= before - 0.4
    assert not np.allclose(cut.logits, tr.logits)  # a new run; the original trace is untouched


def copying_accuracy(tr: al.Trace, span: int) -> float:
    """Top-1 accuracy on the second copy: position p predicts token p + 1."""
    predictions = tr.logits.argmax(-1)
    return float(np.mean([predictions[p] == tr.token_ids[p + 1] for p in range(span, 2 * span - 1)]))


def test_ablation_arguments_are_checked(trace) -> None:
    with pytest.raises(ValueError, match=r"heads: layer 5 is out of range \(0 to 1\)"):
        trace.ablate(heads=[(5, 0)])
    with pytest.raises(TypeError, match=r"neurons must be \(layer, neuron\) pairs of ints"):
        trace.ablate(neurons=[3])
    with pytest.raises(ValueError, match="unknown ablation mode 'half'"):
        trace.ablate(heads=[(0, 0)], mode="half")
