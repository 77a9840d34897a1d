"""``attnlens export NOTEBOOK``: run a notebook and write it as one offline HTML file, attnlens outputs live."""

from __future__ import annotations

import argparse
import os
from typing import Any


def add_export_parser(sub: Any) -> None:
    export = sub.add_parser(
        "export",
        help="run a notebook and write it as one offline HTML file with every attnlens output live",
        description="Run NOTEBOOK (in its folder) and write it as one HTML file that needs no network: "
        "each attnlens output is a live, self-contained widget (as lens.save_html pages are), the rest is "
        "nbconvert's lab page.",
    )
    export.add_argument("notebook", help="the .ipynb file")
    export.add_argument("--out", default=None, help="where to write the page (default: NOTEBOOK with .html)")
    export.add_argument(
        "--no-execute", dest="execute", action="store_false",
        help="use the saved outputs instead of running the notebook (attnlens outputs then show their picture)",
    )
    export.add_argument("--timeout", type=int, default=600, help="seconds a cell may run (default: %(default)s)")


def run_export(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from attnlens.nbexport.exporter import export_notebook

    try:
        path, counts = export_notebook(args.notebook, args.out, execute=args.execute, timeout=args.timeout)
    except ValueError as err:
        parser.exit(2, f"attnlens: error: {err}\n")
    except Exception as err:  # a cell that raised (nbclient's CellExecutionError), an unwritable --out
        parser.exit(1, f"attnlens: error: {type(err).__name__}: {str(err).strip()}\n")
    print(
        f"wrote {path} ({os.path.getsize(path) / 1e3:.0f} kB): {counts['live']} live attnlens widget(s), "
        f"{counts['pictures']} picture(s); open it in a browser, no network needed"
    )
    return 0
