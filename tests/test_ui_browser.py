"""The real app in headless Chromium (Debian's, driven by Playwright).

Starts ``solara run simulation.ui.app:Page`` on a free loopback port, opens the page, edits
the scenario (small sizes), picks two structures, runs paired replicates, and checks the
charts, the intervals and the sentence; invalid input; the question page's verdict; stale
marking; a closed tab freeing its worker; scenario download, upload and the link in the
address; the repaired org chart after a talent loss; an axe-core accessibility audit
(``tests/data/axe.min.js``, vendored from the npm package axe-core, so the audit runs
offline) and narrow or zoomed layouts. Screenshots go to ``results/ui/``. Every request the
page makes must go to the local server (the app must work offline).

Without ``/usr/bin/chromium`` (Debian: ``apt-get install chromium``) the module is skipped
with that reason.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from simulation.ui.teach import LESSONS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "results" / "ui"
AXE = Path(__file__).resolve().parent / "data" / "axe.min.js"

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


def small_scenario(page, replicates: str = "3") -> None:
    """Small sizes typed in the page: 2,000 customers, 60 steps, the shock at step 30."""
    fill(page, "customers", "2000")
    fill(page, "replicates (paired runs per structure)", replicates)
    fill(page, "steps", "60")
    # The demo's shock at step 150 is now after the end: a message and Run disabled.
    page.get_by_text("must be before the last step").wait_for()
    sync_api.expect(run_button(page)).to_be_disabled()
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
    page.get_by_text(re.compile(r"^finished")).wait_for(timeout=90_000)
    elapsed = time.perf_counter() - started
    from simulation.ui.charts import CHARTS

    page.locator(".firmsim-chart canvas").nth(len(CHARTS) - 1).wait_for(timeout=30_000)
    assert page.locator(".firmsim-chart canvas").count() == len(CHARTS)
    cells = page.locator("table.firmsim-resilience tbody tr")
    # The table is drawn just after the status says finished: wait for its rows (it fails
    # after the timeout if they never come).
    sync_api.expect(cells).to_have_count(2)  # one shock, two structures
    text = page.locator("table.firmsim-resilience").inner_text()
    assert "hierarchy" in text and "network" in text and "need_shift" in text
    # Intervals over the three paired replicates, and the paired column against hierarchy.
    assert re.search(r"-?\d\.\d{3} \[-?\d\.\d{3}, -?\d\.\d{3}\]", text), text
    assert "reference" in text and re.search(r"in \d of 3", text), text
    assert re.search(r"(median \d+|not recovered within \d+ steps)", text), text
    status = page.locator(".firmsim-status").inner_text()
    assert "step 60 of 60" in status and "3 paired replicates" in status, status
    sentence = page.locator(".firmsim-sentence").inner_text()
    # Levels first (what a strategist asks), then the loss from each firm's own level.
    assert re.search(r"^After the need shift network holds -?\d\.\d{3} \[.*\] of market share"
                     r".* and hierarchy \d\.\d{3}", sentence), sentence
    assert re.search(r"lost (less|more) market share than hierarchy from its own level",
                     sentence), sentence
    # The money made so far, paired, between the level and the loss.
    assert re.search(r"Cumulative profit by step \d+( \((thousands|millions)\))?: network "
                     r"-?[\d.]+ \[.*\], hierarchy -?[\d.]+ \[.*\]; difference", sentence), (
        sentence)
    assert sentence.index("holds") < sentence.index("Cumulative profit") < sentence.index(
        " lost ")
    assert "level after" in text and "level before" in text
    # Bands: each chart's text alternative gives the mean and its band per structure.
    label = page.locator(".firmsim-chart-market_share").get_attribute("aria-label")
    assert re.search(r"hierarchy \d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]", label), label
    # Hover values: the chart's tooltip names the structures at the hovered step.
    chart = page.locator(".firmsim-chart-market_share")
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6)
    chart.get_by_text(re.compile("network")).first.wait_for(timeout=10_000)
    page.screenshot(path=str(SCREENSHOTS / "compare.png"), full_page=True)
    # The reference can be changed: the sentence then compares with network.
    page.get_by_role("radiogroup", name="reference structure").get_by_role(
        "radio", name="network").check(force=True)
    page.get_by_text(re.compile("^After the need shift hierarchy holds")).wait_for()

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
    # Play controls on this page too.
    assert page.get_by_role("button", name="Play").is_visible()
    page.wait_for_timeout(500)
    page.screenshot(path=str(SCREENSHOTS / "firm.png"), full_page=True)


def test_invalid_values_show_messages_and_disable_run(page, server):
    fill(page, "employees", "abc")
    page.get_by_text("expected a whole number").wait_for()
    sync_api.expect(run_button(page)).to_be_disabled()
    fill(page, "employees", "200")
    fill(page, "market turbulence", "1.5")
    # The message names the field as the form shows it.
    page.get_by_text("market turbulence = 1.5").wait_for()
    page.get_by_text("allowed: 0 to 1").wait_for()
    sync_api.expect(run_button(page)).to_be_disabled()
    fill(page, "market turbulence", "0.1")
    page.get_by_text("allowed: 0 to 1").wait_for(state="detached")
    choose_structures(page, ["hierarchy"])
    page.get_by_text("pick 2 to 5 (now 1)").wait_for()
    sync_api.expect(run_button(page)).to_be_disabled()
    assert server["process"].poll() is None


def test_explore_results_messages_and_teach_page(page, tmp_path, request):
    page.get_by_role("tab", name="Explore results").click()
    field = page.get_by_label("results folder", exact=True)
    # The app reads only below its results root (the repository's results/ here).
    field.fill(str(tmp_path / "missing"))
    field.press("Enter")
    page.get_by_text("is outside the results folder").wait_for()
    results = Path(__file__).resolve().parent.parent / "results"
    results.mkdir(exist_ok=True)
    tmp_path = Path(tempfile.mkdtemp(prefix="test-explore-", dir=results))
    request.addfinalizer(lambda: shutil.rmtree(tmp_path, ignore_errors=True))
    field.fill(str(tmp_path / "no-such-folder"))
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
    page.get_by_text("Command-and-control after the managers leave").wait_for()
    page.get_by_role("button", name="open 'talent-loss' in Compare").click()
    run_button(page).wait_for()
    page.get_by_text("Command-and-control after the managers leave").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "teach.png"), full_page=True)
    page.get_by_role("tab", name="Info").click()
    page.get_by_text("Mass production vs. the networked firm").wait_for()
    page.get_by_text("Pods and hubs").wait_for()


def finished(page, timeout: float = 90_000) -> None:
    page.get_by_text(re.compile(r"^finished")).wait_for(timeout=timeout)


def test_stale_marking_and_teach_opens_a_clean_page(page):
    small_scenario(page, replicates="2")
    run_button(page).click()
    finished(page)
    assert page.locator(".firmsim-stale").count() == 0
    fill(page, "seed", "8")
    page.locator(".firmsim-stale").wait_for(timeout=10_000)
    assert page.locator(".firmsim-stale-results").count() == 1
    fill(page, "seed", "1")  # back to the scenario the results come from
    page.locator(".firmsim-stale").wait_for(state="detached", timeout=10_000)
    page.get_by_role("tab", name="Teach").click()
    page.get_by_role("button", name="open 'need-shift' in Compare").click()
    run_button(page).wait_for()
    assert page.locator(".firmsim-status").count() == 0  # no results of another scenario
    page.get_by_text("Pick structures and a scenario, then press Run").wait_for()
    # The card's page makes the paired runs its claims were checked on (tests/test_lessons.py).
    sync_api.expect(page.get_by_label("replicates (paired runs per structure)", exact=True)
                    ).to_have_value(str(LESSONS["need-shift"].page_replicates))


def test_question_page_gives_a_verdict_and_opens_the_comparison(page):
    page.get_by_role("tab", name="Question").click()
    fill(page, "customers in the market", "2000")
    page.get_by_role("button", name="Answer").click()
    headline = page.locator(".firmsim-verdict-headline")
    headline.wait_for(timeout=120_000)
    assert re.match(r"^(Yes|No|Not clear)", headline.inner_text()), headline.inner_text()
    verdict = page.locator(".firmsim-verdict").inner_text()
    assert re.search(r"in \d of 5 paired runs", verdict), verdict
    assert "decision latency" in verdict and "95%" in verdict
    assert page.locator(".firmsim-mechanism").inner_text().startswith(
        ("Why, from the runs' process metrics", "The runs' process metrics")), verdict
    page.screenshot(path=str(SCREENSHOTS / "question.png"), full_page=True)
    page.get_by_role("button", name="open the full comparison").click()
    page.locator("table.firmsim-resilience").wait_for()
    status = page.locator(".firmsim-status").inner_text()
    assert status.startswith("finished") and "5 paired replicates" in status, status
    assert page.locator(".firmsim-stale").count() == 0
    sync_api.expect(page.locator("table.firmsim-resilience tbody tr")).to_have_count(2)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "zombie" in status.read_text())


def test_a_closed_tab_stops_its_run_and_frees_its_worker(browser, server):
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    page.goto(server["url"])
    run_button(page).wait_for(timeout=60_000)
    fill(page, "customers", "2000")
    fill(page, "replicates (paired runs per structure)", "1")
    page.get_by_role("radio", name="1", exact=True).check(force=True)
    run_button(page).click()
    worker = page.locator(".firmsim-worker")
    worker.wait_for(timeout=30_000)
    listed = re.search(r"worker process(?:es)? ([\d, ]+);", worker.inner_text()).group(1)
    pids = [int(pid) for pid in listed.split(",")]
    page.get_by_text(re.compile(r"^running")).wait_for(timeout=60_000)
    assert all(_alive(pid) for pid in pids)
    stated = float(re.search(r"within (\d+) s", worker.inner_text()).group(1))
    page.close(run_before_unload=True)  # as a browser closing the tab: the page says goodbye
    context.close()
    # The workers belong to the server's shared pool (one per core, kept warm): closing the
    # tab stops its run and frees them for the next comparison, which then runs on them
    # at once instead of queueing behind the closed tab's run.
    time.sleep(stated)
    assert server["process"].poll() is None
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    page.goto(server["url"])
    run_button(page).wait_for(timeout=60_000)
    fill(page, "customers", "2000")
    run_button(page).click()
    worker = page.locator(".firmsim-worker")
    worker.wait_for(timeout=30_000)
    assert "queued" not in page.locator(".firmsim-status").inner_text()
    reused = re.search(r"worker process(?:es)? ([\d, ]+);", worker.inner_text()).group(1)
    assert {int(pid) for pid in reused.split(",")} <= set(pids)
    assert all(_alive(pid) for pid in pids)
    context.close()


def test_scenario_download_upload_and_link(page, browser, tmp_path):
    fill(page, "steps", "200")
    fill(page, "seed", "12")
    with page.expect_download() as info:
        page.get_by_role("button", name="download scenario (TOML)").click()
    path = tmp_path / "scenario.toml"
    info.value.save_as(path)
    text = path.read_text()
    assert re.search(r"^steps\s*=\s*200", text, re.M) and re.search(r"^seed\s*=\s*12", text,
                                                                     re.M), text
    # The address now holds the scenario: a new tab opened with it shows the same values.
    page.wait_for_function("() => window.location.search.includes('scenario=')")
    link = page.url
    other = browser.new_page(viewport={"width": 1500, "height": 1100})
    other.goto(link)
    run_button(other).wait_for(timeout=60_000)
    sync_api.expect(other.get_by_label("seed", exact=True)).to_have_value("12")
    sync_api.expect(other.get_by_label("steps", exact=True)).to_have_value("200")
    other.close()
    # Upload: a changed file fills the editor; a bad one is refused with a message.
    changed = text.replace("seed = 12", "seed = 33").replace("seed       = 12", "seed = 33")
    changed = re.sub(r"^seed\s*=\s*12", "seed = 33", changed, flags=re.M)
    for name, content in (("bad.toml", "steps = -1\n"), ("changed.toml", changed)):
        page.get_by_label("load a scenario file (TOML):").set_input_files(
            files=[{"name": name, "mimeType": "text/plain", "buffer": content.encode()}])
        if name == "bad.toml":
            page.get_by_text("steps = -1").wait_for(timeout=10_000)
    page.get_by_text("loaded changed.toml").wait_for(timeout=10_000)
    sync_api.expect(page.get_by_label("seed", exact=True)).to_have_value("33")


def test_org_chart_shows_the_repaired_firm_after_talent_loss(page):
    page.get_by_role("radio", name="talent-loss").check(force=True)
    page.get_by_text("Command-and-control after the managers leave").wait_for()
    fill(page, "customers", "2000")
    fill(page, "replicates (paired runs per structure)", "1")
    fill(page, "steps", "210")
    choose_structures(page, ["hierarchy", "podular"])
    run_button(page).click()
    finished(page)
    page.get_by_role("tab", name="Inside the firm").click()
    page.get_by_role("button", name="hierarchy", exact=True).click()
    repair = page.locator(".firmsim-org-repair")
    repair.wait_for(timeout=20_000)
    found = re.search(r"(\d+) employees left; (\d+) re-attached", repair.inner_text())
    assert found and int(found.group(1)) > 0 and int(found.group(2)) > 0, repair.inner_text()
    label = page.locator(".firmsim-org").get_attribute("aria-label")
    assert f"{200 - int(found.group(1))} employees" in label, label
    page.screenshot(path=str(SCREENSHOTS / "firm-repaired.png"), full_page=True)


def _audit(page) -> list[str]:
    # The page at rest: Solara's own "kernel busy" bar (an unnamed, absolutely placed
    # progress bar of the framework's page template) shows while the server is still working
    # on the last click, which under load can outlast the click; a bar that never hides
    # fails here by timeout.
    page.wait_for_function("""() => [...document.querySelectorAll('.v-progress-linear--absolute')]
        .every(bar => getComputedStyle(bar).visibility === 'hidden')""", timeout=30_000)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
          .map(v => v.id + ': ' + v.help + ' (' + v.nodes.length + ', e.g. '
               + v.nodes[0].html.slice(0, 120) + ')');
    }""")
    return result


