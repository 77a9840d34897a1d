"""Capture cost at length: ``al.trace`` time over a plain forward pass, and peak memory over a plain
forward pass, for a GPT-2-small-shaped and a Llama-shaped model with random weights under SDPA.

Run: python benchmarks/bench_capture.py [--tokens 512 2048 8192] [--rss-tokens 4096] [--quick]
     [--models gpt2 llama] [--repeats 3] [--profile 2048]

Every figure is a ratio against an anchor measured in the same run:
- time: median ``al.trace`` / median ``model(input_ids)`` (no_grad, same ids, same model);
- memory: each measurement runs in a fresh Python process (``subprocess``, not fork) that builds the
  model, warms up on 32 tokens through the same code path, and records ``ru_maxrss`` as a baseline;
  then runs the work once and records ``ru_maxrss`` again (the result is still alive). The peak
  increase of ``al.trace`` is divided by the peak increase of the plain forward. Where Linux allows
  it, the peak is also reset (``/proc/self/clear_refs``) after loading, which guards against a load
  peak hiding the work's peak; both readings are printed.
Absolute seconds and MiB are printed for context only (CPU runs are not comparable across machines).
"""

# ruff: noqa: E402  (ru_maxrss is read before the other imports)
from __future__ import annotations

import resource
import sys

# ru_maxrss survives fork + exec: a worker starts with its parent's peak (measured before any import).
_INHERITED_MAXRSS = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

import argparse
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import statistics
import subprocess
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch
from id_tokenizer import IdTokenizer

MAX_POSITIONS = 8192
RESULT = "RESULT "


def build(family: str) -> torch.nn.Module:
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    if family == "gpt2":  # GPT-2 small: 12 layers, 12 heads, 768 wide, vocab 50257
        config = GPT2Config(n_layer=12, n_head=12, n_embd=768, n_positions=MAX_POSITIONS)
        model = GPT2LMHeadModel._from_config(config, attn_implementation="sdpa")
    elif family == "llama":  # Llama-shaped: rotary, grouped-query attention (12 query / 4 kv heads)
        config = LlamaConfig(num_hidden_layers=12, hidden_size=768, num_attention_heads=12, num_key_value_heads=4,
                             intermediate_size=2048, max_position_embeddings=MAX_POSITIONS, vocab_size=32000)
        model = LlamaForCausalLM._from_config(config, attn_implementation="sdpa")
    else:
        raise ValueError(f"unknown model {family!r}: choose gpt2 or llama")
    return model.eval()


def random_ids(model: torch.nn.Module, n: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(n)
    return torch.randint(0, model.config.vocab_size, (1, n), generator=generator)


def plain_forward(model: torch.nn.Module, ids: torch.Tensor):
    with torch.no_grad():
        return model(input_ids=ids, attention_mask=torch.ones_like(ids))


def run_trace(model: torch.nn.Module, ids: torch.Tensor):
    import attnlens as al

    return al.trace(model, IdTokenizer(ids), "x")


WORK = {"forward": plain_forward, "trace": run_trace}


# --- memory: one measurement per fresh process ------------------------------------------------------


def _maxrss_kib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform == "darwin" else float(peak)  # bytes on macOS, KiB on Linux


def _proc_status_kib(field: str) -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Linux ≥ 4.0: writing 5 to clear_refs resets VmHWM (the peak RSS) to the current RSS."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def worker(mode: str, family: str, n: int, threads: int) -> None:
    torch.set_num_threads(threads)
    model = build(family)
    WORK[mode](model, random_ids(model, 32))  # warm-up: lazy imports, thread pools, kernel selection
    ids = random_ids(model, n)
    gc.collect()
    baseline = _maxrss_kib()
    rss_before = _proc_status_kib("VmRSS")
    reset = _reset_peak()
    start = time.perf_counter()
    result = WORK[mode](model, ids)
    seconds = time.perf_counter() - start
    peak = _maxrss_kib()
    hwm = _proc_status_kib("VmHWM") if reset else None
    gc.collect()
    rss_after = _proc_status_kib("VmRSS")  # what the result keeps alive
    del result
    inherited = _INHERITED_MAXRSS / 1024 if sys.platform == "darwin" else float(_INHERITED_MAXRSS)
    print(RESULT + json.dumps({
        "inherited_kib": inherited, "baseline_kib": baseline, "peak_kib": peak, "rss_before_kib": rss_before,
        "hwm_kib": hwm, "rss_after_kib": rss_after, "seconds": seconds,
    }), flush=True)


def measure_rss(mode: str, family: str, n: int, threads: int, timeout: float) -> dict | None:
    command = [sys.executable, os.path.abspath(__file__), "--worker", mode, family, str(n), "--threads", str(threads)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_src_dir(), os.environ.get("PYTHONPATH")]))}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        print(f"# rss worker {mode} {family} {n}: timed out after {timeout:.0f} s", flush=True)
        return None
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT)]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout)[-2000:]
        print(f"# rss worker {mode} {family} {n}: exit {done.returncode}\n{tail}", flush=True)
        return None
    return json.loads(lines[-1][len(RESULT):])


