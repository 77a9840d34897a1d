"""Screenshots and interaction checks of the zoomable heatmap alone (dev/zoom.html) in headless Chromium.

Run after `npm run build:dev && node dev/build-zoom.mjs`:  python3 dev/zoom_shots.py [OUTDIR]
"""
import functools
import http.server
import sys
import threading
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/zoom-shots")
OUT.mkdir(parents=True, exist_ok=True)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D102
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(HERE / "dist")))
threading.Thread(target=server.serve_forever, daemon=True).start()
BASE = f"http://127.0.0.1:{server.server_address[1]}/zoom.html"
problems: list[str] = []


def check(cond: bool, what: str) -> None:
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        problems.append(what)


def root_attr(page: Page, name: str) -> str:
    return page.locator(".al-zoom").get_attribute(name) or ""


def wait_drawn(page: Page, timeout: int = 60000) -> str:
    page.wait_for_function("() => document.querySelector('.al-zoom')?.getAttribute('data-heat-drawn')", timeout=timeout)
    page.wait_for_timeout(50)
    return root_attr(page, "data-heat-drawn")


def map_box(page: Page) -> dict:
    box = page.locator(".al-zoom canvas.al-heat").bounding_box()
    assert box
    return box


def shots(browser, n: int, scheme: str) -> None:
    page = browser.new_page(viewport={"width": 1000, "height": 760}, color_scheme=scheme, device_scale_factor=1)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{BASE}?n={n}&delay=100")
    block = wait_drawn(page)
    page.screenshot(path=str(OUT / f"{scheme}-{n}-fit.png"), full_page=True)
    print(f"{scheme} {n}: fit at block {block}, view {root_attr(page, 'data-heat-view')}")
    box = map_box(page)
    px, py = box["x"] + box["height"] * 0.5, box["y"] + box["height"] * 0.5  # on the diagonal
    page.mouse.move(px, py)
    for _ in range(3):
        page.mouse.wheel(0, -120)
        page.wait_for_timeout(30)
    wait_drawn(page)
    page.screenshot(path=str(OUT / f"{scheme}-{n}-mid.png"), full_page=True)
    print(f"{scheme} {n}: zoomed to block {root_attr(page, 'data-heat-block')}, view {root_attr(page, 'data-heat-view')}")
    for _ in range(12):
        page.mouse.wheel(0, -120)
        page.wait_for_timeout(20)
    wait_drawn(page)
    mini = page.locator(".al-zoom-mini").bounding_box()
    assert mini
    page.mouse.click(mini["x"] + mini["width"] * 0.4, mini["y"] + mini["height"] * 0.4)  # onto the diagonal
    wait_drawn(page)
    page.mouse.move(box["x"] + box["width"] / 2 - 40, box["y"] + box["height"] / 2 + 9)
    page.wait_for_function("() => document.querySelector('[data-readout=heat-cell]')?.getAttribute('data-value')")
    page.screenshot(path=str(OUT / f"{scheme}-{n}-block1.png"), full_page=True)
    labels = page.locator('[data-label-side="query"]').count()
    check(root_attr(page, "data-heat-block") == "1" and labels > 0, f"{scheme} {n}: block 1 with {labels} row labels")
    check(not errors, f"{scheme} {n}: no page errors {errors}")
    page.close()


def view(page: Page) -> list[int]:
    return [int(v) for v in root_attr(page, "data-heat-view").split(",")]


