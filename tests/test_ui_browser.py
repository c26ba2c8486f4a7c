"""The real app in headless Chromium (Debian's, driven by Playwright).

Starts ``solara run simulation.ui.app:Page`` on a free loopback port, opens the page, edits
the scenario (small sizes), picks two structures, runs, and waits for the live charts and the
resilience table; checks that invalid input shows a message beside its field and disables
Run; visits the other pages; saves screenshots under ``results/ui/``; stops the server. Every
request the page makes must go to the local server (the app must work offline).
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "results" / "ui"

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium): browser tests skipped",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@contextlib.contextmanager
def running_server(log_dir: Path, single: bool = False):
    """A server on a free loopback port (``single``: the SolaraViz page); always stopped."""
    from simulation.commands.ui import free_port, server_command, server_environment

    port = free_port()
    log = log_dir / "server.log"
    env = server_environment("demo")
    with open(log, "w") as out:
        process = subprocess.Popen(server_command("127.0.0.1", port, single=single), env=env,
                                   stdout=out, stderr=subprocess.STDOUT,
                                   cwd=Path(__file__).parent.parent)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                pytest.fail(f"the server did not answer in 90 s: {log.read_text()[-2000:]}")
            time.sleep(0.3)
        yield {"url": url, "process": process, "log": log}
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The compare app."""
    with running_server(tmp_path_factory.mktemp("ui")) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    outside, errors = [], []
    local = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")

    def on_request(request):
        if not request.url.startswith(local):
            outside.append(request.url)

    page.on("request", on_request)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400
            else None)
    page.goto(server["url"])
    page.get_by_role("button", name="Run", exact=True).wait_for(timeout=60_000)
    yield page
    context.close()
    assert not outside, f"the page asked the internet for {outside}"
    assert not errors, f"the local server failed requests: {errors}"
    assert server["process"].poll() is None, "the server died"


