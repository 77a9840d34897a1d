"""Screenshots of every view (light and dark) and of two views side by side, from the dev page
or from a standalone page written by Python (`--page FILE`).

Run after `npm run build:dev`:  python3 dev/view_shots.py [OUTDIR] [--page FILE.html]
"""
import functools
import http.server
import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
DIST = HERE / "dist"
args = [a for a in sys.argv[1:] if not a.startswith("--")]
OUT = Path(args[0] if args else "/tmp/fe-shots")
OUT.mkdir(parents=True, exist_ok=True)
PAGE = sys.argv[sys.argv.index("--page") + 1] if "--page" in sys.argv else None
PREFIX = "views-real-" if PAGE else "views-"


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):  # noqa: D102
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(DIST)))
threading.Thread(target=server.serve_forever, daemon=True).start()
BASE = f"http://127.0.0.1:{server.server_address[1]}/index.html"

SETS = {
    "head": "head",
    "model": "model",
    "neuron": "neuron",
    "logit_lens": "logit_lens",
    "mlp": "mlp",
    "attribution": "attribution",
    "ablation": "ablation",
    "compare": "compare",
    "head+logit_lens": "head,logit_lens",
    "model+neuron": "model,neuron",
}
errors: list[str] = []
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
    for scheme in ("light", "dark"):
        for name, views in SETS.items():
            width = 1000 if "+" in name else 940
            page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
            page.on("pageerror", lambda e: errors.append(str(e)))
            if PAGE:
                page.goto(Path(PAGE).resolve().as_uri())
            else:
                page.goto(f"{BASE}?view={views}&n=20")
            root = page.locator(".attnlens").first
            root.wait_for()
            if PAGE:
                page.evaluate("v => { const m = window.__attnlensModels?.[0]; }", views)
                # the standalone page has no handle on the model: use the view picker
                want = views.split(",")
                for b in root.locator('[data-control="view"]').all():
                    n = b.get_attribute("data-view-name")
                    if (b.get_attribute("aria-pressed") == "true") != (n in want):
                        b.click()
            if "neuron" in views or "mlp" in views:
                root.locator('[data-side="left"][data-token-index="6"]').first.click() if "head" in views else None
            page.wait_for_timeout(900)
            if "mlp" in views:
                btn = root.locator('[data-control="neuron"]').first
                if btn.count():
                    btn.click()
                    page.wait_for_timeout(700)
            if "logit_lens" in views:
                box = root.locator("canvas.al-lens-canvas").bounding_box()
                if box:
                    page.mouse.move(box["x"] + 150, box["y"] + 60)
                    page.wait_for_timeout(200)
            if name == "model":
                cell = root.locator('[data-layer="2"][data-head="3"]')
                cell.click()
                cell.hover()
                page.wait_for_timeout(200)
            root.screenshot(path=str(OUT / f"{PREFIX}{name.replace('+', '-')}-{scheme}.png"))
            page.close()
    # narrow: views wrap into a column
    page = browser.new_page(viewport={"width": 620, "height": 1400}, color_scheme="light")
    page.goto(Path(PAGE).resolve().as_uri() if PAGE else f"{BASE}?view=head,logit_lens&n=20")
    page.locator(".attnlens").first.wait_for()
    page.wait_for_timeout(900)
    page.locator(".attnlens").first.screenshot(path=str(OUT / f"{PREFIX}narrow-light.png"))
    page.close()
    browser.close()
server.shutdown()
print("errors:", errors)
print("written to", OUT)
