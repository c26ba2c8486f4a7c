"""A class on the classroom server: many sessions pressing Run at once.

Run: ``.venv/bin/python experiments/benchmarks/bench_ui_classroom.py [--sessions 30]
[--browsers 3] [--scenario demo] [--different] [--alone] [--cold]``

Starts ``firmsim ui --host 0.0.0.0 --classroom --port 0`` (the command a teacher types) and
reads the access code it prints. ``--sessions`` students then open the page with the code
and press Run at the same moment, on the preset as the page loads it (demo: 5 structures x 5
paired replicates, 20,000 customers, 300 steps), or with ``--different`` each on another
seed (a different comparison each). The server computes the opening comparison at start
(``firmsim ui --classroom`` does) and the sessions open once it says it is ready; with
``--cold`` it does not, and the first Run computes it. A *session* is one page of the app on
the server: its own cookie, Solara session and virtual kernel, the real page rendered and
refreshed by the server. ``--browsers`` of them are tabs of one headless Debian Chromium
(Playwright, each its own browser context); the others are protocol sessions
(``classroom_client.py``: the app's own websocket protocol, as a browser speaks it, without
drawing: 30 Chromium renderers on the 2 cores of the server would measure the renderers). A
session that is asked to confirm a run estimated above 60 s confirms it, as a student would
(counted in its time).

Prints per session the seconds from its click to "finished" in its status line (goal: every
one within 15 s), the places in the queue each was told, sessions that ended in an error or
did not finish; the server's memory (largest total PSS of the server's process tree:
``firmsim ui``, the Solara server, its fork server and workers; never the benchmark's own
processes or the browser) and its largest total RSS; where the CPU went from the clicks to
the last finish (the server's process tree, the protocol clients, the browser), the load
average (1 minute) before, highest during, after; and the server log's errors. ``--alone``
first times one session alone on a fresh server (the comparison itself at this load).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLIENT = Path(__file__).with_name("classroom_client.py")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
TICKS = os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    found, frontier = [pid], [pid]
    while frontier:
        parent = frontier.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found.append(child)
            frontier.append(child)
    return found


def memory(pids: list[int]) -> tuple[int, int]:
    """Total PSS and RSS of ``pids`` in bytes (shared pages: once in PSS, each time in RSS)."""
    pss = rss = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1]) * 1024
                elif line.startswith("Rss:"):
                    rss += int(line.split()[1]) * 1024
        except OSError:
            pass
    return pss, rss


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def _command(pid: int) -> str:
    try:
        parts = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return ""
    return " ".join(part.decode(errors="replace") for part in parts[1:])


class Watch:
    """Samples every 0.5 s: the server tree's memory, the CPU seconds of the server tree, of
    the protocol clients and of everything else the benchmark started (the browser), and
    the load average."""

    def __init__(self, server: int):
        self.server, self.client = server, None
        self.peak_pss = self.peak_rss = self.peak_processes = 0
        self.peak_load = 0.0
        self._cpu: dict[int, tuple[str, float, float]] = {}  # pid -> (group, first, last)
        self._stop = threading.Event()
        self._counting = False
        threading.Thread(target=self._loop, daemon=True).start()

    def count_cpu_from_now(self) -> None:
        self._cpu.clear()
        self._counting = True

    def stop(self) -> dict[str, float]:
        self._sample()
        self._stop.set()
        totals: dict[str, float] = {}
        for group, first, last in self._cpu.values():
            totals[group] = totals.get(group, 0.0) + last - first
        return totals

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            self._sample()

    def _sample(self) -> None:
        server = tree(self.server)
        pss, rss = memory(server)
        self.peak_pss, self.peak_rss = max(self.peak_pss, pss), max(self.peak_rss, rss)
        self.peak_processes = max(self.peak_processes, len(server))
        self.peak_load = max(self.peak_load, os.getloadavg()[0])
        if not self._counting:
            return
        client = set(tree(self.client)) if self.client else set()
        mine = set(tree(os.getpid())) - set(server) - client - {os.getpid()}
        web = {pid for pid in server if _command(pid).startswith("-m simulation.ui.classroom")}
        for group, pids in (("server: Solara process", web),
                            ("server: workers and the rest of its tree", set(server) - web),
                            ("protocol clients", client), ("browser", mine)):
            for pid in pids:
                seconds = cpu_seconds(pid)
                if seconds is None:
                    continue
                _, first, _ = self._cpu.get(pid, (group, seconds, seconds))
                self._cpu[pid] = (group, first, seconds)


async def browser_session(browser, url: str, code: str, go: asyncio.Event, result: dict,
                          timeout: float, seed: int | None) -> None:
    context = await browser.new_context(viewport={"width": 1300, "height": 1000})
    page = await context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        await page.goto(url, timeout=timeout * 1000)
        await page.get_by_label("Access code (your teacher has it)").fill(code)
        await page.get_by_role("button", name="Enter").click()
        run = page.get_by_role("button", name="Run", exact=True)
        await run.wait_for(timeout=timeout * 1000)
        if seed is not None:
            await page.get_by_label("seed", exact=True).fill(str(seed))
        estimate = page.locator(".firmsim-estimate")
        if await estimate.count():
            result["estimate"] = await estimate.first.inner_text()
        result["ready"] = True
        await go.wait()
        started = time.perf_counter()
        await run.click()
        status = page.locator(".firmsim-status")
        places: list[str] = []
        text = ""
        while time.perf_counter() - started < timeout:
            confirm = page.get_by_role("button", name="Run anyway")
            if not result.get("confirmed") and await confirm.count():
                result["confirmed"] = True
                with contextlib.suppress(Exception):  # re-drawn meanwhile: look again
                    await confirm.click(timeout=10_000)
            if await status.count():
                with contextlib.suppress(Exception):
                    text = await status.first.inner_text(timeout=5_000)
                place = text.split(";")[0]
                if text.startswith("queued") and (not places or places[-1] != place):
                    places.append(place)
                if text.startswith(("finished", "error", "stopped")):
                    break
            await asyncio.sleep(0.25)
        else:
            raise TimeoutError(f"not finished in {timeout:.0f} s: {text!r}")
        result["seconds"] = time.perf_counter() - started
        result["status"] = text.split(":")[0]
        result["queue"] = places
        if text.startswith("error") or await page.locator(".firmsim-error").count():
            result["page_error"] = text
    except Exception as error:  # noqa: BLE001 - reported per session
        result["failure"] = f"{type(error).__name__}: {str(error).splitlines()[0]}"
    finally:
        result["page_errors"] = errors
        await context.close()


async def drive(url: str, code: str, sessions: int, browsers: int, timeout: float,
                seeds: list[int] | None, watch: Watch, env: dict) -> tuple[list[dict], float]:
    """Open every session, press Run on all at once; (results, seconds from the clicks to
    the last session's end)."""
    from playwright.async_api import async_playwright

    protocol = sessions - browsers
    seeds_of = (lambda i: seeds[i % len(seeds)]) if seeds else (lambda i: None)
    client = None
    if protocol:
        command = [sys.executable, str(CLIENT), url, code, str(protocol),
                   "--timeout", str(timeout)]
        if seeds:
            command += ["--seeds", *map(str, [seeds_of(browsers + i) for i in range(protocol)])]
        client = await asyncio.create_subprocess_exec(
            *command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, limit=2**24)
        watch.client = client.pid
    results = [{"kind": "browser", "seed": seeds_of(i)} for i in range(browsers)]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM,
                                                   args=CHROMIUM_ARGS)
        go = asyncio.Event()
        tasks = [asyncio.create_task(browser_session(browser, url, code, go, result, timeout,
                                                     result["seed"]))
                 for result in results]
        ready = 0
        if client is not None:
            line = (await client.stdout.readline()).decode()
            ready = int(line.split()[1]) if line.startswith("ready") else 0
        deadline = time.perf_counter() + timeout
        while (sum("ready" in r or "failure" in r for r in results) < browsers
               and time.perf_counter() < deadline):
            await asyncio.sleep(0.2)
        ready += sum("ready" in r for r in results)
        print(f"{ready} of {sessions} sessions show the Run button (load "
              f"{os.getloadavg()[0]:.1f}); pressing Run on all", flush=True)
        watch.count_cpu_from_now()
        clicked = time.perf_counter()
        if client is not None:
            client.stdin.write(b"go\n")
            await client.stdin.drain()
        go.set()
        await asyncio.gather(*tasks)
        if client is not None:
            async for line in client.stdout:
                if line.startswith(b"{"):
                    results.append(json.loads(line))
            await client.wait()
        await browser.close()
    ended = max((r.get("seconds", 0.0) for r in results), default=0.0)
    return results, ended or time.perf_counter() - clicked


