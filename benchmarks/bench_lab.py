"""Front-end timings inside a real JupyterLab (kernel, comm and widget manager included).

Starts the e2e tests' throw-away JupyterLab (tests/e2e/lab_server.py), builds the same Lens as
bench_frontend.py (random GPT-2-shaped model, MiniLM tokenizer, views head,logit_lens,model) in a
kernel, displays it in a fresh cell and measures in the page with performance.now():

- first paint: the display cell is run → the first animation frame after every visible view drew its
  data (the kernel answers the page's requests over the comm; the Lens is built beforehand);
- layer change: store update (slider input) → the next frame after every visible view redrew the new
  layer; median over --changes changes, as in bench_frontend.py.

- bytes per layer change: every websocket frame the page received during the changes, divided by
  their number (Playwright's frame events);
- --pace-ms: the time between changes (0: the next change one frame after the last drew, the worst
  case; 150: a person dragging the slider, which gives the page idle time to prefetch).

Shapes are real (benchmarks/shapes.py): GPT-2 small's 12 × 12 heads or Llama-3.2-1B's 16 layers ×
32 heads (8 kv), width reduced on CPU.

Run: python benchmarks/bench_lab.py [--tokens 512] [--shape gpt2-small|llama-1b] [--changes 20] [--runs 3] [--pace-ms 0]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "tests" / "e2e"), str(HERE.parent / "tests"), str(HERE)]

import nbformat  # noqa: E402
from bench_frontend import CHROMIUM_ARGS, GOALS, MEASURE, WIDTH  # noqa: E402
from lab_page import PageLog, open_notebook, run_new_cell  # noqa: E402
from lab_server import start_server  # noqa: E402
from shapes import LAYERS_HEADS, SHAPES, describe  # noqa: E402

# The first frame after the first complete draw of a widget displayed from now on.
ARM_FIRST_PAINT = """() => {
  window.__firstPaintAt = undefined;
  window.__paintStart = performance.now();
  window.__firstPaint = new Promise(resolve => {
    const on = () => {
      document.removeEventListener('attnlens-drawn', on, true);
      requestAnimationFrame(() => { window.__firstPaintAt = performance.now() - window.__paintStart; resolve(); });
    };
    document.addEventListener('attnlens-drawn', on, true);
  });
}"""

SETUP = """import os, sys
os.environ['HF_HUB_OFFLINE'] = '1'
sys.path[:0] = [{bench!r}, {tests!r}]
from transformers import AutoTokenizer
import bench_frontend as bf
tok = AutoTokenizer.from_pretrained(bf.minilm_dir())
lens = bf.build_lens({n}, {shape!r}, tok, mode={mode!r})
print('tokens', len(lens.trace.tokens))"""


def measure_once(browser, server, notebook: str, args) -> dict:
    page = browser.new_page(viewport={"width": 1280, "height": 1000}, device_scale_factor=1)
    log = PageLog(server.origin)
    log.attach(page)
    received: list[int] = []

    def on_ws(ws) -> None:
        ws.on("framereceived", lambda p: received.append(len(p.encode()) if isinstance(p, str) else len(p)))

    page.on("websocket", on_ws)
    try:
        open_notebook(page, f"{server.origin}/lab/tree/{notebook}", log)
        out = run_new_cell(page, SETUP.format(bench=str(HERE), tests=str(HERE.parent / "tests"), n=args.tokens,
                                               shape=args.shape, mode=args.mode), log, timeout_ms=3_600_000)
        assert f"tokens {args.tokens}" in out, out
        page.evaluate(ARM_FIRST_PAINT)
        run_new_cell(page, "lens", log, timeout_ms=600_000)
        page.evaluate("() => window.__firstPaint")
        page.wait_for_timeout(1000)  # what the page prefetches after first paint is not a change's bytes
        before = sum(received)
        layers = LAYERS_HEADS[args.shape][0]
        r = page.evaluate(MEASURE, {"changes": args.changes, "layers": layers, "paceMs": args.pace_ms})
        r["bytesPerChange"] = (sum(received) - before) / args.changes
        log.assert_clean()
        return r
    finally:
        page.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=512)
    ap.add_argument("--changes", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3, help="fresh JupyterLab server, page and kernel per run")
    ap.add_argument("--shape", choices=SHAPES, default="gpt2-small")
    ap.add_argument("--mode", choices=["lines", "heatmap"], default="lines", help="the head view's mode")
    ap.add_argument("--pace-ms", type=int, default=0, help="wait between changes (a person scrubbing)")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        version = browser.version
        for _ in range(args.runs):
            # A fresh server (and workspace) per run: a second notebook in one Lab workspace picked up the
            # first one's session and lost its kernel.
            server = start_server(Path(tempfile.mkdtemp(prefix="attnlens-bench-lab-")))
            try:
                name = "bench.ipynb"
                nb = nbformat.v4.new_notebook()
                nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
                nbformat.write(nb, str(server.root / name))
                results.append(measure_once(browser, server, name, args))
            finally:
                server.stop()
        browser.close()

    paints = [r["firstPaint"] for r in results]
    medians = [statistics.median(r["changes"]) for r in results]
    goal = GOALS["layer_ms"].get(args.tokens)
    print(f"attnlens in JupyterLab · views {results[0]['views']} · {describe(args.shape, WIDTH[args.shape])}, random "
          f"weights · head view in {args.mode} · {args.tokens} tokens · {args.runs} runs × {args.changes} layer "
          f"changes, pace {args.pace_ms} ms")
    print(f"first paint ms (display cell run → drawn): median {statistics.median(paints):.0f}, "
          f"runs {', '.join(f'{x:.0f}' for x in paints)}")
    print(f"layer change ms: median of run medians {statistics.median(medians):.1f}, run medians "
          f"{', '.join(f'{x:.1f}' for x in medians)}, min {min(min(r['changes']) for r in results):.1f}, "
          f"max {max(max(r['changes']) for r in results):.1f}"
          + (f" (goal ≤{goal:.0f}: {'ok' if statistics.median(medians) <= goal else 'MISS'})" if goal else ""))
    per_change = statistics.median(r["bytesPerChange"] for r in results)
    print(f"kernel → page per layer change: {per_change / 1e6:.2f} MB (median over runs of the mean; goal ≤ 2 MB)")
    print(f"environment: {os.cpu_count()} CPUs · load {os.getloadavg()[0]:.1f} · Chromium {version} headless")


if __name__ == "__main__":
    main()
