#!/usr/bin/env python3
"""Train the tiny Llama-style model that ships with attnlens (``src/attnlens/bundled/model``).

The model is meant for *looking at attention*, not for generating good text.  It
is trained on English text available offline on Debian (the ``fortunes`` /
``fortunes-min`` packages and the HTML docs of ``python3.11-doc``) mixed with
synthetic sequences in which a span of random tokens is repeated.  The repeats
make the model grow clean previous-token and induction heads, which is what
the widget demos show.

Training never runs in CI; the resulting weights are committed.  Reproduce with::

    HF_HUB_OFFLINE=1 python scripts/train_bundled_model.py

(see ``src/attnlens/bundled/README.md`` for the exact arguments used).

Requirements: torch, transformers>=5, tokenizers, and the Debian packages
``fortunes fortunes-min python3.11-doc`` (``apt-get install -y ...``).
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import html
import json
import math
import os
import random
import re
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import GPT2TokenizerFast, LlamaConfig, LlamaForCausalLM

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "src" / "attnlens" / "bundled" / "model"
FORTUNE_DIR = Path("/usr/share/games/fortunes")
PYDOC_DIR = Path("/usr/share/doc/python3.11/html")
EOT = "<|endoftext|>"


# --------------------------------------------------------------------------- data


def is_heldout_fortune(text: str) -> bool:
    """Deterministic 5% held-out split of fortunes (by content hash).

    ``tests/test_bundled_model.py`` uses the same rule to check that its sample
    fortunes were never trained on.
    """
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16) % 20 == 0


def clean_fortune(text: str) -> str:
    text = re.sub(r".\x08", "", text)  # overstriking (x BS x)
    text = text.replace("\x08", "").replace("\r", "")
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text)
    return text.strip("\n")


def load_fortunes() -> list[str]:
    if not FORTUNE_DIR.is_dir():
        raise SystemExit(
            f"{FORTUNE_DIR} missing: apt-get install -y fortunes fortunes-min"
        )
    out: list[str] = []
    for path in sorted(FORTUNE_DIR.iterdir()):
        # strfile text files only: skip the .dat indexes and .u8 symlinks
        if path.suffix in {".dat", ".u8"} or path.is_symlink() or not path.is_file():
            continue
        raw = path.read_bytes().decode("utf-8", errors="replace")
        for chunk in re.split(r"^%\s*$", raw, flags=re.M):
            chunk = clean_fortune(chunk)
            if chunk.strip():
                out.append(chunk)
    return out


_BODY_RE = re.compile(
    r'<div class="body" role="main">(.*?)<div class="sphinxsidebar"', re.S
)


def html_to_text(page: str) -> str:
    m = _BODY_RE.search(page)
    body = m.group(1) if m else page
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S | re.I)
    body = re.sub(r"<br\s*/?>|</p>|</div>|</pre>|</li>|</h\d>|</dt>|</dd>", "\n", body)
    body = re.sub(r"<[^>]+>", "", body)
    body = html.unescape(body).replace("\u00b6", "")  # drop pilcrow anchors
    lines = [ln.rstrip() for ln in body.splitlines()]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def load_pydocs(max_chars: int) -> list[str]:
    if not PYDOC_DIR.is_dir():
        raise SystemExit(f"{PYDOC_DIR} missing: apt-get install -y python3.11-doc")
    pages = sorted(glob.glob(str(PYDOC_DIR / "**" / "*.html"), recursive=True))
    pages = [p for p in pages if "/_" not in p[len(str(PYDOC_DIR)) :]]
    docs: list[str] = []
    total = 0
    for p in pages:
        text = html_to_text(Path(p).read_text(encoding="utf-8", errors="replace"))
        if len(text) < 200:
            continue
        # split long pages into paragraphs groups so no page dominates a window
        docs.append(text)
        total += len(text)
        if total >= max_chars:
            break
    return docs


# ---------------------------------------------------------------------- tokenizer


def train_tokenizer(texts: list[str], vocab_size: int) -> GPT2TokenizerFast:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=[EOT],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    fast = GPT2TokenizerFast(
        tokenizer_object=tok,
        bos_token=EOT,
        eos_token=EOT,
        unk_token=EOT,
        model_max_length=512,
        add_prefix_space=False,
    )
    return fast


def encode_stream(tok: GPT2TokenizerFast, docs: list[str]) -> np.ndarray:
    eot = tok.eos_token_id
    ids: list[int] = []
    enc = tok(docs, add_special_tokens=False)["input_ids"]
    for e in enc:
        ids.extend(e)
        ids.append(eot)
    return np.asarray(ids, dtype=np.int64)


# ------------------------------------------------------------------------ batches


class Sampler:
    """Mixes natural text windows with synthetic repeated sequences."""

    def __init__(self, streams, weights, vocab_size, special_ids, bos_id, args, seed):
        self.streams = streams
        self.weights = np.asarray(weights, dtype=np.float64) / sum(weights)
        self.rng = np.random.default_rng(seed)
        self.bos = bos_id
        self.random_ids = np.array(
            [i for i in range(vocab_size) if i not in special_ids], dtype=np.int64
        )
        self.args = args

    def natural(self, n: int) -> np.ndarray:
        s = self.streams[self.rng.choice(len(self.streams), p=self.weights)]
        start = int(self.rng.integers(0, len(s) - n - 1))
        x = s[start : start + n].copy()
        if self.rng.random() < self.args.bos_prob:
            x = np.concatenate([[self.bos], x[:-1]])
        return x

    def random_repeat(self, n: int) -> np.ndarray:
        """BOS, then one random span repeated to the end: after its first copy every token is
        predictable by looking back (induction), a strong, dense signal that makes the heads form
        within a few hundred steps instead of thousands."""
        a = self.args
        r = int(self.rng.integers(a.min_span, a.max_span + 1))
        span = self.rng.choice(self.random_ids, size=r).tolist()
        out = [self.bos] + span * (n // r + 1)
        return np.asarray(out[:n], dtype=np.int64)

    def text_repeat(self, n: int) -> np.ndarray:
        r = int(self.rng.integers(self.args.min_span, n // 2))
        span = self.natural(r + 1)[1:]
        x = np.concatenate([[self.bos], span, span, self.natural(n)])
        return x[:n]

    def batch(self, bsz: int, n: int) -> torch.Tensor:
        a = self.args
        rows = []
        for _ in range(bsz):
            u = self.rng.random()
            if u < a.p_random:
                rows.append(self.random_repeat(n))
            elif u < a.p_random + a.p_textrep:
                rows.append(self.text_repeat(n))
            else:
                rows.append(self.natural(n))
        return torch.from_numpy(np.stack(rows))


# ------------------------------------------------------------------------ metrics


@torch.no_grad()
def heldout_loss(model, tok, texts: list[str], max_len: int = 256) -> float:
    model.eval()
    tot, cnt = 0.0, 0
    for t in texts:
        ids = [tok.bos_token_id] + tok(t, add_special_tokens=False)["input_ids"]
        ids = torch.tensor([ids[:max_len]])
        if ids.shape[1] < 2:
            continue
        out = model(ids, labels=ids)
        n = ids.shape[1] - 1
        tot += out.loss.item() * n
        cnt += n
    model.train()
    return tot / max(cnt, 1)


@torch.no_grad()
def attention_probe(model, tok, vocab_size, texts, reps: int = 40, seeds=(0, 1, 2)):
    """Best induction head, best previous-token head and copy accuracy."""
    model.eval()
    impl = model.config._attn_implementation
    model.set_attn_implementation("eager")  # sdpa returns no attention weights
    special = set(tok.all_special_ids)
    pool = np.array([i for i in range(vocab_size) if i not in special])
    ind_scores, copy_acc, first_acc = [], [], []
    for s in seeds:
        rng = np.random.default_rng(1000 + s)
        r = rng.choice(pool, size=reps, replace=False)
        ids = torch.tensor([[tok.bos_token_id, *r.tolist(), *r.tolist()]])
        out = model(ids, output_attentions=True)
        att = torch.stack(out.attentions)[:, 0]  # (L, H, T, T)
        q = torch.arange(reps + 1, 2 * reps + 1)
        k = q - reps + 1
        ind_scores.append(att[:, :, q, k].mean(-1))
        pred = out.logits[0].argmax(-1)
        copy_acc.append((pred[reps + 1 : 2 * reps] == ids[0, reps + 2 :]).float().mean())
        first_acc.append((pred[1:reps] == ids[0, 2 : reps + 1]).float().mean())
    ind = torch.stack(ind_scores).mean(0)
    prev_scores = []
    for t in texts:
        ids = torch.tensor([[tok.bos_token_id, *tok(t, add_special_tokens=False)["input_ids"][:255]]])
        att = torch.stack(model(ids, output_attentions=True).attentions)[:, 0]
        T = ids.shape[1]
        q = torch.arange(2, T)
        prev_scores.append(att[:, :, q, q - 1].mean(-1))
    prev = torch.stack(prev_scores).mean(0)
    model.set_attn_implementation(impl)
    model.train()
    li, hi = divmod(int(ind.argmax()), ind.shape[1])
    lp, hp = divmod(int(prev.argmax()), prev.shape[1])
    return {
        "induction_head": [li, hi],
        "induction_score": float(ind[li, hi]),
        "prev_token_head": [lp, hp],
        "prev_token_score": float(prev[lp, hp]),
        "copy_acc_second": float(torch.stack(copy_acc).mean()),
        "copy_acc_first": float(torch.stack(first_acc).mean()),
        "induction_scores": [[round(float(v), 3) for v in row] for row in ind],
        "prev_token_scores": [[round(float(v), 3) for v in row] for row in prev],
    }


# --------------------------------------------------------------------------- main


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seq-len", type=int, default=96)
    p.add_argument("--long-every", type=int, default=8,
                   help="every N-th step uses length n_positions (batch scaled down) "
                        "so that all position embeddings are trained; 0 disables")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--min-lr-frac", type=float, default=0.1)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--vocab-size", type=int, default=2048)
    p.add_argument("--n-layer", type=int, default=2)
    p.add_argument("--n-head", type=int, default=4)
    p.add_argument("--n-embd", type=int, default=128)
    p.add_argument("--n-positions", type=int, default=512)
    p.add_argument("--p-random", type=float, default=0.5,
                   help="fraction of rows that are repeated random-token spans")
    p.add_argument("--p-textrep", type=float, default=0.1,
                   help="fraction of rows that are a repeated natural-text span")
    p.add_argument("--min-span", type=int, default=6)
    p.add_argument("--max-span", type=int, default=24)
    p.add_argument("--bos-prob", type=float, default=0.5,
                   help="probability that a natural-text window starts with BOS")
    p.add_argument("--pydoc-chars", type=int, default=6_000_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--max-minutes", type=float, default=0.0,
                   help="stop early (and still save) after this many minutes; 0 = no limit")
    p.add_argument("--benchmark", type=int, default=0,
                   help="only time this many training steps, save nothing")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    t_start = time.time()
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    # ---- data
    fortunes = load_fortunes()
    train_f = [f for f in fortunes if not is_heldout_fortune(f)]
    held_f = [f for f in fortunes if is_heldout_fortune(f)]
    pydocs = load_pydocs(args.pydoc_chars)
    print(f"fortunes: {len(train_f)} train / {len(held_f)} held out; "
          f"python docs: {len(pydocs)} pages, {sum(map(len, pydocs)) / 1e6:.1f}M chars")

    tok = train_tokenizer(train_f + pydocs, args.vocab_size)
    vocab = len(tok)
    print(f"tokenizer: vocab {vocab}, bos/eos {tok.bos_token!r}={tok.bos_token_id}")

    rng = random.Random(args.seed)
    rng.shuffle(train_f)
    s_f = encode_stream(tok, train_f)
    s_d = encode_stream(tok, pydocs)
    print(f"tokens: fortunes {len(s_f) / 1e6:.2f}M, python docs {len(s_d) / 1e6:.2f}M")
    sampler = Sampler([s_f, s_d], [0.6, 0.4], vocab, set(tok.all_special_ids),
                      tok.bos_token_id, args, args.seed)
    held_eval = held_f[:100]
    probe_texts = held_f[:40]

    # ---- model
    # Llama-style: rotary positions make previous-token (relative) heads easy to learn.
    config = LlamaConfig(
        vocab_size=vocab,
        max_position_embeddings=args.n_positions,
        hidden_size=args.n_embd,
        intermediate_size=4 * args.n_embd,
        num_hidden_layers=args.n_layer,
        num_attention_heads=args.n_head,
        num_key_value_heads=args.n_head,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=None,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(config)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {n_params / 1e6:.3f}M parameters (tied embeddings)")

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": args.weight_decay},
         {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr, betas=(0.9, 0.95),
    )

    def lr_at(step):
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        prog = (step - args.warmup) / max(1, args.steps - args.warmup)
        cos = 0.5 * (1 + math.cos(math.pi * min(prog, 1.0)))
        return args.lr * (args.min_lr_frac + (1 - args.min_lr_frac) * cos)

    n_steps = args.benchmark or args.steps
    model.train()
    t0 = time.time()
    ema = None
    history = []
    for step in range(n_steps):
        long_step = args.long_every and step % args.long_every == args.long_every - 1
        if long_step:
            T = args.n_positions
            B = max(1, args.batch_size * args.seq_len // args.n_positions)
        else:
            T, B = args.seq_len, args.batch_size
        x = sampler.batch(B, T)
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        loss = model(x, labels=x).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        lv = loss.item()
        ema = lv if ema is None else 0.98 * ema + 0.02 * lv
        if (step + 1) % args.log_every == 0 or step == 0:
            el = time.time() - t0
            print(f"step {step + 1:5d}/{n_steps} loss {lv:.3f} (ema {ema:.3f}) "
                  f"lr {lr_at(step):.2e} {el / (step + 1):.2f}s/step elapsed {el / 60:.1f}m",
                  flush=True)
        if args.eval_every and (step + 1) % args.eval_every == 0 and not args.benchmark:
            hl = heldout_loss(model, tok, held_eval)
            pr = attention_probe(model, tok, vocab, probe_texts)
            history.append({"step": step + 1, "train_loss_ema": ema, "heldout_loss": hl,
                            **{k: pr[k] for k in ("induction_head", "induction_score",
                                                  "prev_token_head", "prev_token_score",
                                                  "copy_acc_second")}})
            print(f"  eval step {step + 1}: heldout {hl:.3f} | induction L{pr['induction_head'][0]}"
                  f"H{pr['induction_head'][1]}={pr['induction_score']:.3f} | prev L"
                  f"{pr['prev_token_head'][0]}H{pr['prev_token_head'][1]}="
                  f"{pr['prev_token_score']:.3f} | copy {pr['copy_acc_second']:.3f}"
                  f"/{pr['copy_acc_first']:.3f}", flush=True)
        if args.max_minutes and (time.time() - t0) / 60 > args.max_minutes:
            print(f"stopping early at step {step + 1} (time limit)")
            n_steps = step + 1
            break
    train_time = time.time() - t0
    if args.benchmark:
        print(f"benchmark: {train_time / n_steps:.3f}s/step")
        return

    # ---- final evaluation
    hl = heldout_loss(model, tok, held_f)
    pr = attention_probe(model, tok, vocab, probe_texts)
    # training loss of the final model on a fixed batch of fresh natural text
    eval_sampler = Sampler([s_f, s_d], [0.6, 0.4], vocab, set(tok.all_special_ids),
                           tok.bos_token_id, args, args.seed + 12345)
    with torch.no_grad():
        model.eval()
        xb = torch.stack([torch.from_numpy(eval_sampler.natural(args.seq_len)) for _ in range(32)])
        nat_train = model(xb, labels=xb).loss.item()
    summary = {
        "steps": n_steps,
        "train_time_s": round(train_time, 1),
        "total_time_s": round(time.time() - t_start, 1),
        "final_train_loss_ema": round(ema, 4),
        "natural_text_train_loss": round(nat_train, 4),
        "heldout_fortunes_loss": round(hl, 4),
        "heldout_fortunes_ppl": round(math.exp(hl), 2),
        "uniform_loss": round(math.log(vocab), 4),
        "n_params": n_params,
        **pr,
        "history": history,
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
    }
    print(json.dumps({k: v for k, v in summary.items() if k not in ("history", "args")}, indent=1))

    args.out.mkdir(parents=True, exist_ok=True)
    model.eval()
    model.save_pretrained(args.out, safe_serialization=True)
    tok.save_pretrained(args.out)
    (args.out / "training_summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(f"saved to {args.out}")


if __name__ == "__main__":
    main()