def test_accessibility_audit_and_layouts(page):
    small_scenario(page, replicates="2")
    run_button(page).click()
    finished(page)
    assert page.evaluate("document.documentElement.lang") == "en"
    problems = _audit(page)
    for tab, heading in (("Question", "Would another structure have done better?"),
                         ("Teach", "Teach mode"), ("Info", "What the app shows")):
        page.get_by_role("tab", name=tab).click()
        page.get_by_text(heading).wait_for()
        page.wait_for_timeout(300)
        problems += [f"{tab}: {p}" for p in _audit(page)]
    assert not problems, "\n".join(problems)
    page.get_by_role("tab", name="Compare").click()
    page.locator(".firmsim-results-column").wait_for()
    # Narrow screen (a phone, or 150% zoom of a small laptop): the editor stacks above the
    # results and nothing overflows sideways.
    for width in (600, 1000):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(500)
        editor = page.locator(".firmsim-editor-column").bounding_box()
        results = page.locator(".firmsim-results-column").bounding_box()
        if width == 600:
            assert results["y"] >= editor["y"] + editor["height"] - 1
        overflow = page.evaluate("""() => [...document.querySelectorAll('.firmsim-root')]
            .some(e => e.scrollWidth > e.clientWidth + 2)""")
        assert not overflow, f"sideways overflow at {width} px"
        page.screenshot(path=str(SCREENSHOTS / f"narrow-{width}.png"))
    page.get_by_role("switch", name="presenter mode (large text)").check(force=True)
    page.locator(".firmsim-presenter").wait_for()


