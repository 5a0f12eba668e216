"""`relance dunning simulate` replays a policy over history: per-day counts, amounts, customers; sends nothing."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

from pipelines.cli import main
from stores import operational as ops
from stores.operational import dunning_lines, outbox, select
from tests.assets.dunning.world import World

POLICY = str(Path(__file__).parent / "policies" / "standard.toml")
D = date.fromisoformat


def test_simulate_prints_per_day_what_would_have_gone(relance_home, capsys):
    world = World(relance_home.warehouse)
    world.add_customer("A")
    world.add_customer("B")
    world.add_invoice("A-1", "A", D("2026-09-15"), D("2026-10-15"), "1000.00")
    world.add_invoice("B-1", "B", D("2026-09-15"), D("2026-10-15"), "500.00")
    # B pays on 20 October: the replay must see B-1 open before that day and paid after
    world.add_payment("PB", "B", "B-1", D("2026-10-20"), "500.00", datetime(2026, 11, 1, tzinfo=timezone.utc))
    world.close()

    assert (
        main(["dunning", "simulate", "--policy", POLICY, "--from", "2026-10-01", "--to", "2026-10-31", "--json"]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    days = {d["day"]: d for d in report["days"]}
    assert len(days) == 31 and report["policy"] == "standard"
    assert days["2026-10-08"] | {} == {
        "day": "2026-10-08",
        "messages": 2,
        "invoices": 2,
        "customers": 2,
        "amount": "1500.00",
        "by_step": {"available": 2},
        "handed_over": 0,
        "suppressed": {},
    }
    assert days["2026-10-16"]["by_step"] == {"d1": 2} and days["2026-10-16"]["amount"] == "1500.00"
    # d10 falls on Sunday 25 October: held for the weekend, sent Monday for A only (B paid on the 20th)
    assert days["2026-10-25"]["suppressed"] == {"weekend": 1, "paid": 1}
    assert days["2026-10-26"]["by_step"] == {"d10": 1} and days["2026-10-26"]["amount"] == "1000.00"
    assert sum(d["messages"] for d in days.values()) == 5

    # nothing was sent nor recorded
    engine = ops.open_store(relance_home.operational_url)
    with engine.connect() as conn:
        assert conn.execute(select(outbox.c.id)).all() == []
        assert conn.execute(select(dunning_lines.c.id)).all() == []

    # starting mid-way: by default the steps dated before --from count as done (the policy was in force)
    assert main(["dunning", "simulate", "--policy", POLICY, "--from", "2026-10-14", "--to", "2026-10-16"]) == 0
    table = capsys.readouterr().out
    rows = {line.split()[0]: line for line in table.splitlines() if line.startswith("2026-")}
    assert "simulation, nothing sent" in table
    assert rows["2026-10-14"].split()[1] == "0" and "d1:2" in rows["2026-10-16"]
    # --cold-start: nothing was sent before, so the D-7 notice is caught up first and the contact gap holds d1
    assert (
        main(["dunning", "simulate", "--policy", POLICY, "--from", "2026-10-14", "--to", "2026-10-16", "--cold-start"])
        == 0
    )
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.startswith("2026-")}
    assert rows["2026-10-14"].split()[1:3] == ["2", "2"] and "available:2" in rows["2026-10-14"]
    assert "held: contacted_recently:2" in rows["2026-10-16"]


def test_simulate_refuses_unknown_policy_and_reversed_dates(relance_home, capsys):
    World(relance_home.warehouse).close()
    assert (
        main(
            [
                "dunning",
                "simulate",
                "--policy",
                "nope",
                "--from",
                "2026-10-01",
                "--to",
                "2026-10-02",
                "--policies",
                str(Path(__file__).parent / "policies"),
            ]
        )
        == 2
    )
    assert "no policy named 'nope'; policies: group, standard" in capsys.readouterr().err
    assert main(["dunning", "simulate", "--policy", POLICY, "--from", "2026-10-05", "--to", "2026-10-01"]) == 2
    assert "is before --from" in capsys.readouterr().err
