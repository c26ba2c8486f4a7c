"""The classroom server: one worker pool and one cache of finished runs for every session
(identical requests compute once), and the access code (no code, no page; wrong codes rate
limited)."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from simulation.config.schema import config_from_flat
from simulation.ui.cache import run_key
from simulation.ui.runner import ComparisonRun, WorkerPool

SMALL = {"customers": 1_000, "employees": 40, "steps": 30,
         "shocks": [{"kind": "need_shift", "step": 15, "strength": 0.6}]}
STRUCTURES = ["hierarchy", "network"]


def comparison(pool, seed=4, **kwargs):
    config = config_from_flat(None, **{**SMALL, **kwargs.pop("size", {})})
    return ComparisonRun(config, STRUCTURES, seed=seed, replicates=2, pool=pool, workers=1,
                         **kwargs).start()


def test_the_cache_key_changes_with_configuration_structure_seed_and_code():
    config = config_from_flat(None, **SMALL)
    key = run_key(config, "network", 11, version="a")
    assert key == run_key(config_from_flat(None, **SMALL), "network", 11, version="a")
    assert key != run_key(config_from_flat(None, **{**SMALL, "customers": 1_001}), "network",
                          11, version="a")
    deeper = config.model_copy(update={"firm": config.firm.model_copy(
        update={"capacity": config.firm.capacity + 1})})
    assert key != run_key(deeper, "network", 11, version="a")
    assert key != run_key(config, "hierarchy", 11, version="a")
    assert key != run_key(config, "network", 12, version="a")
    from simulation.config.seeds import run_seed

    assert run_key(config, "network", run_seed(11, 0), version="a") != run_key(
        config, "network", run_seed(11, 1), version="a")
    assert run_key(config, "network", run_seed(11, 0), version="a") == run_key(
        config, "network", run_seed(11, 0), version="a")
    assert key != run_key(config, "network", 11, version="b")
    # The default version is the code's (a hash of the package's source files).
    assert run_key(config, "network", 11) == run_key(config, "network", 11)
    assert run_key(config, "network", 11) != key


def test_the_cache_key_changes_with_a_plugins_code(tmp_path):
    """A rule registered from outside the package (a plugin) is part of the code version."""
    import importlib.util

    from simulation import registry

    config = config_from_flat(None, **SMALL)
    before = run_key(config, "network", 11)
    source = tmp_path / "cache_plugin.py"
    source.write_text("from simulation.core.structures import build_flat_network\n"
                      "def builder(config, rng):\n    return build_flat_network(config, rng)\n")
    spec = importlib.util.spec_from_file_location("cache_plugin", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    registry.register_structure("cache_test_structure", module.builder,
                                description="a test plugin", senses="", decides="",
                                tops_decide=False, decision_order=None)
    try:
        with_plugin = run_key(config, "network", 11)
        assert with_plugin != before
        source.write_text(source.read_text() + "# edited\n")
        assert run_key(config, "network", 11) != with_plugin
    finally:
        registry.unregister("structure", "cache_test_structure")
    assert run_key(config, "network", 11) == before


def test_identical_requests_compute_once_and_a_finished_one_comes_from_the_cache():
    """Thirty students, one comparison: the second identical request follows the worker
    computing the first (not queued behind it), a third after both finished is served from
    the cache without a worker; every one gets the same numbers as a run computed alone; a
    different seed computes."""
    pool = WorkerPool(size=1)
    try:
        first, second = comparison(pool), comparison(pool)
        assert second.snapshot().state != "queued"  # following, not waiting its turn
        assert first.wait(120) and second.wait(120)
        runs = len(STRUCTURES) * 2
        assert pool.computed_runs == runs
        alone = comparison(WorkerPool(size=1), seed=4)
        try:
            assert alone.wait(120)
        finally:
            alone._pool.shutdown()
        expected = alone.snapshot().long_table()
        for run in (first, second):
            assert run.snapshot().state == "finished" and run.snapshot().error is None
            pd.testing.assert_frame_equal(run.snapshot().long_table(), expected)
        started = time.perf_counter()
        third = comparison(pool)
        assert third.wait(5) and time.perf_counter() - started < 2
        pd.testing.assert_frame_equal(third.snapshot().long_table(), expected)
        assert pool.computed_runs == runs and pool.cache.hits == runs
        other = comparison(pool, seed=5)
        assert other.wait(120)
        assert pool.computed_runs == 2 * runs
    finally:
        pool.shutdown()


def test_an_owner_that_leaves_hands_the_work_to_its_follower_and_a_follower_that_pauses_leaves():
    """A closed tab frees its work without failing the sessions that follow it; a follower
    that pauses is recomputed alone to the step it showed and pauses there, with the
    others' numbers."""
    pool = WorkerPool(size=1)
    try:
        size = {"steps": 300}
        owner = comparison(pool, size=size)
        follower, pausing = comparison(pool, size=size), comparison(pool, size=size)
        deadline = time.time() + 120
        while min(follower.snapshot().done.values(), default=0) < 20 and time.time() < deadline:
            time.sleep(0.05)
        owner.stop()
        assert owner.finished and owner.snapshot().state == "stopped"
        pausing.pause()
        assert follower.wait(120)
        assert follower.snapshot().state == "finished" and follower.snapshot().error is None
        deadline = time.time() + 120
        while pausing.snapshot().state != "paused" and time.time() < deadline:
            time.sleep(0.05)
        snapshot = pausing.snapshot()
        assert snapshot.state == "paused" and len(set(snapshot.done.values())) == 1
        shown = next(iter(snapshot.done.values()))
        assert 20 <= shown < 300
        pd.testing.assert_frame_equal(
            snapshot.long_table(),
            follower.snapshot().long_table().groupby(["structure", "replicate"]).head(shown)
            .reset_index(drop=True))
        # One computation for the owner and follower, one for the one that paused. The
        # paused share is queued for its recomputation and shows its step at once; the
        # worker takes it up when the follower's work ends, a moment later under load.
        deadline = time.time() + 120
        while pool.computed_runs < 2 * len(STRUCTURES) * 2 and time.time() < deadline:
            time.sleep(0.05)
        assert pool.computed_runs == 2 * len(STRUCTURES) * 2
        pausing.stop()
    finally:
        pool.shutdown()


