"""Activation patching, batched against one forward per cell; patching and logit attribution at 1,024 tokens.

Run: python benchmarks/bench_patching.py [--tokens 64] [--long 1024] [--repeats 3] [--threads 1]
     [--skip-long] [--skip-short]

(a) GPT-2-small shape (12 layers × 12 heads, 768 wide, vocab 50257, SDPA, random weights), ``--tokens``
    random ids, the corrupt run with 4 of them changed: al.patch(what="heads"), all 144 heads, against a
    loop of one batch-1 forward per cell through the same hooks (what TransformerLens-style code does).
    Median of ``--repeats`` after a warm-up; the largest absolute difference of the two results.
(b) The same model at ``--long`` tokens with progress bars: al.patch "heads" (144 cells), "residual" over
    the last 4 positions (48 cells), and trace.logit_attribution, each timed once.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import numpy as np
import torch
from id_tokenizer import IdTokenizer
from timing import median_time

import attnlens as al
from attnlens.analysis.patching import capture_activations, logit_difference, patch_hook
from attnlens.analysis.residual_parts import model_inputs, self_stack


def gpt2_small() -> torch.nn.Module:
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    config = GPT2Config(n_layer=12, n_head=12, n_embd=768, n_positions=1024, initializer_range=0.2)
    return GPT2LMHeadModel._from_config(config, attn_implementation="sdpa").eval()


def traces(model: Any, n: int) -> tuple[Any, Any, int, int]:
    gen = torch.Generator().manual_seed(n)
    ids = torch.randint(100, 50000, (1, n), generator=gen)
    changed = ids.clone()
    changed[0, [n // 5, n // 3, n // 2, n - 3]] = torch.randint(100, 50000, (4,), generator=gen)
    clean, corrupt = al.trace(model, IdTokenizer(ids), "x"), al.trace(model, IdTokenizer(changed), "x")
    top = np.argsort(-clean.logits_at(n - 1))[:2]
    return clean, corrupt, int(top[0]), int(top[1])


def loop_heads(model: Any, clean: Any, corrupt: Any, target: int, contrast: int) -> np.ndarray:
    """One forward per (layer, head), batch of one, the same hooks: the per-cell baseline (raw logit diffs)."""
    stack = self_stack(model, "patching")
    source = capture_activations(model, stack, clean._encoded, "heads")
    inputs = model_inputs(model, corrupt._encoded)
    n, heads = len(stack.blocks), clean.n_heads
    out = np.zeros((n, heads))
    for layer in range(n):
        for head in range(heads):
            with patch_hook(stack, "heads", layer, [head], source[layer], heads):
                out[layer, head] = float(logit_difference(model, inputs, clean.n_tokens - 1, target, contrast)[0])
    return out


def part_a(model: Any, n: int, repeats: int) -> None:
    clean, corrupt, target, contrast = traces(model, n)
    kwargs = dict(target=target, contrast=contrast, progress=False)
    batched = al.patch(clean, corrupt, "heads", **kwargs)
    raw = loop_heads(model, clean, corrupt, target, contrast)
    looped = (raw - batched.corrupt) / (batched.clean - batched.corrupt)
    t_batched = median_time(lambda: al.patch(clean, corrupt, "heads", **kwargs), repeats)
    t_loop = median_time(lambda: loop_heads(model, clean, corrupt, target, contrast), repeats)
    print(f"(a) GPT-2-small shape, {n} tokens, 144 heads: batched {t_batched:.2f} s, one forward per cell "
          f"{t_loop:.2f} s, speed-up {t_loop / t_batched:.2f}x; max |difference| "
          f"{np.abs(batched.values - looped).max():.2e} (values span {np.ptp(batched.values):.3g})")


def timed(label: str, fn: Any) -> Any:
    start = time.perf_counter()
    result = fn()
    print(f"    {label}: {time.perf_counter() - start:.1f} s")
    return result


def part_b(model: Any, n: int) -> None:
    print(f"(b) GPT-2-small shape, {n} tokens:")
    clean, corrupt, target, contrast = timed("two traces", lambda: traces(model, n))
    kwargs = dict(target=target, contrast=contrast)
    timed("al.patch heads (144 cells)", lambda: al.patch(clean, corrupt, "heads", **kwargs))
    timed("al.patch residual, last 4 positions (48 cells)",
          lambda: al.patch(clean, corrupt, "residual", positions=list(range(n - 4, n)), **kwargs))
    result = timed("trace.logit_attribution", lambda: clean.logit_attribution(target, contrast))
    print(f"    parts sum {result.total:.5f}, model's logit difference {result.logit:.5f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--long", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip-long", action="store_true")
    parser.add_argument("--skip-short", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"{platform.processor() or platform.machine()}, torch {torch.__version__}, {args.threads} thread(s)")
    model = gpt2_small()
    if not args.skip_short:
        part_a(model, args.tokens, args.repeats)
    if not args.skip_long:
        part_b(model, args.long)


if __name__ == "__main__":
    main()
