"""The browser app at default size, measured in headless Chromium.

Run: ``.venv/bin/python experiments/benchmarks/bench_ui.py [--scenario demo] [--users 3]``

Starts ``firmsim ui``'s server on a free loopback port, opens the page in Debian's Chromium,
presses Run on the scenario as shipped (demo: five structures, 20,000 customers, 200
employees, 300 steps) with the app's default replicates (3 paired runs per structure) and
prints: seconds from opening the page to the Run button, from the click to the first chart
line drawn (the status leaves "starting"), from the click to the finished comparison (target:
about 10 s), how often the status line refreshed while the runs computed (target: at least
twice a second) and how often the charts did (by design at most once a second, and less
often while a refresh takes more than a fifth of a second: ``CHART_SHARE``); then the
same with ``--users`` pages pressing Run at the same moment (the users share the server's one
worker pool, one process per core: a comparison waits its turn in the queue, and its status
line says its place), with the first place in the queue each user was shown. The browser runs on
the same cores as the server and the runs, so its drawing slows the runs here.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
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
  window.__firmsimCharts = [];
  const seen = {text: null, chart: null};
  new MutationObserver(() => {
    const el = document.querySelector('.firmsim-status');
    if (el && el.innerText !== seen.text) {
      seen.text = el.innerText;
      window.__firmsimUpdates.push([performance.now(), el.innerText]);
    }
    const chart = document.querySelector('.firmsim-chart-market_share');
    const label = chart && chart.getAttribute('aria-label');
    if (label && label !== seen.chart && el && el.innerText.startsWith('running')) {
      seen.chart = label;
      window.__firmsimCharts.push(performance.now());
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true,
                             attributes: true, attributeFilter: ['aria-label']});
}"""


def _rate(times: list[float]) -> float:
    """Events per second between the first and the last of ``times`` (milliseconds)."""
    if len(times) < 2 or times[-1] <= times[0]:
        return float("nan")
    return (len(times) - 1) / ((times[-1] - times[0]) / 1000)


def one_user(browser, url: str, start: threading.Barrier | None, out: dict) -> None:
    """Open the page, press Run (all users together when ``start`` is given), time it."""
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    opened = time.perf_counter()
    page.goto(url)
    run = page.get_by_role("button", name="Run", exact=True)
    run.wait_for(timeout=120_000)
    out["ready"] = time.perf_counter() - opened
    page.evaluate(OBSERVER)
    if start is not None:
        start.wait()
    try:
        _measure(page, run, out)
    except Exception as error:
        # Say what the page showed (a traceback in the page, a status that never moved).
        body = page.inner_text("body")[-600:].replace("\n", " | ")
        raise RuntimeError(f"{type(error).__name__}: {str(error).splitlines()[0]}; the page "
                           f"showed: ...{body}") from error
    page.close()


def _measure(page, run, out: dict) -> None:
    """Times from the page's own clock: the observer stamps each status change, and the
    waits poll it every 200 ms (Playwright's text waits search the whole page on every
    animation frame, which here took CPU time from the runs being measured)."""
    clicked = page.evaluate("performance.now()")
    run.click()
    last = "(window.__firmsimUpdates.at(-1) || [0, 'starting'])[1]"
    page.wait_for_function(f"() => !/^(starting|queued)/.test({last})", polling=200,
                           timeout=900_000)
    page.wait_for_function(f"() => /^(finished|error|stopped)/.test({last})", polling=200,
                           timeout=900_000)
    page.locator("table.firmsim-resilience").wait_for(timeout=30_000)
    updates = page.evaluate("() => window.__firmsimUpdates")
    moving = next(t for t, text in updates if not text.startswith(("starting", "queued")))
    out["queued"] = next((text for _, text in updates if text.startswith("queued")), "")
    ended = next(t for t, text in updates if text.startswith(("finished", "error", "stopped")))
    out["first_chart"] = (moving - clicked) / 1000
    out["finished"] = (ended - clicked) / 1000
    out["status"] = page.locator(".firmsim-status").inner_text()
    out["rate"] = _rate([t for t, text in updates if text.startswith("running")])
    out["chart_rate"] = _rate(page.evaluate("() => window.__firmsimCharts"))


def _one_run(scenario_name: str) -> float:
    """Seconds one model of the scenario takes (built and run, after compilation): the
    speed of this machine at the moment, which varies by a quarter from hour to hour here."""
    from simulation.config.scenario import load_scenario
    from simulation.config.seeds import run_seed
    from simulation.execution.runs import run_model

    scenario = load_scenario(scenario_name)
    config = scenario.model_config_only()
    run_model(config, scenario.structures[0], run_seed(0, 0))  # compiles the kernels
    began = time.perf_counter()
    run_model(config, scenario.structures[0], run_seed(scenario.seed, 0))
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="demo")
    parser.add_argument("--users", type=int, default=3,
                        help="simultaneous users of the second measurement (0: skip it)")
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
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"one demo run alone (this machine's speed now): {_one_run(args.scenario):.2f} s")
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
        print(f"server up:                  {time.perf_counter() - started:6.2f} s")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=CHROMIUM_ARGS)
            alone: dict = {}
            one_user(browser, url, None, alone)
            print(f"page open to Run button:    {alone['ready']:6.2f} s")
            print(f"Run to first chart:         {alone['first_chart']:6.2f} s")
            print(f"Run to finished comparison: {alone['finished']:6.2f} s  (target about 10 s; "
                  f"{alone['status']})")
            print(f"status refreshes while running: {alone['rate']:.1f} per second "
                  "(target >= 2)")
            print(f"chart refreshes while running:  {alone['chart_rate']:.1f} per second "
                  "(by design at most 1, and within CHART_SHARE of the server's time)")
            if args.users > 0:
                time.sleep(3)  # let the standby worker come back
                barrier = threading.Barrier(args.users)
                results = [{} for _ in range(args.users)]
                # One browser per user (Playwright's sync API is per thread).
                threads = [threading.Thread(target=_user_in_own_browser,
                                            args=(url, barrier, result))
                           for result in results]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                for number, result in enumerate(results, 1):
                    if "error" in result:
                        print(f"user {number}: failed: {result['error']}")
                        continue
                    print(f"user {number} of {args.users}: first chart "
                          f"{result['first_chart']:6.2f} s, finished {result['finished']:6.2f} s, "
                          f"status {result['rate']:.1f} and charts {result['chart_rate']:.1f} "
                          "refreshes per second"
                          + (f"; first shown: {result['queued'].split(';')[0]}"
                             if result.get("queued") else ""))
                done = sorted(r["finished"] for r in results if "finished" in r)
                if done:
                    print(f"{len(done)} of {args.users} users finished; finished times: "
                          f"median {done[len(done) // 2]:.1f} s, last {done[-1]:.1f} s")
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    return 0


def _user_in_own_browser(url: str, barrier: threading.Barrier, out: dict) -> None:
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=CHROMIUM_ARGS)
            one_user(browser, url, barrier, out)
            browser.close()
    except Exception as error:  # noqa: BLE001 - reported per user
        out["error"] = f"{type(error).__name__}: {error}"
        barrier.abort()


if __name__ == "__main__":
    sys.exit(main())