def _src_dir() -> str | None:
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    return src if os.path.isdir(src) else None


# --- time ------------------------------------------------------------------------------------------


def _growth(run: dict, peak_key: str) -> tuple[float, str]:
    growth = (run[peak_key] - run["rss_before_kib"]) / 1024
    hidden = peak_key == "peak_kib" and run["peak_kib"] <= run["baseline_kib"]
    return growth, ("<=" if hidden else "")


def _rss_row(forward: dict, traced: dict) -> str:
    cells = []
    keys = ["peak_kib"] + (["hwm_kib"] if forward["hwm_kib"] and traced["hwm_kib"] else [])
    for key in keys:
        (f, f_mark), (t, t_mark) = _growth(forward, key), _growth(traced, key)
        ratio = f"{t / f:.2f}" if f > 0 and not (f_mark or t_mark) else "n/a"
        cells += [f"{f_mark}{f:,.0f}", f"{t_mark}{t:,.0f}", ratio]
    if len(keys) == 1:
        cells += ["-", "-", "-"]
    keeps = (traced["rss_after_kib"] - traced["rss_before_kib"]) / 1024 if traced["rss_after_kib"] else float("nan")
    cells += [f"{keeps:,.0f}", f"{forward['seconds']:.1f}", f"{traced['seconds']:.1f}"]
    return " | ".join(cells)


def _timed(fn) -> float:
    gc.collect()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    del result
    return seconds


def paired_times(forward, trace, repeats: int) -> tuple[float, float, float]:
    """Forward and trace alternate, so load from other processes hits both alike. Returns the median
    forward time, the median trace time and the median of the per-pair ratios."""
    pairs = [(_timed(forward), _timed(trace)) for _ in range(repeats)]
    return (statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs),
            statistics.median(p[1] / p[0] for p in pairs))


def environment() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import transformers

    line = (f"# {cpu}, {os.cpu_count()} cores, torch {torch.__version__} ({torch.get_num_threads()} threads), "
            f"transformers {transformers.__version__}, Python {platform.python_version()}, {platform.system()}")
    try:
        load = os.getloadavg()[0]
        line += f", load average {load:.1f} at start"
        if load > (os.cpu_count() or 1) * 0.5:
            line += " (busy machine: other processes share the cores, absolute times are inflated)"
    except OSError:
        pass
    return line


