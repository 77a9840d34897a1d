"""Trace overhead over a plain forward pass, and bytes sent to the page against BertViz's HTML.

Run: python benchmarks/bench_foundation.py [--tokens 128 512] [--repeats 5] [--skip-bertviz]
Prints ratios against anchors measured in the same run, plus the environment.
"""

from __future__ import annotations

import argparse
import json
import os
import platform

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch
from id_tokenizer import IdTokenizer
from ipywidgets.widgets.widget import _remove_buffers
from timing import median_time
from transformers import GPT2Config, GPT2LMHeadModel

import attnlens as al


def first_render_bytes(lens) -> int:
    state = lens.get_state()
    stripped, _paths, buffers = _remove_buffers(state)
    return len(json.dumps(stripped).encode()) + sum(len(b) for b in buffers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokens", type=int, nargs="+", default=[128, 512])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-bertviz", action="store_true")
    args = parser.parse_args()

    torch.manual_seed(0)
    config = GPT2Config(n_layer=12, n_head=12, n_embd=768, n_positions=1024)  # GPT-2 small shape
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"threads {torch.get_num_threads()}; GPT-2-small-shaped random model, SDPA")
    model = GPT2LMHeadModel._from_config(config, attn_implementation="sdpa").eval()
    bundle = sum(os.path.getsize(p) for p in (al.Lens._esm._path, al.Lens._css._path))  # type: ignore[attr-defined]
    print(f"# front-end bundle (sent once per page, not per widget): {bundle / 1e3:.0f} kB")
    print("tokens | forward s | trace s | trace/forward | first-render bytes | bertviz html bytes | ratio")
    for n in args.tokens:
        ids = torch.randint(0, config.vocab_size, (1, n))
        tok = IdTokenizer(ids)

        def forward(ids: torch.Tensor = ids) -> None:
            with torch.no_grad():
                model(input_ids=ids, attention_mask=torch.ones_like(ids))

        t_forward = median_time(forward, args.repeats)
        t_trace = median_time(lambda tok=tok: al.trace(model, tok, "x"), args.repeats)
        tr = al.trace(model, tok, "x")
        sent = first_render_bytes(al.Lens(tr))
        bertviz = "-"
        ratio = "-"
        if not args.skip_bertviz:
            from bertviz import head_view

            attn = tuple(torch.from_numpy(tr.attention(i))[None] for i in range(tr.n_layers))
            html = head_view(attn, tr.tokens, html_action="return")
            bertviz_bytes = len(html.data.encode())
            bertviz = f"{bertviz_bytes:,}"
            ratio = f"{bertviz_bytes / sent:.0f}x smaller"
            del html, attn
        print(f"{n} | {t_forward:.3f} | {t_trace:.3f} | {t_trace / t_forward:.2f} | {sent:,} | {bertviz} | {ratio}")


if __name__ == "__main__":
    main()
