"""Browser test of the built documentation site (``make docs-test``).

Serves ``build/docs/html`` on 127.0.0.1 and opens every page in headless Chromium (Debian's
``chromium`` and ``chromium-driver``, through Selenium). For each page it checks that

* it loads, with no error in the JavaScript console (failed scripts, exceptions, failed resource
  loads) and no 4xx answer from the server for anything it asked for;
* every image on it loaded (``naturalWidth > 0``, after forcing lazy images to load);
* all its math was typeset by MathJax (served locally) and no widget is left unrendered;
* every internal link points to a page (and an anchor) that exists.

Across the site: every notebook in ``notebooks/`` has a page, the navigation from the landing page
reaches every notebook page, and the search page finds results. Screenshots of the landing page
and of notebook 04's widget explorer go to ``build/docs/screenshots/``.

Usage: ``python docs/check_site.py [--site build/docs/html]``. Exit 0 when every check passes.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import sys
import threading
import time
from collections import deque
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

ROOT = Path(__file__).resolve().parent.parent

# Waits for the page's images (lazy ones forced to load) and MathJax, then reports what it found.
INSPECT_JS = r"""
const done = arguments[arguments.length - 1];
(async () => {
  const imgs = Array.from(document.images);
  for (const img of imgs) { if (img.loading === 'lazy') { img.loading = 'eager'; } }
  await Promise.all(imgs.map(img => img.complete ? null : new Promise(r => {
    img.addEventListener('load', r, {once: true}); img.addEventListener('error', r, {once: true});
    setTimeout(r, 15000);
  })));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    try { await MathJax.startup.promise; } catch (e) {}
  }
  const math = Array.from(document.querySelectorAll('.math'));
  const rawMath = math.filter(el => !el.querySelector('mjx-container') && el.tagName !== 'MJX-CONTAINER');
  done({
    title: document.title,
    images: imgs.map(img => ({src: img.currentSrc || img.src, w: img.naturalWidth})),
    math: math.length,
    rawMath: rawMath.length,
    mathjax: !!(window.MathJax && MathJax.version),
    widgetViews: document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length,
    widgetSnapshots: document.querySelectorAll('.ae-widget-snapshot').length,
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
    navLinks: Array.from(document.querySelectorAll('.bd-sidebar-primary a[href], nav a[href]')).map(a => a.href),
    ids: Array.from(document.querySelectorAll('[id]')).map(el => el.id),
  });
})();
"""


class _Handler(http.server.SimpleHTTPRequestHandler):
    failures: list[str] = []

    def log_message(self, *args):  # quiet; failures are collected instead
        pass

    def send_error(self, code, message=None, explain=None):
        type(self).failures.append(f"HTTP {code} {unquote(self.path)}")
        super().send_error(code, message, explain)


def serve(site: Path):
    handler = functools.partial(_Handler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def make_driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_bin = shutil.which("chromedriver")
    if not browser or not driver_bin:
        raise SystemExit("docs-test: chromium and chromedriver are needed: `make browser` installs them (Debian)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1000", "--hide-scrollbars", "--no-first-run", "--disable-extensions"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_bin), options=opts)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    return driver


def screenshot_at(driver, selector: str, path: Path) -> None:
    """Scroll the first element matching ``selector`` (else the top) into view and save a screenshot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.execute_script(
        "const el = document.querySelector(arguments[0]) || document.body;"
        "window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 250);", selector)
    time.sleep(0.3)
    driver.save_screenshot(str(path))


