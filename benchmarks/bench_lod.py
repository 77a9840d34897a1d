"""Level-of-detail attention at real shapes (issue #12): what tracing with summaries costs over a
plain forward pass, and how fast each request of the page is answered.

Run: python benchmarks/bench_lod.py [--tokens 512 4096 32768] [--models gpt2 llama] [--repeats 5]

Shapes (random weights, SDPA, batch of one; width reduced for the CPU, heads and length never):
- gpt2: GPT-2-small's 12 layers × 12 heads, 384 wide (12 × 32), MLP 1536, vocab 50257;
- llama: Llama-3.2-1B's 16 layers × 32 heads with 8 key/value heads, 1024 wide (32 × 32), MLP 4096,
  vocab reduced to 32000 (the unembedding is not what is measured).

Each (model, tokens) runs two fresh processes (``subprocess``, so each peak RSS is its own):
- forward: ``model(input_ids, logits_to_keep=1)`` under no_grad (the trace keeps one logit row too);
- trace: ``al.trace`` then ``trace.summarize()`` (every layer's log-sum-exp and pyramid), then the
  page's requests through ``protocol.answer`` (fields checked, arrays encoded), each the median of
  ``--repeats`` calls at different positions: a full-resolution 512 × 512 tile (block 1, every
  head, below the diagonal so no key is skipped), the overview tile, one row, one cell and one
  64-row window of top-8 keys.
Peak RSS: VmHWM after resetting it (``/proc/self/clear_refs``) once the model is loaded and warmed
up, minus the RSS at that point. Bytes per layer change: the overview tile + one rows window.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch
from bench_capture import _proc_status_kib, _reset_peak, environment
from id_tokenizer import IdTokenizer

RESULT = "RESULT "


def build(family: str, positions: int) -> torch.nn.Module:
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    if family == "gpt2":
        config = GPT2Config(n_layer=12, n_head=12, n_embd=384, n_positions=positions, initializer_range=0.2)
        return GPT2LMHeadModel._from_config(config, attn_implementation="sdpa").eval()
    if family == "llama":
        config = LlamaConfig(num_hidden_layers=16, num_attention_heads=32, num_key_value_heads=8, hidden_size=1024,
                             intermediate_size=4096, vocab_size=32000, max_position_embeddings=positions,
                             initializer_range=0.2)
        return LlamaForCausalLM._from_config(config, attn_implementation="sdpa").eval()
    raise ValueError(f"unknown model {family!r}: choose gpt2 or llama")


def ids_of(model: torch.nn.Module, n: int) -> torch.Tensor:
    return torch.randint(0, model.config.vocab_size, (1, n), generator=torch.Generator().manual_seed(n))


def forward(model: torch.nn.Module, ids: torch.Tensor) -> object:
    with torch.no_grad():
        return model(input_ids=ids, logits_to_keep=1)


def _growth_mib(before: float | None) -> float:
    hwm = _proc_status_kib("VmHWM")
    return float("nan") if hwm is None or before is None else (hwm - before) / 1024


def _median_ms(calls: list) -> float:
    times = []
    for call in calls:
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def answers(trace, repeats: int) -> dict[str, float]:
    """Milliseconds per request kind (median over positions), and bytes of one layer change."""
    from attnlens.analysis.attention_lod import TILE, stored_block
    from attnlens.widget.protocol import answer, buffers_nbytes

    n, heads, layers = trace.n_tokens, trace.n_heads, trace.n_layers
    last = (n - 1) // TILE
    every = list(range(heads))

    def ask(**fields):
        reply, buffers = answer(trace, {"kind": "request", "stack": "self", **fields})
        assert reply["kind"] == "reply", reply
        return buffers_nbytes(buffers)

    def layer(i: int) -> int:
        return (i * 5 + 1) % layers

    finest = stored_block(n, n)
    out = {
        "tile_ms": _median_ms([lambda i=i: ask(what="attention_tile", layer=layer(i), heads=every, pool="max",
                                               block=1, row=last, col=i % (last + 1)) for i in range(repeats)]),
        "overview_ms": _median_ms([lambda i=i: ask(what="attention_tile", layer=layer(i), heads=every, pool="max",
                                                   block=finest, row=0, col=0) for i in range(repeats)]),
        "row_ms": _median_ms([lambda i=i: ask(what="attention_row", layer=layer(i), index=n - 1 - 7 * i,
                                              side="query") for i in range(repeats)]),
        "cell_ms": _median_ms([lambda i=i: ask(what="attention_cell", layer=layer(i), row=n - 1 - i, col=3 * i)
                               for i in range(repeats)]),
        "rows_ms": _median_ms([lambda i=i: ask(what="attention_rows", layer=layer(i), start=64 * ((n - 1) // 64 - i)
                                               if n > 64 * repeats else 0, count=64, k=8) for i in range(repeats)]),
    }
    out["change_bytes"] = ask(what="attention_tile", layer=0, heads=every, pool="max", block=finest, row=0, col=0) \
        + ask(what="attention_rows", layer=0, start=0, count=64, k=8)
    return out


def worker(mode: str, family: str, n: int, threads: int, repeats: int) -> None:
    import attnlens as al

    torch.set_num_threads(threads)
    model = build(family, max(n, 1024))
    warm = ids_of(model, 32)
    forward(model, warm) if mode == "forward" else al.trace(model, IdTokenizer(warm), "x").summarize()
    ids = ids_of(model, n)
    gc.collect()
    before = _proc_status_kib("VmRSS")
    _reset_peak()
    result: dict[str, float] = {}
    start = time.perf_counter()
    if mode == "forward":
        kept = forward(model, ids)
        result["seconds"] = time.perf_counter() - start
        result["peak_mib"] = _growth_mib(before)
    else:
        kept = al.trace(model, IdTokenizer(ids), "x")
        result["trace_s"] = time.perf_counter() - start
        result["trace_peak_mib"] = _growth_mib(before)
        start = time.perf_counter()
        kept.summarize()
        result["summaries_s"] = time.perf_counter() - start
        result["peak_mib"] = _growth_mib(before)
        result["summaries_mib"] = sum(kept.attention_summary(i).nbytes for i in range(kept.n_layers)) / 2**20
        result.update(answers(kept, repeats))
    del kept
    print(RESULT + json.dumps(result), flush=True)


def measure(mode: str, family: str, n: int, args: argparse.Namespace) -> dict | None:
    command = [sys.executable, os.path.abspath(__file__), "--worker", mode, family, str(n),
               "--threads", str(args.threads), "--repeats", str(args.repeats)]
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout, env=env)
    except subprocess.TimeoutExpired:
        print(f"# {mode} {family} {n}: timed out after {args.timeout:.0f} s", flush=True)
        return None
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT)]
    if done.returncode != 0 or not lines:
        print(f"# {mode} {family} {n}: exit {done.returncode}\n{(done.stderr or done.stdout)[-2000:]}", flush=True)
        return None
    return json.loads(lines[-1][len(RESULT) :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, nargs="+", default=[512, 4096, 32768])
    parser.add_argument("--models", nargs="+", default=["gpt2", "llama"], choices=["gpt2", "llama"])
    parser.add_argument("--repeats", type=int, default=5, help="calls per request kind (median)")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--timeout", type=float, default=7200, help="seconds per subprocess")
    parser.add_argument("--worker", nargs=3, metavar=("MODE", "MODEL", "TOKENS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        mode, family, n = args.worker
        worker(mode, family, int(n), args.threads, args.repeats)
        return
    print(environment() + f"; workers use {args.threads} torch thread(s)")
    print("model | tokens | forward s | trace s | summaries s | (trace+summaries)/forward | forward peak MiB | "
          "trace peak MiB | trace+summaries peak MiB | ratio | summaries MiB | tile 512² ms | overview ms | "
          "row ms | cell ms | rows 64×8 ms | bytes per layer change")
    for family in args.models:
        for n in args.tokens:
            f = measure("forward", family, n, args)
            t = measure("trace", family, n, args)
            if f is None or t is None:
                print(f"{family} | {n:,} | failed (see above)", flush=True)
                continue
            ratio_t = (t["trace_s"] + t["summaries_s"]) / f["seconds"]
            print(f"{family} | {n:,} | {f['seconds']:.2f} | {t['trace_s']:.2f} | {t['summaries_s']:.2f} | "
                  f"{ratio_t:.2f} | {f['peak_mib']:,.0f} | {t['trace_peak_mib']:,.0f} | {t['peak_mib']:,.0f} | "
                  f"{t['peak_mib'] / f['peak_mib']:.2f} | {t['summaries_mib']:,.1f} | {t['tile_ms']:.1f} | "
                  f"{t['overview_ms']:.1f} | {t['row_ms']:.1f} | {t['cell_ms']:.1f} | {t['rows_ms']:.1f} | "
                  f"{t['change_bytes']:,.0f}", flush=True)
    print(f"# load average at end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