def test_the_app_works_at_150_percent_zoom(browser, server):
    """Browser zoom at 150% on a 1280 x 800 window: the page lays out in 853 x 533 CSS
    pixels drawn at 1.5 device pixels each (what Chromium's zoom does; Playwright cannot press
    Ctrl and +, so the context is made that way). Everything stays reachable: no sideways
    overflow, the Run button and each chart on screen when scrolled to, the results table
    scrolls inside its own box."""
    context = browser.new_context(viewport={"width": 853, "height": 533},
                                  device_scale_factor=1.5)
    page = context.new_page()
    try:
        page.goto(server["url"])
        run_button(page).wait_for(timeout=60_000)
        assert page.evaluate("[window.devicePixelRatio, window.innerWidth]") == [1.5, 853]
        small_scenario(page, replicates="2")
        run_button(page).scroll_into_view_if_needed()
        run_button(page).click()
        finished(page)
        page.locator("table.firmsim-resilience").wait_for(timeout=30_000)
        overflow = page.evaluate("""() => [...document.querySelectorAll('.firmsim-root')]
            .some(e => e.scrollWidth > e.clientWidth + 2)""")
        assert not overflow, "sideways overflow at 150% zoom"
        for chart in page.locator(".firmsim-chart").all():
            chart.scroll_into_view_if_needed()
            box = chart.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 853 + 1
            canvas = chart.locator("canvas").first
            # Drawn at the zoomed resolution (1.5 device pixels per CSS pixel), not blurred.
            width = canvas.evaluate("c => c.width / c.getBoundingClientRect().width")
            assert abs(width - 1.5) < 0.01
        for tab, content in (("Question", "Would another structure have done better?"),
                             ("Info", "What the app shows")):
            page.get_by_role("tab", name=tab).click()
            page.get_by_text(content).wait_for()
            overflow = page.evaluate("""() => [...document.querySelectorAll('.firmsim-root')]
                .some(e => e.scrollWidth > e.clientWidth + 2)""")
            assert not overflow, f"sideways overflow on {tab} at 150% zoom"
        page.get_by_role("tab", name="Compare").click()
        page.locator(".firmsim-results-column").wait_for()
        page.screenshot(path=str(SCREENSHOTS / "zoom-150.png"))
    finally:
        context.close()


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


