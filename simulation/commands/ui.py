"""``firmsim ui``: start the browser app and print the local address to open.

Runs ``solara run simulation.ui.app:Page`` (production mode, no telemetry, nothing loaded
from the internet) until interrupted with Ctrl-C.
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from simulation.errors import UserError

HELP = "start the browser app"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``firmsim ui``."""
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1, this machine only; "
                             "0.0.0.0 to serve a classroom network)")
    parser.add_argument("--port", type=int, default=8765,
                        help="port (default: 8765; 0 picks a free one)")
    parser.add_argument("--scenario", default=None,
                        help="preset scenario the compare page opens with (default: demo)")
    parser.add_argument("--single", action="store_true",
                        help="serve one firm under Mesa's SolaraViz instead of the compare app")
    parser.add_argument("--results-root", type=Path, default=Path("results"), metavar="DIR",
                        help="the Explore page reads results folders only below this folder "
                             "(default: results/ of the working directory)")
    parser.add_argument("--open", action="store_true",
                        help="also open the address in the default web browser")
    parser.add_argument("--classroom", action="store_true",
                        help="serve a class: print an access code at start; without it no "
                             "page is served, wrong codes are rate limited (use with "
                             "--host 0.0.0.0)")


def free_port(host: str = "127.0.0.1") -> int:
    """A free TCP port on ``host``, chosen by the operating system."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def server_command(host: str, port: int, open_browser: bool = False,
                   single: bool = False, classroom: bool = False) -> list[str]:
    """The command line that serves the app (``single``: the SolaraViz one-firm page;
    ``classroom``: behind the access code in the environment,
    :mod:`simulation.ui.classroom`)."""
    target = "simulation.ui.single:page" if single else "simulation.ui.app:Page"
    server = "simulation.ui.classroom" if classroom else "solara"
    return [sys.executable, "-m", server, "run", target, "--host", host,
            "--port", str(port), "--production", "--open" if open_browser else "--no-open",
            "--log-level", "warning",
            # Solara asks pypi.org for its latest version, synchronously: behind a firewall
            # that can hold the start for as long as the network takes to fail.
            "--no-check-version"]


def network_address() -> str | None:
    """This machine's address on its network (what students type), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("10.255.255.255", 1))  # no packet is sent (UDP, no data)
            return str(sock.getsockname()[0])
        except OSError:
            return None


def check_port(host: str, port: int) -> None:
    """Refuse, in one line, a port another program already listens on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as error:
            reason = "already in use" if error.errno == errno.EADDRINUSE else (
                error.strerror or str(error))
            raise UserError(f"--port={port}: cannot listen on {host}:{port} ({reason}); "
                            "choose another --port (0 picks a free one)") from None


def server_environment(scenario: str | None = None, results_root: Path | None = None,
                       access_code: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("FIRMSIM_UI_ACCESS_CODE", None)
    if access_code:
        env["FIRMSIM_UI_ACCESS_CODE"] = access_code
    if results_root is not None:
        env["FIRMSIM_RESULTS_ROOT"] = str(Path(results_root).expanduser().resolve())
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    # A closed tab says goodbye and its runs stop at once; a lost connection (a crashed
    # browser, a sleeping laptop) frees its kernel, runs and worker after this long.
    env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", "30s")
    if scenario:
        env["FIRMSIM_UI_SCENARIO"] = scenario
    return env


def run(args: argparse.Namespace) -> int:
    """Serve the app until interrupted; returns the server's exit status."""
    if not 0 <= args.port <= 65535:
        raise UserError(f"--port={args.port}: allowed values are 0 to 65535")
    if args.scenario:
        from simulation.config.scenario import load_scenario

        load_scenario(args.scenario)  # a ConfigError names the shipped scenarios
    root = args.results_root
    if root.exists() and not root.is_dir():
        raise UserError(f"--results-root={root}: not a folder")
    port = args.port or free_port(args.host if args.host != "0.0.0.0" else "127.0.0.1")
    check_port(args.host, port)
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    code = None
    if args.classroom:
        from simulation.ui.classroom import new_code

        code = new_code()
        if args.host in ("0.0.0.0", "::"):
            shown = network_address() or shown
        print(f"firmsim ui: classroom: students open http://{shown}:{port}/ and type the "
              f"access code {code} (Ctrl-C to stop)", flush=True)
    else:
        print(f"firmsim ui: open http://{shown}:{port}/ in a web browser (Ctrl-C to stop)",
              flush=True)
    from simulation.execution.processes import die_with_parent

    parent = os.getpid()
    # The server dies with this process, even if it is killed with SIGKILL.
    process = subprocess.Popen(server_command(args.host, port, args.open, args.single,
                                              classroom=args.classroom),
                               env=server_environment(args.scenario, root, code),
                               preexec_fn=lambda: die_with_parent(parent))

    def terminated(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        return process.wait()
    finally:  # Ctrl-C or SIGTERM: never leave the server behind
        signal.signal(signal.SIGTERM, previous)
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
