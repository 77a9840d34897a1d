"""The ``attnlens`` command: ``demo`` (bundled model, no network), ``html`` (any model) and ``export``
(a notebook as one offline HTML file)."""

from __future__ import annotations

import argparse
import os
import sys

DEMO_TEXT = (
    "Harry Potter went to the castle. Then Hermione Granger met Harry Potter at the gate, "
    "and Hermione Granger said hello."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="attnlens",
        description="See inside transformer language models: write an offline, interactive attention page.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{demo,html,export}")
    demo = sub.add_parser(
        "demo",
        help="trace the bundled model (no network) and write a self-contained page",
        description="Trace attnlens's bundled model on a sentence with repeated names (so its induction "
        "head shows) and write one self-contained, interactive HTML file.",
    )
    demo.add_argument("--out", default="attnlens-demo.html", help="where to write the page (default: %(default)s)")
    demo.add_argument("--text", default=DEMO_TEXT, help="the text to trace (default: a sentence with repeats)")
    html = sub.add_parser(
        "html",
        help="trace TEXT with a model and write a self-contained page",
        description="Trace TEXT with a Hugging Face model (a local directory or a name in the local cache) "
        "and write one self-contained, interactive HTML file.",
    )
    html.add_argument("text", help="the text to trace, in quotes")
    html.add_argument("--model", required=True, help="a model directory or cached hub name")
    html.add_argument("--out", default="lens.html", help="where to write the page (default: %(default)s)")
    html.add_argument("--layer", type=int, default=0, help="the layer shown first (default: %(default)s)")
    from attnlens.nbexport.cli import add_export_parser

    add_export_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    import attnlens as al

    if args.command == "export":
        from attnlens.nbexport.cli import run_export

        return run_export(parser, args)
    try:
        if args.command == "demo":
            from attnlens.bundled import load

            model, tokenizer = load()
            lens = al.Lens(al.trace(model, tokenizer, args.text), layer=1)
        else:
            lens = al.show(args.model, args.text, layer=0, display=False)
            lens.layer = args.layer
        path = lens.save_html(args.out)
    except (ValueError, TypeError) as err:
        parser.exit(2, f"attnlens: error: {err}\n")
    except Exception as err:  # a TraitError for --layer, an OSError writing --out
        parser.exit(2, f"attnlens: error: {str(err).splitlines()[0]}\n")
    print(f"wrote {path} ({os.path.getsize(path) / 1e3:.0f} kB): open it in a browser, no network needed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