#: What each charted metric can take, written out here from the ODD (shares, normalised
#: fitness and satisfaction in [0, 1], sentiment in [-1, 1], latency and queues >= 0).
BOUNDS = {"market_share": (0, 1), "fitness": (0, 1), "satisfaction": (0, 1),
          "sentiment": (-1, 1), "decision_latency": (0, None), "largest_queue": (0, None)}

#: Reads what a chart draws: each filled area (a band) read back from its rendered polygon,
#: the upper edge left to right and the lower edge back, converted from screen pixels to data
#: values by the chart itself: rows [step, low, high].
DRAWN_BANDS = """(metric) => {
  const element = document.querySelector('.firmsim-chart-' + metric);
  const chart = element.__vue__.chart;
  const title = chart.getOption().title[0];
  const out = {title: title.text, subtitle: title.subtext || '', bands: {}};
  const toData = (point) => chart.convertFromPixel({gridIndex: 0}, point);
  chart.getModel().eachSeries((model) => {
    const polygons = [];
    chart.getViewOfSeriesModel(model).group.traverse((item) => {
      if (item.type !== 'polygon' || !item.shape.points) return;
      const points = item.shape.points.map((p) => [p[0], p[1]]);
      const half = points.length / 2;
      const rows = [];
      for (let i = 0; i < half; i++) {
        const top = toData(points[i]), bottom = toData(points[points.length - 1 - i]);
        rows.push([top[0], bottom[1], top[1]]);
      }
      polygons.push(rows);
    });
    if (polygons.length) out.bands[model.name] = polygons;
  });
  const extent = chart.getModel().getComponent('yAxis', 0).axis.scale.getExtent();
  out.span = extent[1] - extent[0];
  return out;
}"""


