"""The browser app at default size, measured in headless Chromium.

Run: ``.venv/bin/python experiments/benchmarks/bench_ui.py [--scenario demo]``

Starts ``firmsim ui``'s server on a free loopback port, opens the page in Debian's Chromium,
presses Run on the scenario as shipped (demo: five structures, 20,000 customers, 200
employees, 300 steps) and prints: seconds from opening the page to the Run button, from the
click to the finished runs, open-to-finished in total (target: under 20 s), and how often the
page refreshed while the runs computed (target: at least twice a second).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from simulation.commands.ui import free_port, server_command, server_environment  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]

OBSERVER = """() => {
  window.__firmsimUpdates = [];
  const seen = {text: null};
  new MutationObserver(() => {
    const el = document.querySelector('.firmsim-status');
    if (el && el.innerText !== seen.text) {
      seen.text = el.innerText;
      window.__firmsimUpdates.push([performance.now(), el.innerText]);
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="demo")
    parser.add_argument("--verbose", action="store_true",
                        help="show the server's output (with FIRMSIM_UI_DEBUG=1: render times)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    started = time.perf_counter()
    server = subprocess.Popen(server_command("127.0.0.1", port),
                              env=server_environment(args.scenario), cwd=ROOT,
                              stdout=None if args.verbose else subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                if time.perf_counter() - started > 90 or server.poll() is not None:
                    print("the server did not start", file=sys.stderr)
                    return 1
                time.sleep(0.2)
        print(f"server up:               {time.perf_counter() - started:6.2f} s")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            opened = time.perf_counter()
            page.goto(url)
            run = page.get_by_role("button", name="Run", exact=True)
            run.wait_for(timeout=60_000)
            ready = time.perf_counter()
            page.evaluate(OBSERVER)
            run.click()
            clicked = time.perf_counter()
            page.get_by_text(re.compile(r"^finished")).wait_for(timeout=300_000)
            page.locator("table.firmsim-resilience").wait_for(timeout=30_000)
            finished = time.perf_counter()
            updates = page.evaluate("() => window.__firmsimUpdates")
            status = page.locator(".firmsim-status").inner_text()
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    running = [t for t, text in updates if text.startswith(("running", "starting"))]
    if len(running) >= 2:
        span = (running[-1] - running[0]) / 1000
        rate = (len(running) - 1) / span if span > 0 else float("nan")
        gaps = [b - a for a, b in zip(running, running[1:], strict=False)]
        longest = max(gaps) / 1000
    else:
        rate, longest = float("nan"), float("nan")
    print(f"page open to Run button: {ready - opened:6.2f} s")
    print(f"Run click to finished:   {finished - clicked:6.2f} s  ({status})")
    print(f"open to finished:        {finished - opened:6.2f} s  (target < 20 s)")
    print(f"page refreshes while running: {rate:.1f} per second, longest gap {longest:.2f} s "
          "(target >= 2 per second)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
