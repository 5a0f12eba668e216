"""The Dagster dispatch job drains the outbox in chunks (in-process here, multiprocess from the CLI),
the sensor launches it only when rows are due, and the feedback job reads bounces and statuses."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import dagster as dg
import duckdb
import pytest
from sqlalchemy import select

from channels.adapters.platform import platform_dirs
from demo.folder_platform import PlatformSimulator
from pipelines.delivery import (
    delivery_feedback_job,
    dispatch_job,
    dispatch_run_config,
    outbox_due_sensor,
)
from pipelines.resources import RelanceResource
from stores import operational as ops
from tests.channels.helpers import queue_invoices
from tests.conftest import REPO_ROOT


def _warehouse_with_customers(home, rows):
    con = duckdb.connect(str(home.warehouse))
    con.execute("create schema if not exists staging")
    con.execute("""create table staging.customers (customer_id varchar, name varchar, email varchar,
        language varchar, timezone varchar, preferred_channel varchar, fallback_channels varchar[],
        address_line1 varchar, address_line2 varchar, postcode varchar, city varchar, country varchar,
        edi_gln varchar, platform_id varchar, ap_portal_id varchar, siren varchar)""")
    for r in rows:
        con.execute(
            "insert into staging.customers values (?, ?, ?, 'fr', 'Europe/Paris', ?, ?, '1 rue A', null, "
            "'75001', 'Paris', 'FR', null, ?, null, '732829320')",
            [r["id"], r["name"], r["email"], r["channel"], r.get("fallbacks", []), r.get("platform_id")],
        )
    con.close()


@pytest.fixture
def customers(relance_home):
    _warehouse_with_customers(
        relance_home,
        [
            {"id": "C1", "name": "Dupont SA", "email": "compta@dupont.example", "channel": "email"},
            {"id": "C2", "name": "Martin SARL", "email": "ap@martin.example", "channel": "email"},
            {"id": "C3", "name": "Durand SAS", "email": None, "channel": "platform", "platform_id": "PLAT-3"},
        ],
    )
    return relance_home


def _resources(home):
    return {"relance": RelanceResource(home=str(home.root))}


def test_dispatch_job_drains_every_chunk_and_sums_the_results(customers, smtp_env):
    home = customers
    engine = ops.open_store(home.operational_url)
    queue_invoices(engine, home, [f"A-{i}" for i in range(5)], customer_id="C1")
    queue_invoices(engine, home, [f"B-{i}" for i in range(4)], customer_id="C2")
    queue_invoices(engine, home, ["P-1"], customer_id="C3", channel="platform")
    result = dispatch_job.execute_in_process(run_config=dispatch_run_config(3), resources=_resources(home))
    assert result.success
    summary = result.output_for_node("dispatch_summary")
    assert summary["sent"] == 10 and summary["by_channel"] == {"email": 9, "platform": 1}
    per_chunk = result.output_for_node("drain_chunk")  # mapping key -> that chunk's result
    assert sorted(per_chunk) == ["chunk_0", "chunk_1", "chunk_2"]
    chunk_results = list(per_chunk.values())
    assert sum(r["claimed"] for r in chunk_results) == 10
    assert all(r["claimed"] > 0 for r in chunk_results)  # ids spread over the three chunks
    received = smtp_env[1].list()
    assert sorted(r.rcpt_tos[0] for r in received) == ["ap@martin.example"] * 4 + ["compta@dupont.example"] * 5
    # a second run finds nothing to do
    again = dispatch_job.execute_in_process(run_config=dispatch_run_config(3), resources=_resources(home))
    assert again.output_for_node("dispatch_summary")["claimed"] == 0


def test_sensor_requests_a_run_only_when_rows_are_due(customers):
    home = customers
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, resources=_resources(home))
        assert isinstance(outbox_due_sensor(context), dg.SkipReason)
        engine = ops.open_store(home.operational_url)
        queue_invoices(engine, home, ["A-1", "A-2"], customer_id="C1")
        request = outbox_due_sensor(dg.build_sensor_context(instance=instance, resources=_resources(home)))
        assert isinstance(request, dg.RunRequest)
        assert request.tags["relance/due_rows"] == "2"
        assert request.run_config["ops"]["outbox_chunks"]["config"]["chunks"] == 2


def test_feedback_job_reads_platform_statuses(customers):
    home = customers
    engine = ops.open_store(home.operational_url)
    queue_invoices(engine, home, ["P-1"], customer_id="C3", channel="platform")
    assert dispatch_job.execute_in_process(run_config=dispatch_run_config(1), resources=_resources(home)).success
    simulator = PlatformSimulator(*platform_dirs(home))
    [manifest] = simulator.pending_manifests()
    simulator.report(manifest, ["200", "201"])
    result = delivery_feedback_job.execute_in_process(resources=_resources(home))
    assert result.success
    assert result.output_for_node("read_delivery_feedback")["platform"]["events"] == 2
    with engine.connect() as conn:
        codes = [
            c
            for (c,) in conn.execute(
                select(ops.events.c.status_code).where(ops.events.c.event_type == "lifecycle").order_by(ops.events.c.id)
            )
        ]
    assert codes == ["200", "201"]


@pytest.mark.slow
def test_relance_dispatch_runs_chunks_in_separate_processes(customers, smtp_env):
    home = customers
    engine = ops.open_store(home.operational_url)
    queue_invoices(engine, home, [f"A-{i}" for i in range(6)], customer_id="C1")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("DAGSTER_HOME", None)
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "dispatch", "--chunks", "2"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout)
    assert summary["sent"] == 6
    assert len(smtp_env[1].list()) == 6
    with engine.connect() as conn:
        claimers = {
            c.split(":")[1]
            for (c,) in conn.execute(
                select(ops.events.c.evidence["claimed_by"].as_string()).where(ops.events.c.event_type == "sending")
            )
        }
    assert len(claimers) == 2  # two worker processes (pids) claimed rows