def profile(family: str, n: int) -> None:
    model = build(family)
    ids = random_ids(model, n)
    run_trace(model, random_ids(model, 32))
    profiler = cProfile.Profile()
    profiler.enable()
    run_trace(model, ids)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    print(f"# cProfile of al.trace, {family}, {n} tokens (cumulative)")
    print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, nargs="+", default=None, help="lengths to time (512 2048 8192)")
    parser.add_argument("--rss-tokens", type=int, default=None, help="length of the memory measurement (4096)")
    parser.add_argument("--models", nargs="+", default=["gpt2", "llama"], choices=["gpt2", "llama"])
    parser.add_argument("--repeats", type=int, default=5, help="timed pairs per length up to 2,048 tokens")
    parser.add_argument("--quick", action="store_true", help="short lengths, one run each: a smoke test")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per memory subprocess")
    parser.add_argument("--only", choices=["time", "rss"], default=None, help="run one of the two parts")
    parser.add_argument("--profile", type=int, default=None, help="also cProfile al.trace at this length")
    parser.add_argument("--worker", nargs=3, metavar=("MODE", "MODEL", "TOKENS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        mode, family, n = args.worker
        worker(mode, family, int(n), args.threads)
        return

    torch.set_num_threads(args.threads)
    tokens = args.tokens or ([128, 512] if args.quick else [512, 2048, 8192])
    rss_tokens = args.rss_tokens or (512 if args.quick else 4096)
    repeats = 1 if args.quick else args.repeats
    if max([*tokens, rss_tokens]) > MAX_POSITIONS:
        parser.error(f"at most {MAX_POSITIONS} tokens")
    import attnlens as al  # noqa: F401  (fail early, before the slow part)

    print(environment())
    if args.only in (None, "rss"):
        # First, while this process is small: a worker inherits this process's peak as its ru_maxrss.
        print(f"# peak RSS growth over the loaded model, {rss_tokens:,} tokens, each in a fresh process. "
              "ru_maxrss: ru_maxrss after the work - RSS before it ('<=' where loading peaked higher than the "
              "work, so ru_maxrss did not move); VmHWM: the same after resetting the peak (clear_refs)")
        print("model | forward ru_maxrss MiB | trace ru_maxrss MiB | trace/forward | forward VmHWM MiB | "
              "trace VmHWM MiB | trace/forward | trace keeps MiB | forward s | trace s")
        inherited = []
        for family in args.models:
            forward = measure_rss("forward", family, rss_tokens, args.threads, args.timeout)
            traced = measure_rss("trace", family, rss_tokens, args.threads, args.timeout)
            if forward is None or traced is None:
                print(f"{family} | failed (see above)")
                continue
            inherited += [(run["inherited_kib"] / 1024, run["rss_before_kib"] / 1024) for run in (forward, traced)]
            print(f"{family} | {_rss_row(forward, traced)}", flush=True)
        print("# 'trace keeps': RSS after the trace (still alive) - RSS before it: the Trace's own arrays plus "
              "whatever the allocator has not returned")
        if inherited:
            worst = max(i for i, _ in inherited)
            hides = any(i > before for i, before in inherited)
            print(f"# ru_maxrss the workers inherited from this process: at most {worst:,.0f} MiB "
                  + ("(above a worker's RSS before its work: its ru_maxrss column is a lower bound)" if hides
                     else "(below every worker's RSS before its work, so it hides nothing)"))

    if args.only in (None, "time"):
        print(f"\n# random weights, SDPA, batch of one, no_grad; time = {repeats} forward/trace pair(s) up to "
              "2,048 tokens, 1 above, alternating, after a 32-token warm-up")
        print("model | tokens | forward s | trace s | trace/forward (median of per-pair ratios)")
        for family in args.models:
            model = build(family)
            plain_forward(model, random_ids(model, 32))
            run_trace(model, random_ids(model, 32))
            for n in tokens:
                ids = random_ids(model, n)
                r = repeats if n <= 2048 else 1
                t_forward, t_trace, ratio = paired_times(lambda ids=ids, m=model: plain_forward(m, ids),
                                                         lambda ids=ids, m=model: run_trace(m, ids), r)
                print(f"{family} | {n:,} | {t_forward:.2f} | {t_trace:.2f} | {ratio:.2f}", flush=True)
            model = None
            gc.collect()

    if args.profile:
        for family in args.models:
            profile(family, args.profile)


if __name__ == "__main__":
    main()
