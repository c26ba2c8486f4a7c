"""The classroom server: the app behind an access code.

``firmsim ui --host 0.0.0.0 --classroom`` prints a short access code when it starts. Every
request (pages, scripts, the live connection) needs it: without it the server answers with a
one-field form and nothing of the app; the right code sets a cookie (a keyed hash of the
code, never the code itself) and opens the page; wrong codes are rate limited per address
(:data:`ATTEMPTS` per :data:`WINDOW_SECONDS`, then a wait, said in one line on the page).

At start the server computes the comparison the page opens with (:func:`prepare_opening`),
so that a class pressing Run on it is served from the cache of finished runs.

Run as ``python -m simulation.ui.classroom run <app> [solara run options]``: it adds
:class:`AccessCode` in front of Solara's server (the code comes from the environment variable
:data:`CODE_VARIABLE`) and then runs Solara's own command line.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import os
import secrets
import sys
import threading
import time
from collections import deque
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

#: Environment variable holding the access code (set by ``firmsim ui --classroom``).
CODE_VARIABLE = "FIRMSIM_UI_ACCESS_CODE"
#: Set to 0 to skip computing the opening comparison at start (:func:`prepare_opening`).
PREPARE_VARIABLE = "FIRMSIM_CLASSROOM_PREPARE"
#: Letters and digits of a code (no 0/o, 1/l/i: read aloud or from a board without doubt).
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_LENGTH = 6
COOKIE = "firmsim_access"
#: Wrong codes allowed from one address within the window before it must wait.
ATTEMPTS = 5
WINDOW_SECONDS = 60.0


def new_code(length: int = CODE_LENGTH) -> str:
    """A random access code (``secrets``: 31**6, about 8.9e8 codes)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def cookie_value(code: str) -> str:
    """What the browser keeps once the code was right: a keyed hash of the code."""
    return hmac.new(code.encode(), b"firmsim classroom access", hashlib.sha256).hexdigest()


class RateLimit:
    """Wrong codes per address: at most ``attempts`` within ``window`` seconds."""

    def __init__(self, attempts: int = ATTEMPTS, window: float = WINDOW_SECONDS,
                 clock=time.monotonic):
        self.attempts, self.window, self.clock = attempts, window, clock
        self._failures: dict[str, deque] = {}
        self._lock = threading.Lock()

    def wait(self, address: str) -> float:
        """Seconds ``address`` must wait before trying again (0: it may try now)."""
        with self._lock:
            failures = self._recent(address)
            if len(failures) < self.attempts:
                return 0.0
            return max(0.0, failures[0] + self.window - self.clock())

    def failed(self, address: str) -> int:
        """Record a wrong code from ``address``; returns the tries it has left."""
        with self._lock:
            failures = self._recent(address)
            failures.append(self.clock())
            if len(self._failures) > 10_000:  # bounded memory under a scan of addresses
                for other in [a for a, f in self._failures.items() if not f][:5_000]:
                    del self._failures[other]
            return max(0, self.attempts - len(failures))

    def _recent(self, address: str) -> deque:
        failures = self._failures.setdefault(address, deque())
        now = self.clock()
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures


def _page(message: str, query: dict[str, str]) -> bytes:
    hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in query.items() if k != "code")
    line = f'<p class="firmsim-access-message" role="alert">{html.escape(message)}</p>' \
        if message else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>firmsim classroom</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 30em; margin: 4em auto">
