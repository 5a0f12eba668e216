"""Supervise the long-running servers of the demo as child processes: refuse busy ports up front, start
each child in its own process group, wait until it answers on its port, and on Ctrl-C (SIGINT) or SIGTERM
stop every group — terminate, then kill after a timeout — so no server is left behind.

Plain Python (no Dagster): the children are ordinary commands, each with a port and a readiness check.
"""

from __future__ import annotations

import errno
import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


class PortBusyError(RuntimeError):
    """One or more ports a child needs are already taken by another program."""


class ChildFailedError(RuntimeError):
    """A child exited or did not answer on its port in time."""


@dataclass(frozen=True)
class ChildSpec:
    """One server to run: its command, where it listens, and how to tell it is ready.

    `ready_path` None means "accepts TCP connections" (e.g. SMTP); otherwise an HTTP GET of that path must
    answer with a status below 500 (a login page or a redirect still proves the server is up)."""

    name: str
    command: Sequence[str]
    port: int
    host: str = "127.0.0.1"
    ready_path: str | None = "/"
    url_path: str = "/"
    scheme: str = "http"
    ready_timeout: float = 90.0
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None

    @property
    def url(self) -> str:
        host = "localhost" if self.host in ("127.0.0.1", "0.0.0.0", "::") else self.host
        return f"{self.scheme}://{host}:{self.port}{self.url_path}"


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR mirrors what servers do, so a port in TIME_WAIT after a previous demo counts as free
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def _answers(spec: ChildSpec, timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection(
            (spec.host if spec.host != "0.0.0.0" else "127.0.0.1", spec.port), timeout=timeout
        ):
            pass
    except OSError:
        return False
    if spec.ready_path is None:
        return True
    connection = http.client.HTTPConnection(
        spec.host if spec.host != "0.0.0.0" else "127.0.0.1", spec.port, timeout=timeout
    )
    try:
        connection.request("GET", spec.ready_path)
        return connection.getresponse().status < 500
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


@dataclass
class RunningChild:
    spec: ChildSpec
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class Supervisor:
    """Start `specs` in order, each once the previous one is ready; stop them all in reverse order."""

    def __init__(
        self,
        specs: Sequence[ChildSpec],
        log_dir: Path,
        stop_timeout: float = 15.0,
        on_ready: Callable[[ChildSpec], None] | None = None,
    ):
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise ValueError(f"child names must be unique: {names}")
        self.specs = list(specs)
        self.log_dir = Path(log_dir)
        self.stop_timeout = stop_timeout
        self.on_ready = on_ready
        self.children: list[RunningChild] = []

    def check_ports(self) -> None:
        busy = [s for s in self.specs if not port_is_free(s.host, s.port)]
        if busy:
            details = "; ".join(f"{s.name} needs {s.host}:{s.port}" for s in busy)
            raise PortBusyError(
                f"port already in use — {details}. Stop the program using it or choose another "
                f"port (see --help for the port options and environment variables)."
            )

    def start(self) -> None:
        self.check_ports()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            for spec in self.specs:
                child = self._spawn(spec)
                self._wait_ready(child)
                if self.on_ready:
                    self.on_ready(spec)
        except BaseException:
            self.stop()
            raise

    def _spawn(self, spec: ChildSpec) -> RunningChild:
        log_path = self.log_dir / f"{spec.name}.log"
        env = {**os.environ, **spec.env}
        with log_path.open("ab") as log:
            # own session = own process group: one signal reaches the server and every process it forks
            process = subprocess.Popen(
                list(spec.command),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=spec.cwd,
                start_new_session=True,
            )
        child = RunningChild(spec=spec, process=process, log_path=log_path)
        self.children.append(child)  # registered at once, so a stop during start-up reaches it
        return child

    def _wait_ready(self, child: RunningChild) -> None:
        deadline = time.monotonic() + child.spec.ready_timeout
        while time.monotonic() < deadline:
            code = child.process.poll()
            if code is not None:
                raise ChildFailedError(
                    f"{child.spec.name} exited with code {code} before answering on port "
                    f"{child.spec.port}; last lines of {child.log_path}:\n{child.log_tail()}"
                )
            if _answers(child.spec):
                return
            time.sleep(0.25)
        raise ChildFailedError(
            f"{child.spec.name} did not answer on {child.spec.host}:{child.spec.port} within "
            f"{child.spec.ready_timeout:.0f} s; last lines of {child.log_path}:\n"
            f"{child.log_tail()}"
        )

    def exited(self) -> list[RunningChild]:
        return [c for c in self.children if c.process.poll() is not None]

    def stop(self) -> None:
        """Terminate every process group, wait, then kill what is left; safe to call twice."""
        for child in reversed(self.children):
            _signal_group(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for child in reversed(self.children):
            remaining = max(deadline - time.monotonic(), 0.1)
            try:
                child.process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                pass
        for child in reversed(self.children):
            # the leader may be gone while processes it forked still hold the group (and the port)
            if _group_alive(child.process.pid):
                _signal_group(child.process.pid, signal.SIGKILL)
            try:
                child.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        _wait_groups_gone([c.process.pid for c in self.children], timeout=5)
        self.children = []

    def __enter__(self) -> Supervisor:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_groups_gone(pgids: Sequence[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_group_alive(p) for p in pgids):
        time.sleep(0.05)


def descendants(pid: int | None = None) -> list[int]:
    """Every live process below `pid` (default: this one), children before grandchildren (Linux /proc)."""
    found: list[int] = []
    queue = [pid or os.getpid()]
    while queue:
        parent = queue.pop(0)
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.append(child)
                    queue.append(child)
    return found


def terminate_descendants(timeout: float = 10.0) -> None:
    """Stop the processes this process started itself (e.g. a run's worker pool) when it is interrupted:
    SIGTERM, then SIGKILL for those still alive after `timeout` seconds."""
    pids = descendants()
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() and not _is_zombie(p) for p in pids):
        time.sleep(0.1)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


class StopRequested(BaseException):
    """Raised in the main thread by the SIGINT/SIGTERM handler while supervising."""


def supervise(
    supervisor: Supervisor, *, poll_seconds: float = 0.5, on_started: Callable[[Supervisor], None] | None = None
) -> int:
    """Start every child, then block until SIGINT/SIGTERM (returns 0) or until a child dies on its own
    (returns 1); every child is stopped before returning, also when starting fails (the error propagates).

    The handlers are installed before the first child starts, so a Ctrl-C or a SIGTERM while a slow server
    boots still stops the ones already running; during the clean-up further signals are ignored so a second
    Ctrl-C cannot leave children behind. Previous handlers are restored on return."""

    def handler(signum, _frame):
        raise StopRequested(signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            supervisor.start()
            if on_started is not None:
                on_started(supervisor)
            while True:
                time.sleep(poll_seconds)
                dead = supervisor.exited()
                if dead:
                    for child in dead:
                        print(
                            f"{child.spec.name} stopped unexpectedly (exit code {child.process.returncode}); "
                            f"last lines of {child.log_path}:\n{child.log_tail()}",
                            flush=True,
                        )
                    return 1
        except StopRequested:
            return 0
    finally:
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        supervisor.stop()
        for sig, old in previous.items():
            signal.signal(sig, old)