def fill(page, label: str, text: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(text)
    field.press("Tab")


def run_button(page):
    return page.get_by_role("button", name="Run", exact=True)


def choose_structures(page, chosen: list[str]) -> None:
    for structure in ("hierarchy", "siloed_social", "network", "podular", "open"):
        box = page.get_by_role("checkbox", name=structure, exact=True)
        if structure in chosen:
            box.check(force=True)
            sync_api.expect(box).to_be_checked()
        else:
            box.uncheck(force=True)
            sync_api.expect(box).not_to_be_checked()


def small_scenario(page) -> None:
    """Small sizes typed in the page: 2,000 customers, 60 steps, the shock at step 30."""
    fill(page, "customers", "2000")
    fill(page, "steps", "60")
    # The demo's shock at step 150 is now after the end: a message and Run disabled.
    page.get_by_text("must be before the last step").wait_for()
    assert run_button(page).is_disabled()
    fill(page, "shock 1 step", "30")
    page.get_by_text("must be before the last step").wait_for(state="detached")
    choose_structures(page, ["hierarchy", "network"])
    sync_api.expect(run_button(page)).to_be_enabled()


def test_compare_two_structures_live_charts_and_resilience(page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    small_scenario(page)
    started = time.perf_counter()
    run_button(page).click()
    # Live: the status line moves while the charts are drawn.
    page.locator(".firmsim-status").wait_for(timeout=30_000)
    page.get_by_text(re.compile(r"^finished")).wait_for(timeout=60_000)
    elapsed = time.perf_counter() - started
    page.locator(".firmsim-chart canvas").nth(5).wait_for(timeout=30_000)
    assert page.locator(".firmsim-chart canvas").count() == 6
    cells = page.locator("table.firmsim-resilience tbody tr")
    assert cells.count() == 2  # one shock, two structures
    text = page.locator("table.firmsim-resilience").inner_text()
    assert "hierarchy" in text and "network" in text and "need_shift" in text
    assert re.search(r"\d\.\d{2,}", text), text  # numbers, not placeholders
    status = page.locator(".firmsim-status").inner_text()
    assert "hierarchy 60" in status and "network 60" in status
    # Hover values: the chart's tooltip names the structures at the hovered step.
    chart = page.locator(".firmsim-chart-market_share")
    box = chart.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6)
    chart.get_by_text(re.compile("network")).first.wait_for(timeout=10_000)
    page.screenshot(path=str(SCREENSHOTS / "compare.png"), full_page=True)
    assert elapsed < 60

    # Inside the firm: the organization and the customer sample of the finished runs.
    page.get_by_role("tab", name="Inside the firm").click()
    page.locator(".firmsim-org canvas").wait_for(timeout=20_000)
    page.locator(".firmsim-customers canvas").wait_for(timeout=20_000)
    page.get_by_role("button", name="network", exact=True).click()
    page.get_by_text("network: network, coloured by queue length").wait_for(timeout=10_000)
    page.get_by_role("button", name="workload", exact=True).click()
    page.get_by_text("network: network, coloured by workload").wait_for(timeout=10_000)
    page.get_by_role("button", name="hierarchy", exact=True).click()
    page.get_by_role("button", name="queue", exact=True).click()
    page.get_by_text("hierarchy: tree, coloured by queue length").wait_for(timeout=10_000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(SCREENSHOTS / "firm.png"), full_page=True)


def test_invalid_values_show_messages_and_disable_run(page, server):
    fill(page, "employees", "abc")
    page.get_by_text("expected a whole number").wait_for()
    assert run_button(page).is_disabled()
    fill(page, "employees", "200")
    fill(page, "market turbulence", "1.5")
    page.get_by_text("allowed: 0 to 1").wait_for()
    assert run_button(page).is_disabled()
    fill(page, "market turbulence", "0.1")
    page.get_by_text("allowed: 0 to 1").wait_for(state="detached")
    choose_structures(page, ["hierarchy"])
    page.get_by_text("pick 2 to 5 (now 1)").wait_for()
    assert run_button(page).is_disabled()
    page.screenshot(path=str(SCREENSHOTS / "invalid.png"), full_page=True)
    assert server["process"].poll() is None


def test_explore_results_messages_and_teach_page(page, tmp_path):
    page.get_by_role("tab", name="Explore results").click()
    field = page.get_by_label("results folder", exact=True)
    field.fill(str(tmp_path / "missing"))
    field.press("Enter")
    page.get_by_text("does not exist").wait_for()
    (tmp_path / "timeseries.parquet").write_bytes(b"corrupt")
    field.fill(str(tmp_path))
    field.press("Enter")
    page.get_by_text("could not be read").wait_for()
    good = tmp_path / "good"
    good.mkdir()
    import pandas as pd

    pd.DataFrame({"structure": ["hierarchy", "network"], "step": [0, 1],
                  "market_share": [0.25, 0.5]}).to_parquet(good / "timeseries.parquet")
    pd.DataFrame({"parameter": ["k"], "S1": [0.4], "ST": [0.5]}).to_csv(
        good / "sobol_indices.csv", index=False)
    field.fill(str(good))
    field.press("Enter")
    page.get_by_text("Sensitivity indices").wait_for()
    page.get_by_role("button", name="timeseries.parquet").click()
    page.get_by_label("filter structure", exact=True).fill("net")
    page.get_by_label("filter structure", exact=True).press("Enter")
    page.get_by_text("1 of 2 rows").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "explore.png"), full_page=True)

    page.get_by_role("tab", name="Teach").click()
    page.get_by_text("The command-and-control bottleneck").wait_for()
    page.get_by_role("button", name="open 'talent-loss' in Compare").click()
    run_button(page).wait_for()
    page.get_by_text("The command-and-control bottleneck").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "teach.png"), full_page=True)


if os.environ.get("FIRMSIM_UI_KEEP"):  # pragma: no cover - debugging aid
    print("screenshots in", SCREENSHOTS)


def test_single_firm_page_runs_under_mesa_solaraviz(browser, tmp_path):
    """``firmsim ui --single``: Mesa's SolaraViz steps one firm and plots it, offline."""
    with running_server(tmp_path, single=True) as running:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        outside = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(
            ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")) else None)
        page.goto(running["url"])
        page.get_by_text("firmsim: one firm").first.wait_for(timeout=60_000)
        step = page.get_by_role("button", name=re.compile("^step$", re.I))
        step.wait_for(timeout=30_000)
        for _ in range(3):
            step.click()
        page.get_by_text(re.compile(r"Time:\s*3(\.0)?$")).first.wait_for(timeout=30_000)
        assert page.locator("img").count() >= 3  # the three matplotlib plots
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "single.png"), full_page=True)
        context.close()
        assert not outside, f"the page asked the internet for {outside}"
        assert running["process"].poll() is None, "the server died"