def interactions(browser) -> None:
    page = browser.new_page(viewport={"width": 1000, "height": 760}, device_scale_factor=1)
    page.goto(f"{BASE}?n=4096&delay=50")
    wait_drawn(page)
    check(view(page) == [0, 4096, 0, 4096] and root_attr(page, "data-heat-block") == "8", f"fit shows all at block 8 ({view(page)})")
    box = map_box(page)
    cx, cy = box["x"] + 200, box["y"] + 200
    page.mouse.move(cx, cy)
    page.mouse.wheel(0, -120)
    wait_drawn(page)
    v = view(page)
    check(root_attr(page, "data-heat-block") == "4" and v[1] - v[0] < 4096, f"wheel zooms in about the pointer ({v})")
    page.locator('[data-control="zoom-in"]').click()
    wait_drawn(page)
    before = view(page)
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx - 50, cy - 40, steps=5)
    page.mouse.up()
    wait_drawn(page)
    after = view(page)
    check(after != before and after[0] >= before[0] and after[2] >= before[2], f"drag up-left pans down-right ({before} -> {after})")
    check(page.evaluate("() => window.__zoom.store.get().token") is None, "a drag does not lock a token")
    page.locator("canvas.al-heat").focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_timeout(100)
    check(view(page)[2] < after[2], f"ArrowLeft pans left ({after} -> {view(page)})")
    page.keyboard.press("ArrowUp")
    page.wait_for_timeout(100)
    check(view(page)[0] < after[0], f"ArrowUp pans up ({view(page)})")
    page.keyboard.press("0")
    wait_drawn(page)
    check(view(page) == [0, 4096, 0, 4096], "0 fits all")
    page.keyboard.press("+")
    wait_drawn(page)
    check(root_attr(page, "data-heat-block") == "4", "+ zooms in")
    page.keyboard.press("-")
    page.locator('[data-control="zoom-fit"]').click()
    wait_drawn(page)
    check(view(page) == [0, 4096, 0, 4096], "Fit button fits all")
    page.locator('[data-control="zoom-out"]').click()
    check(view(page) == [0, 4096, 0, 4096], "zoom-out at fit stays fitted")
    for _ in range(3):
        page.locator('[data-control="zoom-in"]').click()
    wait_drawn(page)
    check(root_attr(page, "data-heat-block") == "1", f"three zoom-ins reach block 1 ({root_attr(page, 'data-heat-block')})")
    mini = page.locator(".al-zoom-mini").bounding_box()
    assert mini
    page.mouse.click(mini["x"] + mini["width"] * 0.75, mini["y"] + mini["height"] * 0.75)
    wait_drawn(page)
    v = view(page)
    check(abs((v[0] + v[1]) / 2 - 3072) < 64 and abs((v[2] + v[3]) / 2 - 3072) < 64, f"minimap click centres the view ({v})")
    page.locator('[data-control="heat-pool"]').select_option("mean")
    wait_drawn(page)
    check(root_attr(page, "data-heat-pool") == "mean", "pool select switches to mean")
    page.mouse.move(box["x"] + 301, box["y"] + 157)
    ro = page.locator('[data-readout="heat-cell"]')
    page.wait_for_function("() => document.querySelector('[data-readout=heat-cell]').getAttribute('data-value')")
    row, col, value = int(ro.get_attribute("data-row") or -1), int(ro.get_attribute("data-col") or -1), float(ro.get_attribute("data-value") or "nan")
    exact = page.evaluate("([r, c]) => window.__zoom.exact(0, [...Array(12).keys()], r, c)", [row, col])
    check(abs(value - exact) <= 1e-6 * max(1e-3, abs(exact)), f"readout ({row}, {col}) = {value} equals the exact mean {exact}")
    page.mouse.click(box["x"] + 301, box["y"] + 157)
    check(page.evaluate("() => window.__zoom.store.get().token") == row, "click locks the query token of that row")
    page.close()


def timings_and_static(browser) -> None:
    page = browser.new_page(viewport={"width": 1000, "height": 760}, device_scale_factor=1)
    page.goto(f"{BASE}?n=32768&delay=0")
    wait_drawn(page)
    ms = page.evaluate("""async () => {
        const c = document.querySelector('.al-zoom canvas.al-heat');
        const frame = () => new Promise(r => requestAnimationFrame(() => r()));
        const out = {};
        for (const [name, keys] of [['fit: pan key', ['ArrowLeft']], ['zoom in x2', ['+', '+']], ['block 8: pan', ['ArrowRight', 'ArrowDown', 'ArrowLeft', 'ArrowUp']]]) {
            const times = [];
            for (const key of keys) {
                const t0 = performance.now();
                c.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true}));
                await frame(); await frame();
                times.push(performance.now() - t0);
            }
            out[name] = times.map(t => Math.round(t));
        }
        return out;
    }""")
    print("32768 tokens, two frames after a key (ms, includes tile answers computed in the page):", ms)
    page.close()
    page = browser.new_page(viewport={"width": 1000, "height": 760}, device_scale_factor=1)
    page.goto(f"{BASE}?n=32768&delay=0&static=1")
    wait_drawn(page)
    page.locator('[data-control="zoom-in"]').click()
    page.wait_for_timeout(300)
    status = page.locator(".al-zoom .al-status").text_content() or ""
    check("zoom level not in this page" in status and "needs a running kernel" in status, f"saved page without the level says so ({status!r})")
    page.screenshot(path=str(OUT / "light-32768-static-zoom.png"), full_page=True)
    page.close()


with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
    interactions(browser)
    timings_and_static(browser)
    for n in (512, 32768):
        for scheme in ("light", "dark"):
            shots(browser, n, scheme)
    browser.close()
server.shutdown()
print("problems:", problems)
sys.exit(1 if problems else 0)