def page_path(url: str, base: str) -> str | None:
    """The site-relative path of a URL on the test server (``notebooks/x.html``), else None."""
    if not url.startswith(base):
        return None
    path = unquote(urlparse(urldefrag(url)[0]).path)[len(urlparse(base).path):]
    return path if path and not path.endswith("/") else path + "index.html"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default="build/docs/html")
    parser.add_argument("--screenshots", default="build/docs/screenshots")
    args = parser.parse_args(argv)
    site = (ROOT / args.site).resolve()
    shots = (ROOT / args.screenshots).resolve()
    if not (site / "index.html").exists():
        print(f"docs-test: {site}/index.html not found: run `make docs` first", file=sys.stderr)
        return 2
    start = time.perf_counter()
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if not p.relative_to(site).parts[0].startswith("_"))
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))
    failures: list[str] = []
    for stem in notebooks:
        if f"notebooks/{stem}.html" not in pages:
            failures.append(f"notebook {stem} has no page (notebooks/{stem}.html)")

    server, base = serve(site)
    driver = make_driver()
    results = {}
    widget_shot = []  # the page of the widget screenshot, once
    for old_shot in ("landing.png", "notebook.png", "notebook_widget.png"):
        (shots / old_shot).unlink(missing_ok=True)
    n_images = n_broken = n_math = n_errors = n_warnings = 0
    try:
        for page in pages:
            _Handler.failures = []
            driver.get(base + page)
            info = driver.execute_async_script(INSPECT_JS)
            logs = driver.get_log("browser")
            errors = [e["message"] for e in logs if e["level"] == "SEVERE"]
            n_warnings += sum(e["level"] == "WARNING" for e in logs)
            broken = [img["src"][:120] for img in info["images"] if not img["w"]]
            problems = [f"console error: {m}" for m in errors]
            problems += [f"image not loaded: {src}" for src in broken]
            problems += [f"server: {f}" for f in _Handler.failures]
            if info["rawMath"]:
                problems.append(f"{info['rawMath']} of {info['math']} math elements not typeset (MathJax loaded: {info['mathjax']})")
            if info["widgetViews"]:
                problems.append(f"{info['widgetViews']} widget view(s) with no rendering")
            n_images += len(info["images"])
            n_broken += len(broken)
            n_math += info["math"]
            n_errors += len(errors)
            failures += [f"{page}: {p}" for p in problems]
            results[page] = info
            if page == "index.html":
                shots.mkdir(parents=True, exist_ok=True)
                height = driver.execute_script("return document.documentElement.scrollHeight")
                driver.set_window_size(1280, min(max(height, 1000), 4000))
                driver.save_screenshot(str(shots / "landing.png"))
                driver.set_window_size(1280, 1000)
            if notebooks and page == f"notebooks/{notebooks[0]}.html":
                screenshot_at(driver, ".cell_output img", shots / "notebook.png")
            if info["widgetSnapshots"] and not widget_shot:
                screenshot_at(driver, ".ae-widget-snapshot", shots / "notebook_widget.png")
                widget_shot.append(page)
            print(f"  {page}: {len(info['images'])} images, {info['math']} math, {len(errors)} console errors"
                  + (f", {len(problems)} problem(s)" if problems else ""))

        # internal links: every target page exists, and so does its anchor
        n_links = 0
        for page, info in results.items():
            for href in info["links"]:
                target = page_path(href, base)
                if target is None:
                    continue
                n_links += 1
                fragment = urldefrag(href)[1]
                if target not in results:
                    if not (site / target).exists():
                        failures.append(f"{page}: link to missing {target}")
                elif fragment and unquote(fragment) not in results[target]["ids"]:
                    failures.append(f"{page}: link to missing anchor {target}#{fragment}")

        # navigation: following the sidebar and in-page links from the landing page reaches every notebook
        reached, queue = {"index.html"}, deque(["index.html"])
        while queue:
            page = queue.popleft()
            for href in results[page]["navLinks"] + results[page]["links"]:
                target = page_path(href, base)
                if target in results and target not in reached:
                    reached.add(target)
                    queue.append(target)
        sidebar = {page_path(h, base) for h in results["index.html"]["navLinks"]}
        n_nav = 0
        for stem in notebooks:
            target = f"notebooks/{stem}.html"
            if target not in reached:
                failures.append(f"navigation from index.html does not reach {target}")
            elif target not in sidebar:
                failures.append(f"the landing page's navigation has no link to {target}")
            else:
                n_nav += 1
        unreached = sorted(set(results) - reached - {"genindex.html", "py-modindex.html", "search.html"})
        if unreached:
            failures.append(f"pages no link reaches from index.html: {unreached}")

        # search: the search page finds the project's main word
        driver.get(base + "search.html?q=autoencoder")
        found = 0
        for _ in range(120):  # until searchtools.js writes its summary ("Search finished, found ...")
            finished, found = driver.execute_script(
                "const s = document.querySelector('#search-results .search-summary');"
                "return [!!(s && s.textContent.trim()), document.querySelectorAll('#search-results li, ul.search li').length];")
            if finished:
                break
            time.sleep(0.25)
        errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        n_errors += len(errors)
        failures += [f"search.html?q=autoencoder: console error: {m}" for m in errors]
        if not found:
            failures.append("search for 'autoencoder' found nothing")
    finally:
        driver.quit()
        server.shutdown()

    elapsed = time.perf_counter() - start
    widgets = sum(info["widgetSnapshots"] for info in results.values())
    print(f"docs-test: {len(results)} pages, {n_images} images ({n_images - n_broken} loaded, {n_broken} broken), "
          f"{n_math} math elements, {n_errors} console errors, {n_warnings} console warnings, "
          f"{n_nav}/{len(notebooks)} notebook pages in the navigation, {widgets} widget snapshot(s), "
          f"{n_links} internal links checked, search 'autoencoder': {found} results, {elapsed:.0f} s")
    saved = ", ".join(sorted(p.name for p in shots.glob("*.png"))) if shots.exists() else "none"
    print(f"docs-test: screenshots in {shots.relative_to(ROOT)}/: {saved}")
    for failure in failures:
        print(f"FAIL {failure}")
    # one check per page, plus the site-wide ones; a failure line names the page it belongs to
    site_checks = ["notebook pages", "internal links", "navigation", "search"]
    by_check = {name: 0 for name in [*results, *site_checks]}
    for failure in failures:
        page = failure.split(":", 1)[0]
        if page in results and "link to missing" not in failure:
            by_check[page] += 1
        elif "has no page" in failure:
            by_check["notebook pages"] += 1
        elif "link to missing" in failure:
            by_check["internal links"] += 1
        elif "search" in failure:
            by_check["search"] += 1
        else:
            by_check["navigation"] += 1
    n_failed = sum(1 for n in by_check.values() if n)
    print(f"docs-test: {len(by_check) - n_failed} passed, {n_failed} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