@pytest.mark.parametrize("case", ["cached", "followed"])
def test_only_full_speed_play_is_shared(case):
    """A comparison started paused or slowed down computes for itself (it is stepped or
    watched), even when an identical one is cached or being computed."""
    pool = WorkerPool(size=2)
    try:
        first = comparison(pool)
        if case == "cached":
            assert first.wait(120)
        slow = comparison(pool, steps_per_second=40)
        paused = comparison(pool, playing=False)
        assert slow.wait(120)
        paused.play()
        assert paused.wait(120) and first.wait(120)
        assert pool.computed_runs == 3 * len(STRUCTURES) * 2
    finally:
        pool.shutdown()


# ------------------------------------------------------------------ the access code
def test_the_opening_comparison_prepared_at_start_serves_the_first_run(monkeypatch):
    """``firmsim ui --classroom`` computes the comparison the page opens with at start: a
    session pressing Run on the preset as loaded then computes nothing (served from the
    cache, same numbers as a comparison computed alone); one that changes the seed
    computes."""
    from simulation.ui import classroom, compare, runner, state

    monkeypatch.setenv("FIRMSIM_UI_SET", "customers.count=600,firm.employees=40,steps=30,"
                                         "shocks.0.step=15,replicates=2")
    pool = WorkerPool(size=1)
    monkeypatch.setattr(runner, "shared_pool", lambda: pool)
    try:
        classroom.prepare_opening(wait_for_app=0)
        prepared = pool.computed_runs
        form = state.load_form(state.DEFAULT_SCENARIO)[0]
        assert prepared == len(form.structures) * 2 and pool.cache.hits == 0
        state.form.set(form)
        state.run.set(None)
        compare.start_run(confirmed=True)
        run = state.run.value
        assert run.wait(5) and run.snapshot().state == "finished"
        assert pool.computed_runs == prepared and pool.cache.hits == prepared
        alone = ComparisonRun(run.config, run.structures, seed=run.seed, replicates=2,
                              pool=WorkerPool(size=1)).start()
        try:
            assert alone.wait(120)
        finally:
            alone._pool.shutdown()
        pd.testing.assert_frame_equal(run.snapshot().long_table(),
                                      alone.snapshot().long_table())
        state.form.set(form.with_value("seed", "12"))
        compare.start_run(confirmed=True)
        assert state.run.value.wait(120)
        assert pool.computed_runs == 2 * prepared
    finally:
        compare.reset_run()
        state.form.set(state.load_form(state.DEFAULT_SCENARIO)[0])
        pool.shutdown()


