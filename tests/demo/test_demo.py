"""`relance demo` end to end as a user runs it: exports in the inbox, every server answering on its port,
Ctrl-C stopping everything with exit code 0 and nothing left running."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from demo.processes import descendants, port_is_free
from stores.home import PROJECT_ROOT
from tests.conftest import free_port

SERVERS = ("mail", "apportal", "portal", "dagster", "dashboard")


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _demo(home: Path, ports: dict[str, int], *extra: str) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "pipelines.cli",
        "demo",
        "--customers",
        "30",
        "--invoices",
        "400",
        "--start",
        "2026-01-05",
        "--months",
        "10",
        "--no-browser-tools",
        *extra,
    ]
    for name, port in ports.items():
        command += [f"--{name}-port", str(port)]
    env = {**os.environ, "RELANCE_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    return subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_demo_starts_every_server_and_ctrl_c_stops_them_all(tmp_path):
    home = tmp_path / "home"
    ports = {name: free_port() for name in SERVERS}
    demo = _demo(home, ports, "--skip-materialize")
    output: list[str] = []
    try:
        deadline = time.monotonic() + 200
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            if not line and demo.poll() is not None:
                break
            output.append(line)
            if "Press Ctrl-C to stop" in line:
                break
        text = "".join(output)
        assert "Press Ctrl-C to stop" in text, text
        # every server printed its address and answers there
        for name, port in ports.items():
            assert f":{port}" in text, f"{name} URL missing:\n{text}"
        with socket.create_connection(("127.0.0.1", ports["mail"]), timeout=5) as smtp:
            assert smtp.recv(100).startswith(b"220")
        for name, path in (
            ("dagster", "/server_info"),
            ("dashboard", "/_stcore/health"),
            ("portal", "/"),
            ("apportal", "/"),
        ):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{ports[name]}{path}", timeout=10) as response:
                    status = response.status
            except urllib.error.HTTPError as error:  # a 404 or 401 still proves the server is up
                status = error.code
            assert status < 500, name

        # `dagster dev -w workspace.yaml` shows the relance code location, loaded
        from tests.pipelines.test_code_location import assert_relance_loaded, wait_for_relance_location

        assert_relance_loaded(wait_for_relance_location(ports["dagster"], time.monotonic() + 90))

        # the demo company sits in the inbox, its truth and FEC beside it (not in the inbox)
        inbox = {p.name for p in (home / "inbox").iterdir()}
        assert {
            "customers.csv",
            "invoices.csv",
            "invoice_lines.csv",
            "payments.csv",
            "disputes.csv",
            "attachments",
        } <= inbox
        assert not any(name.endswith((".txt", ".parquet", ".part")) for name in inbox)
        assert (home / "demo-company" / "ground_truth" / "invoices.parquet").exists()
        assert "default_limit: 1" in (home / "dagster" / "dagster.yaml").read_text(encoding="utf-8")
        assert re.search(r"400 invoices", text)

        started = descendants(demo.pid)
        assert len(started) >= 5
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=60) == 0
        assert "Relance demo stopped: every server is down." in demo.stdout.read()
        assert [pid for pid in started if _alive(pid)] == []
        assert all(port_is_free("127.0.0.1", port) for port in ports.values())
    finally:
        if demo.poll() is None:
            for pid in descendants(demo.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            demo.kill()
            demo.wait()


def test_demo_refuses_a_busy_port_before_generating_anything(tmp_path):
    home = tmp_path / "home"
    ports = {name: free_port() for name in SERVERS}
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", ports["portal"]))
        squatter.listen()
        demo = _demo(home, ports)
        output, _ = demo.communicate(timeout=60)
    assert demo.returncode == 2
    assert f"portal needs 127.0.0.1:{ports['portal']}" in output
    assert not (home / "inbox" / "invoices.csv").exists()


def test_demo_inbox_attachments_are_found_by_the_documents_domain(tmp_path, monkeypatch):
    import io
    from datetime import date

    import polars as pl

    from channels.documents.loading import AttachmentPolicy
    from demo.commands.demo import write_demo_inbox
    from demo.generator import GeneratorConfig
    from stores.home import Home

    home = Home(tmp_path / "home").ensure()
    monkeypatch.setenv("RELANCE_HOME", str(home.root))
    write_demo_inbox(GeneratorConfig(customers=20, invoices=200, seed=1, as_of=date(2026, 11, 27)), home)
    invoices = pl.read_csv(
        io.StringIO((home.inbox / "invoices.csv").read_bytes().decode("cp1252")), separator=";", infer_schema=False
    )
    listed = [
        (row["N° facture"], path)
        for row in invoices.filter(pl.col("Pièces jointes").is_not_null()).iter_rows(named=True)
        for path in row["Pièces jointes"].split("|")
    ]
    assert listed
    for number, relative in listed:
        assert (home.inbox / relative).is_file()  # relative to the export folder, as the contract says
        # the documents domain's reading: listed paths from the export file's folder, kept under the inbox
        attachments = AttachmentPolicy(home.inbox, 5_000_000).for_invoice(
            number, [relative], str(home.inbox / "invoices.csv")
        )
        assert next(a.filename for a in attachments) == relative.rsplit("/", 1)[1]
