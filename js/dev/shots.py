"""Screenshots of the dev page in headless Chromium (light and dark) plus interaction checks.

Run after `npm run build:dev`:  python3 dev/shots.py [OUTDIR]
"""
import functools
import http.server
import json
import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
DIST = HERE / "dist"
OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/fe-shots")
OUT.mkdir(parents=True, exist_ok=True)

class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D102
        pass


handler = functools.partial(Quiet, directory=str(DIST))
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
BASE = f"http://127.0.0.1:{server.server_address[1]}/index.html"

problems: list[str] = []


def check(cond: bool, what: str) -> None:
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        problems.append(what)


with sync_playwright() as p:
    browser = p.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--no-first-run"],
    )
    for scheme in ("light", "dark"):
        page = browser.new_page(viewport={"width": 1000, "height": 1500}, color_scheme=scheme, device_scale_factor=1)
        console: list[str] = []
        external: list[str] = []
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
        page.on("request", lambda r: external.append(r.url) if not r.url.startswith(BASE.rsplit("/", 1)[0]) else None)
        page.goto(BASE)
        page.wait_for_selector(".attnlens [data-token-index]")
        page.wait_for_timeout(300)
        page.screenshot(path=str(OUT / f"{scheme}-initial.png"), full_page=True)

        roots = page.locator(".attnlens")
        a, b = roots.nth(0), roots.nth(1)
        # hover a token in A
        a.locator('[data-side="left"][data-token-index="6"]').hover()
        page.wait_for_timeout(100)
        page.screenshot(path=str(OUT / f"{scheme}-hover.png"), full_page=True)
        # click (lock) token 11 in A; B must not change
        a.locator('[data-side="left"][data-token-index="11"]').click()
        page.mouse.move(5, 5)
        page.wait_for_timeout(100)
        check(a.get_attribute("data-token") == "11", f"{scheme}: click locks token in A")
        check(b.get_attribute("data-token") == "", f"{scheme}: B unchanged by A's click")
        # heads: solo head 2 in A via double-click
        a.locator('[data-control="head"][data-head="2"]').dblclick()
        check(a.get_attribute("data-heads") == "2", f"{scheme}: dblclick solos head in A")
        check(b.get_attribute("data-heads") == "0,1,2,3", f"{scheme}: B heads unchanged")
        a.locator('[data-control="head"][data-head="2"]').dblclick()
        page.wait_for_timeout(100)
        page.screenshot(path=str(OUT / f"{scheme}-locked.png"), full_page=True)
        # layer change in A: loading then data from the in-page "kernel"
        a.locator('input[data-control="layer"]').fill("3")
        page.wait_for_timeout(50)
        loading = a.locator(".al-status").text_content() or ""
        check("loading layer 3" in loading, f"{scheme}: loading state shown ({loading!r})")
        page.screenshot(path=str(OUT / f"{scheme}-loading.png"), clip={"x": 0, "y": 0, "width": 1000, "height": 500})
        page.wait_for_timeout(600)
        st = a.locator(".al-status")
        check(st.get_attribute("data-state") in ("ready", "limited") and a.get_attribute("data-drawn-layer") == "3",
              f"{scheme}: layer 3 arrived ({st.text_content()!r})")
        # heatmap mode in A
        a.locator('[data-control="mode"]').click()
        page.wait_for_timeout(100)
        check(a.get_attribute("data-mode") == "heatmap", f"{scheme}: heatmap mode")
        box = a.locator("canvas.al-heat").bounding_box()
        if box:
            page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.6)
        page.wait_for_timeout(100)
        page.screenshot(path=str(OUT / f"{scheme}-heatmap.png"), full_page=True)
        # B: a layer it lacks, no kernel → message after 5 s
        b.locator('input[data-control="layer"]').fill("2")
        page.wait_for_timeout(5400)
        msg = b.locator(".al-status").text_content() or ""
        check("needs a running kernel" in msg, f"{scheme}: B says it needs a kernel ({msg!r})")
        page.screenshot(path=str(OUT / f"{scheme}-nokernel.png"), full_page=True)
        # keyboard: Tab to a token, Enter locks, Escape unlocks
        b.locator('input[data-control="layer"]').fill("0")
        b.locator('[data-side="right"][data-token-index="5"]').focus()
        page.keyboard.press("Enter")
        check(b.get_attribute("data-token") == "5", f"{scheme}: Enter locks token in B")
        page.screenshot(path=str(OUT / f"{scheme}-keyboard.png"), full_page=True)
        page.keyboard.press("Escape")
        check(b.get_attribute("data-token") == "", f"{scheme}: Escape unlocks in B")
        check(page.locator("script").count() == 1, f"{scheme}: no injected <script>")
        check(not console, f"{scheme}: console clean {console}")
        check(not external, f"{scheme}: no external requests {external}")
        page.close()

    # 512 tokens: responsiveness and layout
    page = browser.new_page(viewport={"width": 1000, "height": 1200}, color_scheme="light")
    errs: list[str] = []
    page.on("pageerror", lambda e: errs.append(str(e)))
    page.goto(BASE + "?n=512")
    page.wait_for_selector(".attnlens [data-token-index]")
    page.wait_for_timeout(500)
    timing = page.evaluate(
        """async () => {
        const root = document.querySelector('.attnlens');
        const scroll = root.querySelector('.al-scroll');
        scroll.scrollTop = 290 * 22;  // labels are virtualised: bring row 300 on screen first
        scroll.dispatchEvent(new Event('scroll'));
        await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
        const label = root.querySelector('[data-side="left"][data-token-index="300"]');
        const t0 = performance.now();
        label.click();
        await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
        const t1 = performance.now();
        label.click();
        await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
        const t2 = performance.now();
        const c = root.querySelector('canvas.al-lines');
        return {lock_ms: t1 - t0, unlock_full_ms: t2 - t1, canvas: [c.width, c.height], status: root.querySelector('.al-status').textContent};
    }"""
    )
    print("512 tokens:", json.dumps(timing))
    check(not errs, f"512: no page errors {errs}")
    page.screenshot(path=str(OUT / "light-512.png"), clip={"x": 0, "y": 0, "width": 1000, "height": 700})
    page.close()
    browser.close()

server.shutdown()
print("problems:", problems)
sys.exit(1 if problems else 0)
