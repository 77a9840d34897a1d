"""Attribution cost: attnlens against Captum called directly, and perturbation methods against a forward.

Run: python benchmarks/bench_attribution.py [--ig-tokens 16] [--ig-repeats 6] [--repeats 3]
     [--tokens 64 256] [--threads 1] [--perturbation-models bundled] [--profile]

(a) Integrated gradients, 50 steps, explaining the top next token after the last position:
    ``trace.attribute`` against ``IntegratedGradients(f).attribute(embeds, **captum_kwargs(...))`` with
    f(e) = model(inputs_embeds=e).logits[:, -1, target], on the same ids, baseline and arguments. The
    two run interleaved (A B, B A, ...) after one warm-up each; the medians, the median per-round ratio (goal ≤ 1.05)
    and the largest absolute difference of the attributions (expected 0: the same computation).
(b) LIME and KernelSHAP (default n_samples=200, one perturbation per forward, as attnlens calls them)
    at each of ``--tokens``, over a plain no-grad forward of the same ids.

Models: a GPT-2-small-shaped random-weight model (12 layers, 768 wide, vocab 50257, SDPA) and the bundled
2-layer model. (b) runs on the bundled model by default: 200 forwards of GPT-2 small take 200× a forward,
minutes per call on a 2-core machine; pass ``--perturbation-models bundled gpt2`` to include it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import statistics
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import numpy as np
import torch
from captum import attr
from id_tokenizer import IdTokenizer
from timing import median_time

import attnlens as al
from attnlens.analysis.attribution import baseline_embeddings, captum_kwargs


class NeutralIdTokenizer(IdTokenizer):
    """Exact token counts, with token 0 as the neutral baseline token (as <|endoftext|> for GPT-2)."""

    eos_token_id = 0


def gpt2_small() -> torch.nn.Module:
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    config = GPT2Config(n_layer=12, n_head=12, n_embd=768, n_positions=1024)
    return GPT2LMHeadModel._from_config(config, attn_implementation="sdpa").eval()


def bundled() -> torch.nn.Module:
    from attnlens.bundled import load_model

    return load_model()  # type: ignore[no-any-return]


MODELS: dict[str, Callable[[], torch.nn.Module]] = {"gpt2": gpt2_small, "bundled": bundled}


def traced(model: torch.nn.Module, n: int, seed: int = 0) -> al.Trace:
    vocab = model.get_input_embeddings().weight.shape[0]
    ids = torch.randint(1, vocab, (1, n), generator=torch.Generator().manual_seed(seed))
    return al.trace(model, NeutralIdTokenizer(ids), "x")


def direct_captum(model: torch.nn.Module, tr: al.Trace, method: str, n_samples: int = 200) -> Callable[[], Any]:
    """Captum as a user would call it, with attnlens's own arguments (``captum_kwargs``)."""
    position = len(tr.tokens) - 1
    target = int(tr.logits_at(position).argmax())
    ids = torch.from_numpy(tr.token_ids)[None]

    def f(e: torch.Tensor) -> torch.Tensor:
        return model(inputs_embeds=e).logits[:, position, target]

    cls = {"integrated_gradients": attr.IntegratedGradients, "lime": attr.Lime, "kernel_shap": attr.KernelShap}

    def run() -> np.ndarray:
        embeds = model.get_input_embeddings()(ids).detach()
        baseline = baseline_embeddings(model, tr.source.tokenizer, embeds)
        kwargs = captum_kwargs(method, embeds, baseline, 50, n_samples)
        out = cls[method](f).attribute(embeds, **kwargs).detach()[0]
        return (out.sum(-1) if method == "integrated_gradients" else out[:, 0]).numpy()

    return run


