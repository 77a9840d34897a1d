"""Front-end timings inside a real JupyterLab (kernel, comm and widget manager included).

Starts the e2e tests' throw-away JupyterLab (tests/e2e/lab_server.py), builds the same Lens as
bench_frontend.py (random GPT-2-shaped model, MiniLM tokenizer, views head,logit_lens,model) in a
kernel, displays it in a fresh cell and measures in the page with performance.now():

- first paint: the display cell is run → the first animation frame after every visible view drew its
  data (the kernel answers the page's requests over the comm; the Lens is built beforehand);
- layer change: store update (slider input) → the next frame after every visible view redrew the new
  layer; median over --changes changes, as in bench_frontend.py.

Run: python benchmarks/bench_lab.py [--tokens 512] [--changes 20] [--runs 3]
Long inputs need chunked comm messages; 512 tokens is the size measured here.
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
from bench_frontend import CHROMIUM_ARGS, GOALS, MEASURE  # noqa: E402
from lab_page import PageLog, open_notebook, run_new_cell  # noqa: E402
from lab_server import start_server  # noqa: E402

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
lens = bf.build_lens({n}, {layers}, {heads}, tok)
print('tokens', len(lens.trace.tokens))"""


def measure_once(browser, server, notebook: str, args) -> dict:
    page = browser.new_page(viewport={"width": 1280, "height": 1000}, device_scale_factor=1)
    log = PageLog(server.origin)
    log.attach(page)
    try:
        open_notebook(page, f"{server.origin}/lab/tree/{notebook}", log)
        out = run_new_cell(page, SETUP.format(bench=str(HERE), tests=str(HERE.parent / "tests"), n=args.tokens,
                                               layers=args.layers, heads=args.heads), log, timeout_ms=300_000)
        assert f"tokens {args.tokens}" in out, out
        page.evaluate(ARM_FIRST_PAINT)
        run_new_cell(page, "lens", log)
        page.evaluate("() => window.__firstPaint")
        r = page.evaluate(MEASURE, {"changes": args.changes, "layers": args.layers})
        log.assert_clean()
        return r
    finally:
        page.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=512)
    ap.add_argument("--changes", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3, help="fresh JupyterLab server, page and kernel per run")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=2)
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
    print(f"attnlens in JupyterLab · views {results[0]['views']} · GPT-2-shaped random model, {args.layers} layers × "
          f"{args.heads} heads · {args.tokens} tokens · {args.runs} runs × {args.changes} layer changes")
    print(f"first paint ms (display cell run → drawn): median {statistics.median(paints):.0f}, "
          f"runs {', '.join(f'{x:.0f}' for x in paints)}")
    print(f"layer change ms: median of run medians {statistics.median(medians):.1f}, run medians "
          f"{', '.join(f'{x:.1f}' for x in medians)}, min {min(min(r['changes']) for r in results):.1f}, "
          f"max {max(max(r['changes']) for r in results):.1f}"
          + (f" (goal ≤{goal:.0f}: {'ok' if statistics.median(medians) <= goal else 'MISS'})" if goal else ""))
    print(f"environment: {os.cpu_count()} CPUs · load {os.getloadavg()[0]:.1f} · Chromium {version} headless")


if __name__ == "__main__":
    main()
