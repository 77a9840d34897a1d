"""Activation patching equals a hand-written one-forward-per-cell hook implementation (float64)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
import transformers as tf

import attnlens as al
from families import NoSegments, build, minilm_dir

CLEAN = "the cat sat on the mat because it was tired"
CORRUPT = "the dog sat on the rug because it was tired"


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    return tf.AutoTokenizer.from_pretrained(minilm_dir())


def _modules(model: Any, family: str, layer: int) -> dict[str, torch.nn.Module]:
    """Written out here, not taken from attnlens' adapters: block, attention output projection, MLP output."""
    if family == "gpt2":
        block = model.transformer.h[layer]
        return {"block": block, "attn": block.attn.c_proj, "mlp": block.mlp.c_proj}
    if family == "llama":
        block = model.model.layers[layer]
        return {"block": block, "attn": block.self_attn.o_proj, "mlp": block.mlp.down_proj}
    block = model.bert.encoder.layer[layer]
    return {"block": block, "attn": block.attention.output.dense, "mlp": block.output.dense}


def _reference(model: Any, family: str, base: dict[str, Any], source: dict[str, Any], what: str,
               position: int, target: int, contrast: int, n_heads: int) -> np.ndarray:
    """One forward pass per cell, the activation replaced by a hook, no batching."""
    n_layers, n_tokens = model.config.num_hidden_layers, base["input_ids"].shape[1]
    saved: dict[int, torch.Tensor] = {}
    handles = []
    for layer in range(n_layers):
        mods = _modules(model, family, layer)
        if what == "residual":
            handles.append(mods["block"].register_forward_pre_hook(
                lambda _m, a, k, layer=layer: saved.__setitem__(layer, (a[0] if a else k["hidden_states"]).clone()),
                with_kwargs=True))
        elif what == "heads":
            handles.append(mods["attn"].register_forward_pre_hook(
                lambda _m, a, layer=layer: saved.__setitem__(layer, a[0].clone())))
        else:
            handles.append(mods["attn" if what == "attention_out" else "mlp"].register_forward_hook(
                lambda _m, _a, o, layer=layer: saved.__setitem__(layer, o.clone())))
    with torch.no_grad():
        model(**source)
    for h in handles:
        h.remove()
    cells = n_heads if what == "heads" else n_tokens
    out = np.zeros((n_layers, cells))
    for layer in range(n_layers):
        mods = _modules(model, family, layer)
        for cell in range(cells):
            def swap(t: torch.Tensor, layer: int = layer, cell: int = cell) -> torch.Tensor:
                t = t.clone()
                if what == "heads":
                    width = t.shape[-1] // n_heads
                    t[0, :, cell * width : (cell + 1) * width] = saved[layer][0, :, cell * width : (cell + 1) * width]
                else:
                    t[0, cell] = saved[layer][0, cell]
                return t

            if what == "residual":
                handle = mods["block"].register_forward_pre_hook(
                    lambda _m, a, k: ((swap(a[0]), *a[1:]), k) if a else (a, {**k, "hidden_states":
                                                                           swap(k["hidden_states"])}),
                    with_kwargs=True)
            elif what == "heads":
                handle = mods["attn"].register_forward_pre_hook(lambda _m, a: (swap(a[0]), *a[1:]))
            else:
                handle = mods["attn" if what == "attention_out" else "mlp"].register_forward_hook(
                    lambda _m, _a, o: swap(o))
            with torch.no_grad():
                logits = model(**base).logits[0, position]
            handle.remove()
            out[layer, cell] = float(logits[target] - logits[contrast])
    return out


@pytest.mark.parametrize("family", ["gpt2", "llama", "bert"])
@pytest.mark.parametrize("what", ["residual", "attention_out", "mlp_out", "heads"])
def test_batched_patching_equals_one_hooked_forward_per_cell(family: str, what: str, tokenizer: Any) -> None:
    model = build(family, "sdpa", dtype=torch.float64)
    tok = tokenizer if family == "bert" else NoSegments(tokenizer)
    clean, corrupt = al.trace(model, tok, CLEAN), al.trace(model, tok, CORRUPT)
    position = 5 if family == "bert" else clean.n_tokens - 1
    top = np.argsort(-clean.logits_at(position))[:2]
    target, contrast = int(top[0]), int(top[1])
    for direction in ("denoise", "noise") if what == "heads" else ("denoise",):
        result = al.patch(clean, corrupt, what, target=target, contrast=contrast, direction=direction,
                          position=position, batch_tokens=40, progress=False)  # 4 rows a batch: several batches
        base, source = (CORRUPT, CLEAN) if direction == "denoise" else (CLEAN, CORRUPT)
        raw = _reference(model, family, dict(tok(base, return_tensors="pt")), dict(tok(source, return_tensors="pt")),
                         what, position % clean.n_tokens, target, contrast, clean.n_heads)
        denom = result.clean - result.corrupt
        expected = (raw - result.corrupt) / denom if direction == "denoise" else (result.clean - raw) / denom
        assert result.values.shape == (3, clean.n_heads if what == "heads" else clean.n_tokens)
        np.testing.assert_allclose(result.values, expected, rtol=0, atol=1e-9)
        assert np.ptp(result.values) > 1e-3  # the patches do something


def test_denoising_the_whole_residual_at_layer_0_restores_everything_that_differs(tokenizer: Any) -> None:
    model = build("llama", "sdpa", dtype=torch.float64)
    tok = NoSegments(tokenizer)
    clean, corrupt = al.trace(model, tok, CLEAN), al.trace(model, tok, CORRUPT)
    result = al.patch(clean, corrupt, "residual", position=5, progress=False)  # after "mat" / "rug"
    same = [i for i, (a, b) in enumerate(zip(clean.tokens, corrupt.tokens, strict=True)) if a == b]
    np.testing.assert_allclose(result.values[0, same], 0.0, atol=1e-12)  # identical embeddings: nothing moves
    assert result.target == int(clean.logits_at(5).argmax()) and result.contrast == int(corrupt.logits_at(5).argmax())
    assert np.asarray(result).shape == result.shape


def test_bad_runs_are_refused_with_what_to_do(tokenizer: Any) -> None:
    model = build("gpt2", "sdpa")
    tok = NoSegments(tokenizer)
    clean = al.trace(model, tok, CLEAN)
    with pytest.raises(ValueError, match=r"the clean text is 12 tokens and the corrupt text 13.*same number"):
        al.patch(clean, al.trace(model, tok, "the big dog sat on the mat because it was tired"), progress=False)
    other = build("gpt2", "sdpa", seed=1)
    with pytest.raises(ValueError, match="two different model objects"):
        al.patch(clean, al.trace(other, tok, CORRUPT), progress=False)
    llama = build("llama", "sdpa")
    with pytest.raises(ValueError, match="different models"):
        al.patch(clean, al.trace(llama, tok, CORRUPT), progress=False)
    corrupt = al.trace(model, tok, CORRUPT)
    with pytest.raises(ValueError, match="unknown what"):
        al.patch(clean, corrupt, "attention", progress=False)
    with pytest.raises(ValueError, match="unknown direction"):
        al.patch(clean, corrupt, direction="both", progress=False)
    with pytest.raises(ValueError, match="same token"):
        al.patch(clean, corrupt, target=5, contrast=5, progress=False)
    with pytest.raises(ValueError, match="out of range"):
        al.patch(clean, corrupt, positions=[40], progress=False)
