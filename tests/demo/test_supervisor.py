"""The demo's process supervisor: real child servers, real signals, and no process left behind."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from demo.processes import ChildFailedError, ChildSpec, PortBusyError, Supervisor, descendants, port_is_free
from stores.home import PROJECT_ROOT, Home
from tests.conftest import free_port

PY = sys.executable


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def http_server(name: str, port: int, *, prefix: str = "") -> ChildSpec:
    return ChildSpec(
        name, ["sh", "-c", f"{prefix}exec {PY} -m http.server {port} --bind 127.0.0.1"], port, ready_timeout=30
    )


def test_children_answer_then_stop_with_everything_they_forked(tmp_path):
    first, second = free_port(), free_port()
    specs = [
        # a server that forks a helper of its own: the helper must not outlive the demo
        http_server("forking", first, prefix="sleep 600 & "),
        http_server("plain", second),
    ]
    ready = []
    supervisor = Supervisor(specs, log_dir=tmp_path / "logs", stop_timeout=5, on_ready=lambda s: ready.append(s.name))
    with supervisor:
        assert ready == ["forking", "plain"]
        for port in (first, second):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                assert response.status == 200
        pids = [pid for child in supervisor.children for pid in [child.process.pid, *descendants(child.process.pid)]]
        assert len(pids) >= 3  # two servers and the forked sleep
        assert not port_is_free("127.0.0.1", first)
    assert [pid for pid in pids if alive(pid)] == []
    assert port_is_free("127.0.0.1", first) and port_is_free("127.0.0.1", second)
    assert (tmp_path / "logs" / "plain.log").exists()


def test_a_child_ignoring_sigterm_is_killed_after_the_timeout(tmp_path):
    port = free_port()
    stubborn = (
        "import signal, http.server; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"http.server.ThreadingHTTPServer(('127.0.0.1', {port}), http.server.SimpleHTTPRequestHandler)"
        ".serve_forever()"
    )
    supervisor = Supervisor([ChildSpec("stubborn", [PY, "-c", stubborn], port)], log_dir=tmp_path, stop_timeout=1)
    supervisor.start()
    pid = supervisor.children[0].process.pid
    started = time.monotonic()
    supervisor.stop()
    assert not alive(pid)
    assert time.monotonic() - started < 8


def test_a_busy_port_is_refused_before_anything_starts(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        busy = squatter.getsockname()[1]
        free = free_port()
        supervisor = Supervisor([http_server("first", free), http_server("dagster", busy)], log_dir=tmp_path / "logs")
        with pytest.raises(PortBusyError, match=rf"dagster needs 127\.0\.0\.1:{busy}"):
            supervisor.start()
    assert supervisor.children == [] and not (tmp_path / "logs").exists()
    assert port_is_free("127.0.0.1", free)


def test_a_child_that_dies_at_start_stops_the_others_and_says_why(tmp_path):
    ok_port = free_port()
    crashing = ChildSpec(
        "crashing", [PY, "-c", "import sys; print('cannot open the warehouse'); sys.exit(3)"], free_port()
    )
    supervisor = Supervisor([http_server("ok", ok_port), crashing], log_dir=tmp_path)
    with pytest.raises(ChildFailedError, match="exited with code 3") as failure:
        supervisor.start()
    assert "cannot open the warehouse" in str(failure.value)
    assert supervisor.children == []
    assert port_is_free("127.0.0.1", ok_port)


SUPERVISE_SCRIPT = """
import json, sys
from pathlib import Path
from demo.processes import ChildSpec, Supervisor, supervise
specs = [ChildSpec(**spec) for spec in json.loads(sys.argv[1])]
supervisor = Supervisor(specs, log_dir=Path(sys.argv[2]), stop_timeout=5)
def started(s):
    print("READY", flush=True)