<h1 style="font-size: 1.3em">firmsim classroom</h1>
<form method="get">
<label for="code">Access code (your teacher has it)</label><br>
<input id="code" name="code" autocomplete="off" autofocus required
 style="font-size: 1.2em; margin: 0.5em 0">
{hidden}
<button type="submit">Enter</button>
</form>
{line}
</body></html>""".encode()


class AccessCode:
    """ASGI middleware: no access code, no page.

    Parameters
    ----------
    app : ASGI application
        The app behind the code (Solara's server).
    code : str
        The access code.
    limit : RateLimit, optional
        Wrong codes per address (default: :data:`ATTEMPTS` per :data:`WINDOW_SECONDS`).
    """

    def __init__(self, app, code: str, limit: RateLimit | None = None):
        if not code:
            raise ValueError("an access code is required")
        self.app = app
        self.code = code
        self.cookie = cookie_value(code)
        self.limit = limit or RateLimit()

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        if self._admitted(scope):
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # policy violation
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        address = (scope.get("client") or ("unknown", 0))[0]
        wait = self.limit.wait(address)
        if wait > 0:
            return await self._respond(send, 429, _page(
                f"Too many wrong codes from this address: try again in {wait:.0f} s.", query),
                [(b"retry-after", str(int(wait) + 1).encode())])
        given = query.get("code")
        if given is None:
            return await self._respond(send, 401, _page("", query))
        if hmac.compare_digest(given.strip().lower().encode(), self.code.lower().encode()):
            rest = {k: v for k, v in query.items() if k != "code"}
            location = scope.get("root_path", "") + scope["path"] + (
                f"?{urlencode(rest)}" if rest else "")
            cookie = f"{COOKIE}={self.cookie}; Path=/; HttpOnly; SameSite=Lax"
            return await self._respond(send, 303, b"", [(b"location", location.encode()),
                                                        (b"set-cookie", cookie.encode())])
        left = self.limit.failed(address)
        if left == 0:
            return await self._respond(send, 429, _page(
                f"Wrong code; too many wrong codes from this address: try again in "
                f"{self.limit.wait(address):.0f} s.", query))
        return await self._respond(send, 401, _page(
            f"Wrong code ({left} {'try' if left == 1 else 'tries'} left before a wait of "
            f"{self.limit.window:.0f} s).", query))

    def _admitted(self, scope) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                jar = SimpleCookie()
                try:
                    jar.load(value.decode("latin-1"))
                except Exception:  # noqa: BLE001 - a malformed cookie header: not admitted
                    continue
                if COOKIE in jar and hmac.compare_digest(jar[COOKIE].value, self.cookie):
                    return True
        return False

    @staticmethod
    async def _respond(send, status: int, body: bytes, headers=()) -> None:
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                (b"content-length", str(len(body)).encode()),
                                (b"cache-control", b"no-store"), *headers]})
        await send({"type": "http.response.body", "body": body})


def prepare_opening(wait_for_app: float = 120.0) -> None:
    """Compute the comparison the page opens with (the preset as the editor loads it, Run at
    full speed) into the server's cache of finished runs, while the class arrives: the first
    student to press Run, and every one after, is then served from the cache instead of
    waiting for the whole comparison. Prints one line when it is ready (or why not).

    The runs are the ones a session's Run computes (same configuration, structures, seeds,
    replicates and shares: :func:`simulation.ui.cache.run_key`); a session pressing Run while
    they compute follows them (:class:`simulation.ui.runner.WorkerPool`).
    """
    deadline = time.monotonic() + wait_for_app
    while "simulation.ui.app" not in sys.modules and time.monotonic() < deadline:
        time.sleep(0.2)  # Solara imports the app (and starts the pool's workers) first
    try:
        from simulation.ui import state
        from simulation.ui.compare import _speed_value
        from simulation.ui.form import validate_form
        from simulation.ui.runner import ComparisonRun

        form, _ = state.load_form(state.DEFAULT_SCENARIO)
        checked = validate_form(form)
        if not checked.ok:
            print("firmsim ui: classroom: the opening scenario is not valid; nothing "
                  "prepared", flush=True)
            return
        scenario = checked.scenario
        began = time.perf_counter()
        run = ComparisonRun(scenario.model_config_only(), list(form.structures),
                            seed=scenario.seed, metric=scenario.resilience_metric,
                            steps_per_second=_speed_value("max"),
                            replicates=scenario.replicates).start()
        run.wait()
        snapshot = run.snapshot()
        if snapshot.state != "finished" or snapshot.error:
            print(f"firmsim ui: classroom: preparing the opening comparison failed "
                  f"({snapshot.error or snapshot.state})", flush=True)
            return
        runs = len(form.structures) * scenario.replicates
        print(f"firmsim ui: classroom: the opening comparison ({scenario.name}, {runs} runs) "
              f"is ready in the server's cache ({time.perf_counter() - began:.0f} s)",
              flush=True)
    except Exception as error:  # noqa: BLE001 - the class can still compute it themselves
        print(f"firmsim ui: classroom: preparing the opening comparison failed ({error})",
              flush=True)


def main() -> None:
    """``python -m simulation.ui.classroom run <app> [options]``: Solara's ``run`` with
    :class:`AccessCode` in front."""
    import faulthandler
    import signal

    # ``kill -USR1 <server>`` prints every thread's stack (a server a class depends on must
    # be diagnosable where it runs).
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    code = os.environ.get(CODE_VARIABLE, "")
    if not code:
        sys.exit(f"{CODE_VARIABLE} is not set: the classroom server needs an access code")
    arguments = sys.argv[1:]
    # Solara reads the app from the environment when its server module is imported.
    os.environ["SOLARA_APP"] = arguments[1]
    import solara.server.starlette as server

    server.app.add_middleware(AccessCode, code=code)
    if os.environ.get(PREPARE_VARIABLE, "1") != "0":
        threading.Thread(target=prepare_opening, daemon=True,
                         name="firmsim-classroom-prepare").start()
    from solara.__main__ import main as solara_main

    sys.argv = ["solara", *arguments]
    solara_main()


if __name__ == "__main__":
    main()