def expected_bands(table, metric: str):
    """Mean and 95% t-interval per structure and step, computed here from the downloaded
    time series (scipy's t quantile), clipped to the metric's range."""
    import numpy as np
    from scipy import stats

    grouped = table.groupby(["structure", "step"])[metric]
    frame = grouped.agg(["count", "mean", "std"]).reset_index()
    half = stats.t.ppf(0.975, frame["count"] - 1) * frame["std"] / np.sqrt(frame["count"])
    low, high = BOUNDS.get(metric, (None, None))  # cumulative profit: any sign
    frame["low"] = (frame["mean"] - half).clip(low, high)
    frame["high"] = (frame["mean"] + half).clip(low, high)
    return frame


def test_bands_cover_the_interval_in_the_downloaded_data(page, tmp_path):
    """Every chart's drawn band, read back from its rendered polygon at every step, spans
    exactly the 95% t-interval of the downloaded time series (clipped to what the metric can
    take), after live updates; the subtitle names the interval and the number of runs."""
    import pandas as pd

    small_scenario(page, replicates="3")
    run_button(page).click()
    finished(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="time series (CSV)").click()
    path = tmp_path / "series.csv"
    info.value.save_as(path)
    table = pd.read_csv(path)
    assert set(table["replicate"]) == {0, 1, 2}
    checked = 0
    from simulation.ui.charts import CHARTS

    metrics = [metric for metric, _, _ in CHARTS]
    assert set(BOUNDS) < set(metrics)  # every chart, cumulative profit (unbounded) too
    for metric in metrics:
        page.wait_for_function(
            """(m) => { const e = document.querySelector('.firmsim-chart-' + m);
                        const c = e && e.__vue__ && e.__vue__.chart;
                        return c && !c.getOption().title[0].text.includes('provisional'); }""",
            arg=metric, timeout=30_000)
        drawn = page.evaluate(DRAWN_BANDS, metric)
        expected = expected_bands(table, metric)
        tolerance = 0.004 * drawn["span"]  # about a pixel of the 300 px chart
        assert set(drawn["bands"]) == {"hierarchy", "network"}, drawn["bands"].keys()
        for structure, polygons in drawn["bands"].items():
            rows = expected[expected["structure"] == structure].set_index("step")
            finite = rows["low"].notna() & rows["high"].notna()
            # One polygon per stretch of steps with an interval (latency has none where no
            # decision was made in a step: a gap, not a band of zero width).
            stretches = int((finite & ~finite.shift(1, fill_value=False)).sum())
            assert len(polygons) == stretches, f"{metric} {structure}: {len(polygons)} areas"
            drawn_steps = []
            for step, low, high in (row for polygon in polygons for row in polygon):
                step = round(step)
                drawn_steps.append(step)
                want = rows.loc[step]
                assert abs(low - want["low"]) <= tolerance and abs(high - want["high"]) <= (
                    tolerance), (f"{metric} {structure} step {step}: drawn [{low:.4f}, "
                                 f"{high:.4f}], data [{want['low']:.4f}, {want['high']:.4f}]")
                checked += 1
            assert sorted(drawn_steps) == list(rows.index[finite]), f"{metric} {structure}"
        assert "95% t-interval" in drawn["subtitle"] and "3 runs" in drawn["subtitle"], drawn
        # Few replicates: the chart says so.
        assert "only 3 runs: wide bands" in drawn["subtitle"], drawn["subtitle"]
    print(f"band rows checked against the CSV: {checked} ({len(metrics)} charts)")
    assert checked > len(metrics) * 2 * 40, checked
    page.screenshot(path=str(SCREENSHOTS / "bands.png"), full_page=True)


