"""Screenshots of the head view's lines mode from level-of-detail rows (issue #12), light and dark, at
512 and 8,192 synthetic tokens: the overview, scrolled to the middle, and a hovered token.

Run after `npm run build:dev`:  python3 dev/lod_shots.py [OUTDIR]
"""
import functools
import http.server
import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/lod-shots")
OUT.mkdir(parents=True, exist_ok=True)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):  # noqa: D102
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(HERE / "dist")))
threading.Thread(target=server.serve_forever, daemon=True).start()
BASE = f"http://127.0.0.1:{server.server_address[1]}/index.html"
problems: list[str] = []


def check(cond: bool, what: str) -> None:
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        problems.append(what)


with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
    for n in (512, 8192):
        for scheme in ("light", "dark"):
            page = browser.new_page(viewport={"width": 1000, "height": 760}, color_scheme=scheme)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{BASE}?n={n}&layers=12&heads=12&kv=12&view=head")
            a = page.locator(".attnlens").nth(0)
            page.wait_for_function("() => document.querySelector('.attnlens').getAttribute('data-drawn-layer') === '0'", timeout=60000)
            page.wait_for_timeout(300)
            box = a.bounding_box()
            clip = {"x": 0, "y": 0, "width": 1000, "height": min(760, (box["y"] + box["height"]) if box else 760)}
            page.screenshot(path=str(OUT / f"{n}-{scheme}-overview.png"), clip=clip)
            status = a.locator(".al-status").text_content() or ""
            check(status.startswith("lines: each row's 8 strongest keys per head (on average"), f"{n} {scheme}: mass label ({status!r})")
            # scroll to the middle: the windows there load, the labels of both columns follow
            mid = n // 2
            a.locator(".al-scroll").evaluate(f"(el) => {{ el.scrollTop = {mid * 22}; el.dispatchEvent(new Event('scroll')); }}")
            page.wait_for_timeout(1200)
            check(a.locator(f'[data-side="right"][data-token-index="{mid + 3}"]').count() == 1, f"{n} {scheme}: key labels follow the scroll")
            page.screenshot(path=str(OUT / f"{n}-{scheme}-scrolled.png"), clip=clip)
            a.locator(f'[data-side="left"][data-token-index="{mid + 5}"]').hover()
            page.wait_for_timeout(1200)
            status = a.locator(".al-status").text_content() or ""
            check(status == f"token {mid + 5}: every line of its exact row", f"{n} {scheme}: hovered exact row ({status!r})")
            page.screenshot(path=str(OUT / f"{n}-{scheme}-hover.png"), clip=clip)
            a.locator(f'[data-side="right"][data-token-index="{mid + 2}"]').hover()
            want = f"token {mid + 2}: every line of its exact column"
            page.wait_for_timeout(100)
            page.screenshot(path=str(OUT / f"{n}-{scheme}-hover-key-loading.png"), clip=clip)
            page.wait_for_function(f"() => document.querySelector('.al-status').textContent === {want!r}", timeout=60000)
            status = a.locator(".al-status").text_content() or ""
            check(status == want, f"{n} {scheme}: hovered key ({status!r})")
            page.screenshot(path=str(OUT / f"{n}-{scheme}-hover-key.png"), clip=clip)
            sent = page.evaluate("() => window.__attnlens.models[0].sent.map((m) => m.content.what)")
            check("attention" not in sent, f"{n} {scheme}: no whole-layer request ({sorted(set(sent))})")
            check(not errors, f"{n} {scheme}: no page errors {errors}")
            page.close()
    browser.close()
print("problems:", problems)
sys.exit(1 if problems else 0)