def test_a_waiting_comparison_is_told_each_new_place_in_the_queue():
    """Three different comparisons on a one-worker pool: the third waits with two ahead;
    when the first ends its version (what makes the page refresh its status line) changes
    and its snapshot says one ahead, then next."""
    pool = WorkerPool(size=1)
    try:
        # The second one is long: the third waits as "next" long enough to be seen.
        runs = [comparison(pool, seed=21), comparison(pool, seed=22, size={"steps": 300}),
                comparison(pool, seed=23)]
        third = runs[2]
        assert third.snapshot().queue == 1
        seen = {third.version()}
        assert runs[0].wait(120)
        deadline = time.time() + 60
        while third.snapshot().queue != 0:
            assert third.snapshot().state == "queued" and time.time() < deadline
            time.sleep(0.05)
        assert third.version() not in seen and third.version()[-1] == 0
        assert all(run.wait(120) for run in runs)
    finally:
        pool.shutdown()


def test_sessions_showing_the_same_numbers_compute_each_view_once():
    """Thirty sessions asking at once for the charts of the same numbers: one computes, the
    others wait for it and get the same view; other numbers (another key) compute again; a
    failed computation is not kept."""
    import threading

    from simulation.ui.cache import SharedViews

    views, calls, gate = SharedViews(), [], threading.Event()

    def compute(value):
        def work():
            calls.append(value)
            gate.wait(5)  # every session asks while the first still computes
            return {"view": value}
        return work

    got = [None] * 30
    threads = [threading.Thread(target=lambda i=i: got.__setitem__(
        i, views.get(("run", (300,), "charts"), compute("a")))) for i in range(30)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    gate.set()
    for thread in threads:
        thread.join(10)
    assert calls == ["a"]
    assert all(view is got[0] for view in got) and got[0] == {"view": "a"}
    assert (views.computed, views.shared) == (1, 29)
    assert views.get(("run", (299,), "charts"), compute("b")) == {"view": "b"}
    assert calls == ["a", "b"]

    def fails():
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        views.get(("run", (1,), "charts"), fails)
    assert views.get(("run", (1,), "charts"), compute("c")) == {"view": "c"}


def test_a_running_comparisons_views_are_shared_for_one_refresh_then_computed_again():
    """While the runs go on, sessions refreshing at their own moments (other steps each)
    share a view of the same comparison less than one refresh old; an older one is
    computed again, once."""
    import threading

    from simulation.ui.cache import SharedViews

    views, calls = SharedViews(), []

    def compute(step):
        def work():
            calls.append(step)
            time.sleep(0.2)  # the others ask meanwhile
            return step
        return work

    got = []
    threads = [threading.Thread(target=lambda s=s: got.append(
        views.recent(("run", "charts"), compute(s), max_age=1.0))) for s in range(10, 40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1 and got == [calls[0]] * 30
    assert views.recent(("other run", "charts"), compute(5), max_age=1.0) == 5
    time.sleep(1.1)
    assert views.recent(("run", "charts"), compute(77), max_age=1.0) == 77
    assert len(calls) == 3
    # Never a step the session has not reached: a view computed at steps (10, 10) is not
    # shown to a session at (5, 10) (a paused or slower one); it is to one at (12, 10).
    assert views.recent(("ahead", "charts"), compute(10), max_age=5.0, steps=(10, 10)) == 10
    assert views.recent(("ahead", "charts"), compute(5), max_age=5.0, steps=(5, 10)) == 5
    assert views.recent(("ahead", "charts"), compute(12), max_age=5.0, steps=(12, 10)) == 5
    assert len(calls) == 5


def test_identical_comparisons_have_one_content_key_and_any_difference_another():
    """The key under which sessions share what the page computes: the same for the same
    comparison asked twice, another for another seed, configuration, metric or number of
    replicates."""
    config = config_from_flat(None, **SMALL)

    def key(seed=4, replicates=2, metric="market_share", config=config):
        return ComparisonRun(config, STRUCTURES, seed=seed, replicates=replicates,
                             metric=metric, workers=2).content_key()

    assert key() == key()
    others = [key(seed=5), key(replicates=3), key(metric="fitness"),
              key(config=config_from_flat(None, **{**SMALL, "customers": 1_001}))]
    assert len({key(), *others}) == 5


def call(middleware, path="/", query="", cookie=None, kind="http", client="10.0.0.7"):
    """One request through the ASGI middleware; returns (status, headers, body) or, for a
    websocket, the first message sent."""
    import asyncio

    headers = [(b"cookie", cookie.encode())] if cookie else []
    scope = {"type": kind, "path": path, "query_string": query.encode(), "headers": headers,
             "client": (client, 5000), "root_path": ""}
    sent = []

    async def receive():
        return {"type": "http.request" if kind == "http" else "websocket.connect"}

    async def send(message):
        sent.append(message)

    asyncio.run(middleware(scope, receive, send))
    if kind == "websocket":
        return sent[0]
    start = sent[0]
    return start["status"], dict(start["headers"]), sent[1]["body"].decode()


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_no_code_no_page_and_the_right_code_opens_it():
    from simulation.ui.classroom import AccessCode

    reached = []

    async def app(scope, receive, send):
        reached.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"the app"})

    gate = AccessCode(app, "k7m2q9")
    for path in ("/", "/static/main.js", "/jupyter/api/kernels"):
        status, _, body = call(gate, path)
        assert status == 401 and "Access code" in body and "the app" not in body
    assert call(gate, "/jupyter/api/kernels/1/channels", kind="websocket") == {
        "type": "websocket.close", "code": 1008}
    assert reached == []
    status, headers, _ = call(gate, "/", "code=K7M2Q9&scenario=abc")  # case ignored
    assert status == 303 and headers[b"location"] == b"/?scenario=abc"
    cookie = headers[b"set-cookie"].decode().split(";")[0]
    assert "k7m2q9" not in cookie  # a keyed hash, never the code
    assert call(gate, "/", cookie=cookie)[2] == "the app"
    assert call(gate, "/", cookie="firmsim_access=forged")[0] == 401
    assert reached == ["/"]


def test_wrong_codes_are_rate_limited_per_address_in_one_line():
    from simulation.ui.classroom import AccessCode, RateLimit

    async def app(scope, receive, send):
        raise AssertionError("reached the app")

    clock = Clock()
    gate = AccessCode(app, "k7m2q9", RateLimit(attempts=5, window=60, clock=clock))
    for left in (4, 3, 2, 1):
        status, _, body = call(gate, "/", "code=wrong")
        assert status == 401 and f"Wrong code ({left} tr" in body
    status, _, body = call(gate, "/", "code=wrong")
    assert status == 429 and "try again in 60 s" in body
    assert body.count('class="firmsim-access-message"') == 1
    # Locked: even the right code waits; another address does not.
    clock.now += 30
    status, headers, body = call(gate, "/", "code=k7m2q9")
    assert status == 429 and "try again in 30 s" in body and headers[b"retry-after"] == b"31"
    assert call(gate, "/", "code=k7m2q9", client="10.0.0.8")[0] == 303
    clock.now += 31
    assert call(gate, "/", "code=k7m2q9")[0] == 303


def test_firmsim_ui_classroom_prints_a_code_and_serves_nothing_without_it(tmp_path):
    """The real command: the code printed at start, the page only with it."""
    import http.client
    import os
    import re
    import subprocess
    import sys

    # A small opening comparison: the server computes it at start and says so.
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "FIRMSIM_UI_SET": "customers.count=600,"
           "firm.employees=40,steps=30,shocks.0.step=15,replicates=2"}
    process = subprocess.Popen([sys.executable, "-m", "simulation.commands.cli", "ui",
                                "--classroom", "--port", "0"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=env)
    try:
        line = process.stdout.readline()
        found = re.search(r"http://([\d.]+):(\d+)/ and type the access code ([a-z2-9]{6})",
                          line)
        assert found, line
        port, code = int(found.group(2)), found.group(3)

        def get(path, cookie=None):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            response = connection.getresponse()
            return response.status, response.getheader("set-cookie"), response.read().decode()

        deadline = time.time() + 90
        while True:
            try:
                status, _, body = get("/")
                break
            except OSError:
                assert process.poll() is None and time.time() < deadline, "no server"
                time.sleep(0.3)
        assert status == 401 and "Access code" in body and "solara" not in body.lower()
        status, _, body = get("/?code=" + ("x" if code[0] != "x" else "y") + code[1:])
        assert status == 401 and "Wrong code (4 tries left" in body
        status, cookie, _ = get("/?code=" + code)
        assert status == 303
        status, _, body = get("/", cookie.split(";")[0])
        assert status == 200 and "solara" in body.lower()
        ready = process.stdout.readline()  # (only warnings are logged before it)
        while "opening comparison" not in ready and ready:
            ready = process.stdout.readline()
        assert re.search(r"the opening comparison \(demo, 10 runs\) is ready", ready), ready
    finally:
        process.terminate()
        process.wait(20)