def test_question_page_shows_its_values_keeps_them_and_marks_a_stale_answer(page):
    """Every control shows its value (the slider its number); the form survives a tab change;
    an answer that no longer matches the form is marked stale, as on Compare."""
    page.get_by_role("tab", name="Question").click()
    page.get_by_text("paired runs per firm: 5").wait_for()
    situation = "a shift of customer needs (half of every segment's needs change)"
    page.get_by_role("radio", name=situation).check(force=True)
    fill(page, "customers in the market", "1000")
    slider = page.get_by_role("slider")
    slider.focus()
    slider.press("ArrowLeft")
    slider.press("ArrowLeft")
    page.get_by_text("paired runs per firm: 3").wait_for()
    page.get_by_role("button", name="Answer").click()
    page.locator(".firmsim-verdict-headline").wait_for(timeout=120_000)
    assert page.locator(".firmsim-question-stale").count() == 0
    page.get_by_role("tab", name="Compare").click()
    run_button(page).wait_for()
    page.get_by_role("tab", name="Question").click()
    page.locator(".firmsim-verdict-headline").wait_for()
    sync_api.expect(page.get_by_role("radio", name=situation)).to_be_checked()
    sync_api.expect(page.get_by_label("customers in the market", exact=True)).to_have_value(
        "1000")
    page.get_by_text("paired runs per firm: 3").wait_for()
    assert page.locator(".firmsim-question-stale").count() == 0
    page.get_by_role("radio", name="a competitor raising the bar").check(force=True)
    page.locator(".firmsim-question-stale").wait_for(timeout=10_000)
    page.get_by_role("radio", name=situation).check(force=True)
    page.locator(".firmsim-question-stale").wait_for(state="detached", timeout=10_000)