def wait_for_server(url: str, server: subprocess.Popen, timeout: float = 120.0) -> None:
    """Until the server answers (401: the access form)."""
    import urllib.error
    import urllib.request

    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if server.poll() is not None:
            sys.exit("the server exited")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"the server did not answer in {timeout:.0f} s")


def serve(args, sessions: int, browsers: int, seeds: list[int] | None) -> None:
    """One server, ``sessions`` sessions pressing Run together; prints what it measured."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    if args.set:
        env["FIRMSIM_UI_SET"] = args.set
    env["FIRMSIM_CLASSROOM_PREPARE"] = "0" if args.cold else "1"
    before = os.getloadavg()[0]
    server = subprocess.Popen([sys.executable, "-m", "simulation.commands.cli", "ui",
                               "--host", "0.0.0.0", "--classroom", "--port", "0",
                               "--scenario", args.scenario],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env=env, cwd=ROOT)
    log_lines: list[str] = []
    try:
        line = server.stdout.readline()
        found = re.search(r":(\d+)/ and type the access code (\w+)", line)
        if not found:
            sys.exit(f"unexpected first line: {line!r}")
        port, code = found.group(1), found.group(2)
        url = f"http://127.0.0.1:{port}/"
        log = open(args.log, "a")  # noqa: SIM115 - open while the server runs

        def keep(stream):
            for text in stream:
                log_lines.append(text)
                log.write(text)
                log.flush()

        threading.Thread(target=keep, args=(server.stdout,), daemon=True).start()
        watch = Watch(server.pid)
        wait_for_server(url, server)
        time.sleep(args.settle)  # the workers warm up and probe the machine's speed
        if not args.cold:  # the server computes the opening comparison first
            deadline = time.perf_counter() + args.timeout
            while not any("opening comparison" in text for text in log_lines):
                if time.perf_counter() > deadline or server.poll() is not None:
                    sys.exit("the server did not prepare the opening comparison")
                time.sleep(0.5)
            print(next(text for text in log_lines if "opening comparison" in text).strip(),
                  flush=True)
        results, wall = asyncio.run(drive(url, code, sessions, browsers, args.timeout, seeds,
                                          watch, env))
        cpu = watch.stop()
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
    report(args, sessions, browsers, seeds, results, wall, cpu, watch, before, log_lines)


def report(args, sessions, browsers, seeds, results, wall, cpu, watch, before, log_lines):
    finished = [r for r in results if r.get("status") == "finished" and not r.get("page_error")]
    times = sorted(r["seconds"] for r in finished)
    kind = f"{len(set(seeds))} different seeds" if seeds else "the same preset"
    kind += ", cold (computed on the first Run)" if args.cold else (
        ", warm (the server computed the opening comparison at start)")
    print(f"{sessions} sessions ({browsers} Chromium tabs, {sessions - browsers} protocol), "
          f"{args.scenario} on {kind}: {len(times)} finished without error")
    for label, group in (("browser", "browser"), ("protocol", "protocol")):
        mine = sorted(r["seconds"] for r in finished if r["kind"] == group)
        if mine:
            print(f"  {label} sessions, seconds from Run to finished: "
                  + ", ".join(f"{t:.1f}" for t in mine))
    if times:
        print(f"median {statistics.median(times):.1f} s, max {times[-1]:.1f} s; within 15 s: "
              f"{sum(t <= 15 for t in times)} of {sessions}")
    for result in results:
        if result not in finished:
            why = result.get("failure") or result.get("page_error") or result.get("status")
            print(f"  NOT finished ({result['kind']}): {why}")
    errors = sum(len(r.get("page_errors", [])) + len(r.get("protocol_errors", []))
                 for r in results)
    if seeds:
        told = [r for r in results if r.get("queue")]
        print(f"sessions told their place in the queue while waiting: {len(told)}; "
              "places seen: " + "; ".join(
                  f"seed {r['seed']}: {' > '.join(p.removeprefix('queued: ') for p in r['queue'])}"
                  for r in sorted(told, key=lambda r: r.get("seconds", 0))))
    confirmed = sum(bool(r.get("confirmed")) for r in results)
    shown = sorted({r["estimate"] for r in results if r.get("estimate")})
    print(f"estimate shown beside Run: {'; '.join(shown) or 'none'}; confirmed above 60 s: "
          f"{confirmed}")
    bad = [line.strip() for line in log_lines
           if re.search(r"Traceback|Error|error|cannot disconnect", line)
           and "samesite" not in line]
    print(f"page/protocol errors: {errors}; server log lines with an error: {len(bad)}")
    for line in bad[:5]:
        print(f"  {line[:160]}")
    print(f"server memory: largest PSS of its process tree {watch.peak_pss / 2**30:.2f} GB "
          f"(RSS {watch.peak_rss / 2**30:.2f} GB, up to {watch.peak_processes} processes)")
    print(f"CPU seconds from the clicks to the last finish ({wall:.1f} s, {os.cpu_count()} "
          f"cores): " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(cpu.items())))
    print(f"load average (1 min) before {before:.1f}, highest during {watch.peak_load:.1f}, "
          f"after {os.getloadavg()[0]:.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--browsers", type=int, default=3,
                        help="sessions that are Chromium tabs (the others: protocol sessions)")
    parser.add_argument("--scenario", default="demo")
    parser.add_argument("--different", action="store_true",
                        help="each session a different comparison (seeds 1001, 1002, ...)")
    parser.add_argument("--alone", action="store_true",
                        help="first one protocol session alone on its own server")
    parser.add_argument("--cold", action="store_true",
                        help="the server does not compute the opening comparison at start "
                             "(FIRMSIM_CLASSROOM_PREPARE=0): the first Run computes it")
    parser.add_argument("--set", default="",
                        help="FIRMSIM_UI_SET for the page's editor (smaller runs for a try)")
    parser.add_argument("--settle", type=float, default=10.0,
                        help="seconds between the server answering and the first page")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--log", default="/tmp/firmsim-classroom-server.log",
                        help="the server's output (kill -USR1 <server pid> adds its stacks)")
    args = parser.parse_args()
    Path(args.log).write_text("")
    print(f"load average before {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
          flush=True)
    seeds = list(range(1001, 1001 + args.sessions)) if args.different else None
    if args.alone:
        serve(args, 1, 0, seeds[:1] if seeds else None)
    serve(args, args.sessions, min(args.browsers, args.sessions), seeds)


if __name__ == "__main__":
    main()