def interleaved(a: Callable[[], Any], b: Callable[[], Any], repeats: int) -> tuple[float, float, float]:
    """Median seconds of a and of b, and the median of their per-round ratio a/b. Rounds alternate
    A B, B A, ... after one warm-up each, so drift in a shared machine's load hits both alike."""
    a()
    b()
    ta: list[float] = []
    tb: list[float] = []
    for round_ in range(repeats):
        order = ((a, ta), (b, tb)) if round_ % 2 == 0 else ((b, tb), (a, ta))
        for fn, times in order:
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    ratio = statistics.median(x / y for x, y in zip(ta, tb, strict=True))
    return statistics.median(ta), statistics.median(tb), ratio


def integrated_gradients(name: str, model: torch.nn.Module, n: int, repeats: int, profile: bool) -> None:
    tr = traced(model, n)
    ours = lambda: tr.attribute(method="integrated_gradients", n_steps=50)  # noqa: E731
    theirs = direct_captum(model, tr, "integrated_gradients")
    start = time.perf_counter()
    values = ours()
    if time.perf_counter() - start < 1.0:  # short calls: more rounds, as the shared machine's noise is ±20%
        repeats = max(repeats, 20)
    diff = float(np.abs(values - theirs()).max())
    t_ours, t_theirs, ratio = interleaved(ours, theirs, repeats)
    print(f"{name} | {n} | {repeats} | {t_theirs:.3f} | {t_ours:.3f} | {ratio:.3f} | {diff:.1e}")
    if profile:
        prof = cProfile.Profile()
        prof.runcall(ours)
        text = io.StringIO()
        pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(25)
        print(text.getvalue())


def perturbation(name: str, model: torch.nn.Module, n: int, repeats: int) -> None:
    tr = traced(model, n)
    ids = torch.from_numpy(tr.token_ids)[None]

    def forward() -> None:
        with torch.no_grad():
            model(input_ids=ids)

    t_forward = median_time(forward, 11)  # short and noisy on a shared machine: more repeats
    cells = []
    for method in ("lime", "kernel_shap"):
        t = median_time(lambda method=method: tr.attribute(method=method), repeats)
        cells.append(f"{t:.3f} | {t / t_forward:.0f}")
    print(f"{name} | {n} | {repeats} | {t_forward * 1e3:.1f} | " + " | ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ig-tokens", type=int, default=16)
    parser.add_argument("--ig-models", nargs="+", default=["gpt2", "bundled"], choices=list(MODELS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ig-repeats", type=int, default=6, help="rounds of (a), alternating the order")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1: on 2 shared cores, 2 threads made every op wait for a "
                             "descheduled thread, 20-50x slower and erratic)")
    parser.add_argument("--tokens", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--perturbation-models", nargs="+", default=["bundled"], choices=list(MODELS))
    parser.add_argument("--repeats-256", type=int, default=2, help="repeats at 256 tokens and more")
    parser.add_argument("--profile", action="store_true", help="cProfile one attnlens IG call per model")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"threads {torch.get_num_threads()}; gpt2 = GPT-2-small-shaped random weights (SDPA), "
          "bundled = attnlens's 2-layer model; CPU, float32")
    models = {name: MODELS[name]() for name in dict.fromkeys(args.ig_models + args.perturbation_models)}
    print(f"\n(a) integrated gradients, 50 steps, {args.ig_repeats} interleaved rounds (20 for calls under 1 s; "
          "order alternating) after a warm-up; same ids, baseline and captum_kwargs; "
          "ratio = median of the per-round ratios")
    print("model | tokens | rounds | Captum direct s | attnlens s | attnlens / direct | max abs diff")
    for name in args.ig_models:
        integrated_gradients(name, models[name], args.ig_tokens, args.ig_repeats, args.profile)
    print("\n(b) LIME and KernelSHAP, n_samples=200 (default), one perturbation per forward; "
          f"repeats: {args.repeats} below 256 tokens, {args.repeats_256} at 256 and more (fewer: slower)")
    print("model | tokens | repeats | forward ms | LIME s | LIME / forward | KernelSHAP s | KernelSHAP / forward")
    for name in args.perturbation_models:
        for n in args.tokens:
            perturbation(name, models[name], n, args.repeats if n < 256 else args.repeats_256)
    print(f"\n# total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