def test_a_run_over_the_memory_budget_is_refused_as_the_cli_refuses_it(page):
    """50,000,000 customers on the start page (demo: 5 structures x 10 paired runs, 50 runs
    at once): the page names the field and the memory, as `firmsim run` does,
    Run is disabled and no "Run anyway" is offered; back to 2,000 customers, Run is enabled."""
    fill(page, "customers", "50000000")
    refusal = page.locator(".firmsim-budget")
    refusal.wait_for(timeout=10_000)
    text = refusal.inner_text()
    assert re.search(r"customers\.count=50000000: a run needs about [\d.]+ GB of memory x 50 "
                     r"concurrent runs, more than the [\d.]+ GB available", text), text
    sync_api.expect(run_button(page)).to_be_disabled()
    assert page.get_by_role("button", name="Run anyway").count() == 0
    fill(page, "customers", "2000")
    refusal.wait_for(state="detached", timeout=10_000)
    sync_api.expect(run_button(page)).to_be_enabled()


def band_fill_pixels(pixels, structure: str) -> int:
    """Pixels of ``pixels`` (RGB in [0, 1]) painted with ``structure``'s band fill alone: its
    colour at the figure's alpha 0.18 over white (a line or a mean has no such pixel)."""
    import numpy as np
    from matplotlib.colors import to_rgb

    from simulation.ui.charts import colour

    fill = 0.82 + 0.18 * np.array(to_rgb(colour(structure)))
    return int((np.abs(pixels[..., :3] - fill).max(axis=-1) < 2.5 / 255).sum())


