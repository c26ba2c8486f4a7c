"""A classroom session without a browser: a client of the app's own websocket protocol.

The benchmark ``bench_ui_classroom.py`` runs most of its sessions with this client (a
headless Chromium per student would starve a 2-core server: its drawing, not the server's
work, would be measured). One *protocol session* does on the server everything a browser
tab does, through the same doors:

- ``GET /?code=...`` (the access code form), then ``GET /`` with the cookie (the page's HTML,
  and Solara's session cookie);
- opens the page's websocket (``/jupyter/api/kernels/<kernel>/channels``) as Solara's
  frontend does, with a new kernel and page id: the server creates a virtual kernel for it;
- asks the ``solara.control`` comm to run the app (the server renders the real page in that
  kernel and sends every widget: ``comm_open`` and ``update`` messages);
- keeps every widget's state from those messages (as the browser's widget manager does),
  finds the Run button by its class and sends it the click event the browser sends
  (``{"method": "custom", "content": {"event": "click"}}``); confirms "Run anyway" if the
  page asks; optionally types a seed into the seed field first (an ``update`` of its
  ``v_model``, as the browser sends when a user types);
- reads the status line's widget until it says ``finished`` (or ``error``/``stopped``).

What it does not do: fetch the page's scripts and styles (static files), send the
frontend's housekeeping messages (kernel info, app status), or draw anything (the charts'
options are received and parsed, not drawn). The server's work for the page itself (the
virtual kernel, every render, every widget message) is the same as for a browser tab.

Run by the benchmark as a subprocess: ``python classroom_client.py URL CODE N [--seeds ...]``;
it prints ``ready`` once all ``N`` sessions show the Run button, waits for a line ``go`` on
standard input, presses Run on all at once and prints one JSON line per session.
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import json
import sys
import time
import urllib.request
import uuid

import websockets
from solara.server.kernel import deserialize_binary_message


def _cookies(url: str, code: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{url}?code={code}", timeout=600) as response:  # 303 -> the page
        response.read()
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def _message(kind: str, content: dict, session: str) -> str:
    return json.dumps({
        "header": {"msg_id": uuid.uuid4().hex, "msg_type": kind, "session": session,
                   "username": "", "date": "", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "content": content, "channel": "shell",
        "buffers": []})


class Session:
    """One student: a page of the app driven over its websocket."""

    def __init__(self, url: str, code: str, seed: int | None = None):
        self.url, self.code, self.seed = url, code, seed
        self.page = str(uuid.uuid4())
        self.widgets: dict[str, dict] = {}
        self.result: dict = {}
        self.ws = None
        self.received_bytes = 0

    # -------------------------------------------------------------- widgets
    def _find(self, css: str) -> list[str]:
        return [key for key, state in self.widgets.items()
                if css in str(state.get("class_") or "").split()]

    def _text(self, css: str) -> str | None:
        for key in self._find(css):
            children = self.widgets[key].get("children") or []
            if children and isinstance(children[0], str):
                return children[0]
        return None

    def _button(self, label: str) -> str | None:
        for key, state in self.widgets.items():
            if state.get("_model_name") == "BtnModel" and label in (state.get("children") or []):
                return key
        return None

    def _field(self, label: str) -> str | None:
        for key, state in self.widgets.items():
            if state.get("_model_name") == "TextFieldModel" and state.get("label") == label:
                return key
        return None

    async def _receive(self) -> dict:
        raw = await self.ws.recv()
        self.received_bytes += len(raw)
        message = json.loads(raw) if isinstance(raw, str) else deserialize_binary_message(raw)
        kind, content = message["header"]["msg_type"], message.get("content", {})
        if kind == "comm_open":
            self.widgets[content["comm_id"]] = dict(content.get("data", {}).get("state", {}))
        elif kind == "comm_msg" and content.get("comm_id") in self.widgets:
            data = content.get("data", {})
            if data.get("method") in ("update", "echo_update"):
                self.widgets[content["comm_id"]].update(data.get("state") or {})
        elif kind == "comm_close":
            self.widgets.pop(content.get("comm_id"), None)
        elif kind == "error":
            self.result.setdefault("protocol_errors", []).append(str(content)[:200])
        return message

    async def _send(self, kind: str, content: dict) -> None:
        await self.ws.send(_message(kind, content, self.page))

    async def _event(self, widget: str, event: str) -> None:
        await self._send("comm_msg", {"comm_id": widget, "data": {
            "method": "custom", "content": {"event": event, "data": {}}}})

    # -------------------------------------------------------------- a session
    async def open(self, timeout: float) -> None:
        cookie = await asyncio.to_thread(_cookies, self.url, self.code)
        kernel = str(uuid.uuid4())
        address = (self.url.replace("http://", "ws://", 1)
                   + f"jupyter/api/kernels/{kernel}/channels?session_id={self.page}")
        self.ws = await websockets.connect(address, additional_headers={"Cookie": cookie},
                                           max_size=None, open_timeout=timeout)
        control = uuid.uuid4().hex
        await self._send("comm_open", {"comm_id": control, "target_name": "solara.control",
                                       "data": {}})
        await self._send("comm_msg", {"comm_id": control, "data": {
            "method": "run", "args": {"path": "", "appName": None}}})
        async with asyncio.timeout(timeout):
            while True:
                message = await self._receive()
                data = message.get("content", {}).get("data", {})
                if data.get("method") == "finished" and self._find("firmsim-run"):
                    break
        if self.seed is not None:
            field = self._field("seed")
            if field is None:
                raise RuntimeError("no seed field on the page")
            await self._send("comm_msg", {"comm_id": field, "data": {
                "method": "update", "state": {"v_model": str(self.seed)}, "buffer_paths": []}})
        self.result["estimate"] = self._text("firmsim-estimate")

    async def run(self, timeout: float) -> None:
        started = time.perf_counter()
        await self._event(self._find("firmsim-run")[0], "click")
        places = []
        try:
            async with asyncio.timeout(timeout):
                while True:
                    await self._receive()
                    confirm = self._button("Run anyway")
                    if confirm is not None and not self.result.get("confirmed"):
                        self.result["confirmed"] = True
                        await self._event(confirm, "click")
                    status = self._text("firmsim-status") or ""
                    place = status.split(";")[0]
                    if status.startswith("queued") and (not places or places[-1] != place):
                        places.append(place)
                    if status.startswith(("finished", "error", "stopped")):
                        break
            self.result["seconds"] = time.perf_counter() - started
            self.result["status"] = status.split(":")[0]
            if status.startswith("error") or self._find("firmsim-error"):
                self.result["page_error"] = status
        except TimeoutError:
            self.result["failure"] = f"not finished in {timeout:.0f} s: {status!r}"
        self.result["queue"] = places
        self.result["received_mb"] = self.received_bytes / 1e6

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


async def main_async(args) -> None:
    seeds = args.seeds or [None] * args.sessions
    sessions = [Session(args.url, args.code, seeds[i % len(seeds)])
                for i in range(args.sessions)]

    async def open_one(session):
        try:
            await session.open(args.timeout)
        except Exception as error:  # noqa: BLE001 - reported per session
            session.result["failure"] = f"open: {type(error).__name__}: {error}"

    # Students arrive over a few seconds, not in the same millisecond.
    await asyncio.gather(*(_delayed(0.2 * i, open_one(s)) for i, s in enumerate(sessions)))
    print("ready", sum("failure" not in s.result for s in sessions), flush=True)
    await asyncio.to_thread(sys.stdin.readline)

    async def run_one(session):
        if "failure" in session.result:
            return
        try:
            await session.run(args.timeout)
        except Exception as error:  # noqa: BLE001 - reported per session
            session.result["failure"] = f"run: {type(error).__name__}: {error}"

    await asyncio.gather(*(run_one(s) for s in sessions))
    for session in sessions:
        print(json.dumps({"kind": "protocol", "seed": session.seed, **session.result}),
              flush=True)
    await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)


async def _delayed(delay: float, awaitable):
    await asyncio.sleep(delay)
    return await awaitable


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("code")
    parser.add_argument("sessions", type=int)
    parser.add_argument("--seeds", type=int, nargs="*", default=None,
                        help="seeds typed in the sessions' seed fields (one per session, "
                             "cycled): different comparisons")
    parser.add_argument("--timeout", type=float, default=600.0)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