sys.exit(supervise(supervisor, on_started=started))
"""


def run_supervised(
    tmp_path: Path, specs: list[dict], sig: int, ready_timeout: float = 90
) -> tuple[int, list[int], str]:
    """Run supervise() in its own process like `relance demo` does, signal it once ready; return its exit
    code, the pids it had started, and its output."""
    process = subprocess.Popen(
        [PY, "-c", SUPERVISE_SCRIPT, json.dumps(specs), str(tmp_path / "logs")],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + ready_timeout
        line = ""
        while time.monotonic() < deadline and "READY" not in line:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
        assert "READY" in line, (
            f"supervisor did not start: {line}{process.stdout.read() if process.poll() is not None else ''}"
        )
        started = descendants(process.pid)
        assert started
        process.send_signal(sig)
        code = process.wait(timeout=30)
        return code, started, process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_supervise_stops_children_and_exits_zero_on_a_signal(tmp_path, sig):
    port = free_port()
    specs = [
        {
            "name": "web",
            "command": ["sh", "-c", f"sleep 600 & exec {PY} -m http.server {port} --bind 127.0.0.1"],
            "port": port,
        }
    ]
    code, started, _ = run_supervised(tmp_path, specs, sig)
    assert code == 0
    assert [pid for pid in started if alive(pid)] == []
    assert port_is_free("127.0.0.1", port)


def test_supervise_exits_nonzero_when_a_child_dies_on_its_own(tmp_path):
    port = free_port()
    script = (
        f"import http.server, threading, time; s = http.server.HTTPServer(('127.0.0.1', {port}), "
        "http.server.SimpleHTTPRequestHandler); threading.Thread(target=s.serve_forever, daemon=True).start(); "
        "time.sleep(2); raise SystemExit(4)"
    )
    process = subprocess.run(
        [
            PY,
            "-c",
            SUPERVISE_SCRIPT,
            json.dumps([{"name": "flaky", "command": [PY, "-c", script], "port": port}]),
            str(tmp_path / "logs"),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 1
    assert "flaky stopped unexpectedly (exit code 4)" in process.stdout


@pytest.mark.slow
def test_streamlit_dashboard_placeholder_starts_answers_and_stops(tmp_path):
    placeholder = tmp_path / "placeholder_app.py"
    placeholder.write_text("import streamlit as st\nst.title('Relance placeholder')\n", encoding="utf-8")
    port = free_port()
    specs = [
        {
            "name": "dashboard",
            "port": port,
            "ready_path": "/_stcore/health",
            "ready_timeout": 90,
            "command": [
                PY,
                "-m",
                "streamlit",
                "run",
                str(placeholder),
                "--server.headless",
                "true",
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(port),
                "--browser.gatherUsageStats",
                "false",
            ],
        }
    ]
    code, started, _ = run_supervised(tmp_path, specs, signal.SIGINT)
    assert code == 0
    assert [pid for pid in started if alive(pid)] == []
    assert port_is_free("127.0.0.1", port)


def test_demo_wires_every_server_to_the_same_home_and_ports(tmp_path):
    from demo.commands.demo import demo_children, prepare_dagster_home

    home = Home(tmp_path / "home").ensure()
    ports = {"mail": 2525, "apportal": 2580, "portal": 2570, "dagster": 2530, "dashboard": 2501}
    specs, missing = demo_children(home, ports, "127.0.0.1", available={"mail", "portal"})
    assert [s.name for s in specs] == ["mail", "portal", "dagster", "dashboard"]
    assert missing == ["apportal"]
    by_name = {s.name: s for s in specs}
    assert by_name["mail"].ready_path is None  # SMTP: a TCP answer is the readiness check
    assert by_name["dagster"].command[2:5] == ["dagster", "dev", "-w"]
    assert by_name["dagster"].command[5] == str(PROJECT_ROOT / "workspace.yaml")
    assert "--server.headless" in by_name["dashboard"].command
    for spec in specs:
        assert spec.env["RELANCE_HOME"] == str(home.root)
        assert spec.env["DAGSTER_HOME"] == str(home.dagster_home)
        assert spec.env["RELANCE_SMTP_PORT"] == "2525"
        assert spec.env["RELANCE_PORTAL_BASE_URL"] == "http://127.0.0.1:2570"
        assert str(ports[spec.name]) in spec.command
    config = prepare_dagster_home(home).read_text(encoding="utf-8")
    assert "default_limit: 1" in config  # the warehouse pool admits one writer at a time