def test_png_export_holds_the_charts_as_shown(page, tmp_path):
    """The PNG button saves the six charts as the screen draws them: the figure of the
    downloaded time series (the table every chart is drawn from: means over the replicates
    and their bands), pixel for pixel, with each structure's band filled in every chart. A
    picture of replicate 0 alone, or one without bands, fails both checks."""
    import numpy as np
    import pandas as pd
    from matplotlib import image

    from simulation.ui.charts import CHARTS, charts_png

    small_scenario(page, replicates="3")
    run_button(page).click()
    finished(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="time series (CSV)").click()
    info.value.save_as(tmp_path / "series.csv")
    table = pd.read_csv(tmp_path / "series.csv")
    assert set(table["replicate"]) == {0, 1, 2}
    # The figure is drawn when the button is pressed (matplotlib in the server: seconds).
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="charts as shown (PNG)").click()
    info.value.save_as(tmp_path / "charts.png")
    pixels = image.imread(tmp_path / "charts.png")
    rows = -(-len(CHARTS) // 3)  # three charts a row, 13 x 4.25 inches a row at 110 dpi
    assert pixels.shape[:2] == (int(4.25 * rows * 110), 1430)
    (tmp_path / "expected.png").write_bytes(charts_png(table, [{"step": 30}], 60))
    expected = image.imread(tmp_path / "expected.png")
    assert expected.shape == pixels.shape
    differing = float((np.abs(expected - pixels).max(axis=-1) > 1 / 255).mean())
    assert differing < 0.001, f"{differing:.2%} of the pixels differ from the screen's data"
    # Each chart (three a row) holds the band of each structure whose runs differ (the
    # t-interval computed here from the CSV is wider than 2% of the chart's range somewhere).
    height, width = pixels.shape[0] // rows, pixels.shape[1] // 3
    banded = 0
    for chart, (metric, *_) in enumerate(CHARTS):
        row, column = divmod(chart, 3)
        cell = pixels[row * height:(row + 1) * height, column * width:(column + 1) * width]
        bands = expected_bands(table, metric)
        span = bands["high"].max() - bands["low"].min()
        for structure, band in bands.groupby("structure"):
            if (band["high"] - band["low"]).max() > 0.02 * span:
                assert band_fill_pixels(cell, structure) > 100, (metric, structure)
                banded += 1
    assert banded >= 8, f"only {banded} bands to look for: the test would prove little"
    assert page.get_by_role("button", name=re.compile("replicate 0")).count() == 0


def test_pause_stops_every_structure_at_one_step_and_step_adds_exactly_one(page):
    """Pause: the status shows one step for every structure (the charts' step) and stays
    there; Step: every structure advances by exactly one."""
    fill(page, "customers", "2000")
    fill(page, "replicates (paired runs per structure)", "2")
    fill(page, "steps", "400")
    choose_structures(page, ["hierarchy", "network", "podular"])
    page.get_by_role("radio", name="50", exact=True).check(force=True)
    run_button(page).click()
    status = page.locator(".firmsim-status")
    page.wait_for_function("""() => { const s = document.querySelector('.firmsim-status');
        const m = s && s.innerText.match(/^running: steps? (\\d+)/);
        return m && +m[1] >= 10; }""", timeout=120_000)
    page.get_by_role("button", name="Pause").click()
    paused = re.compile(r"^paused \(no run advances\): step (\d+) of 400")
    page.get_by_text(paused).wait_for(timeout=30_000)
    step = int(paused.search(status.inner_text()).group(1))
    page.wait_for_timeout(1500)
    assert paused.search(status.inner_text()).group(1) == str(step), status.inner_text()
    charts_at(page, step)
    page.get_by_role("button", name="Step").click()
    page.get_by_text(re.compile(rf"^paused \(no run advances\): step {step + 1} of 400")
                     ).wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    assert status.inner_text().startswith(f"paused (no run advances): step {step + 1} of"), (
        status.inner_text())
    charts_at(page, step + 1)


#: The last step drawn by every structure's mean line on every chart of the page.
LAST_DRAWN_STEPS = """() => Array.from(document.querySelectorAll('.firmsim-chart')).map((e) => {
  const option = e.__vue__.chart.getOption();
  return option.series.filter((s) => s.type === 'line').map(
    (s) => s.data.length ? s.data[s.data.length - 1][0] : -1);
}).flat()"""


def charts_at(page, step: int) -> None:
    """Every chart draws every structure up to the step the status shows (``step`` steps
    done: the last point is step ``step - 1``)."""
    from simulation.ui.charts import CHARTS

    try:
        page.wait_for_function(f"""() => {{ const last = ({LAST_DRAWN_STEPS})();
            return last.length === {len(CHARTS) * 3} && last.every((x) => x === {step - 1});
            }}""", timeout=15_000)
    except sync_api.TimeoutError:
        drawn = page.evaluate(LAST_DRAWN_STEPS)
        pytest.fail(f"the status says step {step}; the charts' last steps are {drawn}")


def test_a_compete_link_opens_the_compete_tab_with_its_market(browser, server):
    """A Compete page's address (``?compete=<code>``) opened in a new tab lands on the
    Compete tab by itself, its form filled with the linked firms and market."""
    from simulation.ui.compete_page import PARAMETER, encode_inputs

    inputs = {"count": 3, "structures": ["network", "open", "hierarchy", "podular"],
              "sizes": [150, 120, 90, 200], "enters": [0, 40, 0, 0], "customers": 2500,
              "steps": 150, "replicates": 4, "turbulence": 0.05, "crisis": "open",
              "crisis_step": 60}
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    try:
        page.goto(f"{server['url']}?{PARAMETER}={encode_inputs(inputs)}")
        sync_api.expect(page.get_by_role("tab", name="Compete")).to_have_attribute(
            "aria-selected", "true", timeout=60_000)
        # Only the open tab is drawn: these are the Compete page's fields (Compare's
        # customers and steps would read the demo's 20000 and 300).
        sync_api.expect(page.get_by_label("customers", exact=True)).to_have_value(
            "2500", timeout=30_000)
        sync_api.expect(page.get_by_label("steps", exact=True)).to_have_value("150")
        sync_api.expect(page.get_by_label("crisis at step", exact=True)).to_have_value("60")
        employees = page.get_by_label("employees", exact=True)
        sync_api.expect(employees).to_have_count(3)
        for k, size in enumerate(inputs["sizes"][:3]):
            sync_api.expect(employees.nth(k)).to_have_value(str(size))
        entering = page.get_by_label("enters at step", exact=True)
        for k, step in enumerate(inputs["enters"][:3]):
            sync_api.expect(entering.nth(k)).to_have_value(str(step))
        selections = page.locator(".v-select__selection")
        sync_api.expect(selections).to_have_text(["network", "open", "hierarchy", "open"])
        for text in ("firms: 3", "replicates: 4",
                     "turbulence (share of needs redrawn a step): 0.05"):
            page.get_by_text(text, exact=True).wait_for(timeout=10_000)
        sync_api.expect(page.get_by_role("tab", name="Compete")).to_have_attribute(
            "aria-selected", "true")
        page.screenshot(path=str(SCREENSHOTS / "compete-link.png"), full_page=True)
    finally:
        context.close()
