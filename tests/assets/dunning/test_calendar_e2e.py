"""Sixty simulated days of dunning against a real SMTP server (aiosmtpd on loopback).

Each day: the data that arrived is loaded (payments, credit notes, disputes, portal events), payments are
re-extracted, then the batch runs twice, at 09:00 and 16:00 UTC (RELANCE_DUNNING_HOURS=9,16 would do this):
planned, checked, enqueued in the real outbox and drained by the channels' dispatcher over SMTP.
Assertions read what the SMTP server received (X-Relance-* headers). One day is missed (the schedule did
not run) and one is blocked by stale payments data. The second run of a day reaches the New York customer,
whose sending hours open at 13:00 UTC, and nobody else: it never repeats a step or contacts a customer the
morning run reached.
"""

from __future__ import annotations

import email
import email.policy
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from assets.dunning.batch import (
    REMINDER_KINDS,
    build_reminder_batch,
    enqueue_batch,
    lines_for,
    payments_check,
    settled_check,
)
from assets.dunning.data import load_day_facts
from assets.dunning.policy import load_policies
from channels.dispatch import Dispatcher
from channels.mailstore import MailStore
from channels.recipients import load_from_duckdb
from demo.mailserver import start_mail_server
from stores import operational as ops
from tests.assets.dunning.world import World
from tests.conftest import free_port

POLICIES = Path(__file__).parent / "policies"
START, END = date(2026, 10, 1), date(2026, 11, 29)
MISSED_RUN = date(2026, 10, 27)  # the schedule did not run that day
RUN_HOURS = (9, 16)  # UTC
NO_EXTRACTION = (date(2026, 11, 4), date(2026, 11, 5))  # payments not re-extracted: stale on 11-05
D = date.fromisoformat

# What the policies prescribe, worked out by hand from the calendar (weekends, 1 and 11 November
# holidays, the missed run, the stale day, the 3-day contact gap): invoice -> [(step, day sent)].
EXPECTED = {
    "A-1": [("available", "2026-10-08"), ("d1", "2026-10-16"), ("d10", "2026-10-26"), ("d30", "2026-11-16")],
    "P-1": [("available", "2026-10-08"), ("d1", "2026-10-16"), ("d10", "2026-10-26"), ("d30", "2026-11-16")],
    "B-1": [("available", "2026-10-08"), ("d1", "2026-10-16")],  # paid in full 10-20
    "C-1": [("available", "2026-10-08"), ("d1", "2026-10-16"), ("d10", "2026-10-26")],  # half 10-20, rest 11-05
    "D-1": [("available", "2026-10-08"), ("d1", "2026-10-16")],  # credit note 10-18
    # ERP dispute 10-14..11-02: d1 and d10 are both due when it ends; the caught-up invoice gets only the
    # furthest, d10 (d1 is recorded as superseded, never sent), then d30 on its date
    "E-1": [("available", "2026-10-08"), ("d10", "2026-11-02"), ("d30", "2026-11-16")],
    "F-1": [("available", "2026-10-08"), ("d1", "2026-10-16")],  # disputed on the portal 10-17, never resolved
    "G-1": [("available", "2026-10-08"), ("d1", "2026-10-16")],  # promised 10-30, kept (paid 10-29)
    "H-1": [("available", "2026-10-08"), ("d1", "2026-10-16"), ("d10", "2026-10-29"), ("d30", "2026-11-16")],
    "I-1": [("available", "2026-10-26"), ("d1", "2026-11-02"), ("d10", "2026-11-10")],  # due Sat 10-31
    "N-1": [("available", "2026-10-19"), ("d1", "2026-10-28"), ("d10", "2026-11-06"), ("d30", "2026-11-25")],
    "O-1": [("available", "2026-11-03"), ("d1", "2026-11-12"), ("d10", "2026-11-20")],  # d1 on 11-11 holiday
    # two invoices of one customer: each step waits for the 3-day gap after the other's
    "R-1": [("available", "2026-10-09"), ("d1", "2026-10-19"), ("d10", "2026-10-26"), ("d30", "2026-11-16")],
    "R-2": [("available", "2026-10-06"), ("d1", "2026-10-14"), ("d10", "2026-10-23"), ("d30", "2026-11-12")],
    # New York: reached by the 16:00 UTC run only (11:00 there), on the same days as A-1
    "U-1": [("available", "2026-10-08"), ("d1", "2026-10-16"), ("d10", "2026-10-26"), ("d30", "2026-11-16")],
    "Q-1": [],  # paid before its first step
    "K-1": [],  # customer on hold (operational hold)
    "L-1": [],  # customer on hold (ERP flag)
}
# Consolidated (group policy): one message a day per customer, in the voice of its most advanced step,
# carrying each invoice's own step (X-Relance-Steps). J-2 is paid on 10-22; J-3 falls due a week later.
EXPECTED_GROUP = [
    ("available", "2026-10-08", "J-1=available,J-2=available"),
    ("d1", "2026-10-16", "J-1=d1,J-2=d1"),
    ("available", "2026-10-19", "J-3=available"),
    ("d10", "2026-10-26", "J-1=d10,J-3=d1"),
    ("d10", "2026-11-03", "J-3=d10"),
    ("d30", "2026-11-16", "J-1=d30"),
    ("d30", "2026-11-23", "J-3=d30"),
]
# Every 10 days from 2000-01-03, on the first run day of each period.
EXPECTED_STATEMENTS = ["2026-10-01", "2026-10-05", "2026-10-13", "2026-10-23", "2026-11-02", "2026-11-12", "2026-11-23"]
SETTLED_ON = {
    "B-1": D("2026-10-20"),
    "C-1": D("2026-11-05"),
    "D-1": D("2026-10-18"),
    "G-1": D("2026-10-29"),
    "J-2": D("2026-10-22"),
    "Q-1": D("2026-10-10"),
}


def _utc(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)


def build_world(world: World, engine) -> dict[date, list]:
    """Customers and invoices known from the start; returns what arrives on which day."""
    for cid in "ABCDEFGHINOQKJR":
        world.add_customer(cid, segment="group" if cid == "J" else "sme")
    world.add_customer("U", language="en", timezone_name="America/New_York")
    world.add_customer("L", on_hold=True)
    world.add_customer("P", language="en", timezone_name="Europe/London")
    for cid in "ABCDEFGHPKL":
        world.add_invoice(f"{cid}-1", cid, D("2026-09-15"), D("2026-10-15"), "1200.00")
    world.add_invoice("I-1", "I", D("2026-10-01"), D("2026-10-31"), "300.00")
    world.add_invoice("N-1", "N", D("2026-09-26"), D("2026-10-26"), "450.00")
    world.add_invoice("O-1", "O", D("2026-10-10"), D("2026-11-10"), "99.90")
    world.add_invoice("Q-1", "Q", D("2026-09-20"), D("2026-10-20"), "500.00")
    world.add_invoice("R-1", "R", D("2026-09-15"), D("2026-10-15"), "210.00")
    world.add_invoice("R-2", "R", D("2026-09-13"), D("2026-10-13"), "120.00")
    world.add_invoice("U-1", "U", D("2026-09-15"), D("2026-10-15"), "640.00")
    world.add_invoice("J-1", "J", D("2026-09-15"), D("2026-10-15"), "800.00")
    world.add_invoice("J-2", "J", D("2026-09-15"), D("2026-10-15"), "400.00")
    world.add_invoice("J-3", "J", D("2026-09-24"), D("2026-10-24"), "300.00")
    world.add_invoice("Z-0", "A", D("2026-08-01"), D("2026-09-01"), "10.00")
    world.add_payment("PAY-0", "A", "Z-0", D("2026-09-01"), "10.00", _utc(START, 6))
    world.add_dispute("E-1", "E", D("2026-10-14"), resolved=D("2026-11-02"))
    with engine.begin() as conn:
        conn.execute(
            insert(ops.customer_holds).values(
                customer_id="K",
                active=True,
                reason="legal review",
                set_by="credit.manager",
                set_at=_utc(D("2026-09-01"), 8),
            )
        )
    arrivals: dict[date, list] = defaultdict(list)

    def pay(pid: str, cid: str, inv: str, day: str, amount: str, arrives: str | None = None) -> None:
        # a payment reaches the warehouse with the next extraction, possibly days after its date
        arrival = D(arrives or day)
        arrivals[arrival].append(lambda: world.add_payment(pid, cid, inv, D(day), amount, _utc(arrival, 6)))

    pay("PAY-B", "B", "B-1", "2026-10-20", "1200.00")
    pay("PAY-C1", "C", "C-1", "2026-10-20", "600.00")
    pay("PAY-C2", "C", "C-1", "2026-11-05", "600.00", arrives="2026-11-06")  # extraction skipped on 11-05
    pay("PAY-G", "G", "G-1", "2026-10-29", "1200.00")
    pay("PAY-J2", "J", "J-2", "2026-10-22", "400.00")
    pay("PAY-Q", "Q", "Q-1", "2026-10-10", "500.00")
    arrivals[D("2026-10-18")].append(
        lambda: world.add_invoice(
            "AV-D", "D", D("2026-10-18"), D("2026-10-18"), "1200.00", document_type="credit_note", original="D-1"
        )
    )

    def portal(event_type: str, invoice: str, customer: str, day: str, **evidence):
        def record():
            with engine.begin() as conn:
                ops.record_event(
                    conn,
                    event_type,
                    source="portal",
                    invoice_number=invoice,
                    customer_id=customer,
                    occurred_at=_utc(D(day), 7),
                    evidence=evidence,
                )

        arrivals[D(day)].append(record)

    portal("disputed", "F-1", "F", "2026-10-17", reason="goods damaged")
    portal("promised", "G-1", "G", "2026-10-18", promised_date="2026-10-30")
    portal("promised", "H-1", "H", "2026-10-18", promised_date="2026-10-28")
    return arrivals


def received(mail_root: Path) -> list[dict]:
    store = MailStore(mail_root)
    out = []
    for record in store.list():
        _, data = store.get(record.id)
        message = email.message_from_bytes(data, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        out.append(
            {
                "invoices": str(message["X-Relance-Invoice"] or ""),
                "step": str(message["X-Relance-Step"]),
                "steps": str(message["X-Relance-Steps"] or ""),
                "day": str(message["X-Relance-Run-Date"]),
                "to": str(message["To"]),
                "subject": str(message["Subject"]),
                "body": body.get_content() if body is not None else "",
                "attachments": [part.get_filename() for part in message.iter_attachments()],
                "outbox": [int(i) for i in str(message["X-Relance-Outbox"]).split(",")],
            }
        )
    return out


@pytest.mark.slow
def test_sixty_days_of_dunning_over_real_smtp(tmp_path, monkeypatch):
    home_root = tmp_path / "home"
    monkeypatch.setenv("RELANCE_HOME", str(home_root))
    from stores.home import relance_home

    home = relance_home().ensure()
    port = free_port()
    server = start_mail_server(home.mail, host="127.0.0.1", port=port)
    monkeypatch.setenv("RELANCE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("RELANCE_SMTP_PORT", str(port))
    monkeypatch.setenv("RELANCE_SMTP_ARCHIVE", str(home.mail))
    engine = ops.open_store(home.operational_url)
    world = World(home.warehouse)
    policies = load_policies(POLICIES)
    blocked: dict[date, str] = {}
    run_of_row: dict[int, int] = {}  # outbox id -> the hour of the run that enqueued it
    try:
        arrivals = build_world(world, engine)
        day = START
        while day <= END:
            for arrive in arrivals.get(day, []):
                arrive()
            if day not in NO_EXTRACTION:
                world.extract_payments(_utc(day, 6))
            for hour in RUN_HOURS if day != MISSED_RUN else ():
                now = _utc(day, hour)
                build_reminder_batch(world.con, engine, policies, day, now, as_of=day, as_of_time=now)
                fresh, freshness = payments_check(world.con, policies, now)
                clean, settled = settled_check(world.con, engine, day, now, kinds=REMINDER_KINDS)
                assert clean, settled  # the planner itself never drafts a settled or disputed invoice
                if fresh:
                    facts = load_day_facts(world.con, engine, day, now, as_of=day, as_of_time=now)
                    result = enqueue_batch(engine, home, policies, facts, kinds=REMINDER_KINDS)
                    assert not result["errors"], result
                    stats = Dispatcher(engine, home, load_from_duckdb(world.con)).drain()
                    assert stats.failed == 0 and stats.dead == 0, stats.as_dict()
                    with engine.connect() as conn:
                        for (outbox_id,) in conn.execute(select(ops.outbox.c.id)):
                            run_of_row.setdefault(outbox_id, hour)
                else:
                    blocked[day] = freshness["problem"]
            day += timedelta(days=1)
        mails = received(home.mail)
    finally:
        server.stop()
        world.close()

    assert list(blocked) == [D("2026-11-05")] and "48 h freshness limit" in blocked[D("2026-11-05")]
    assert not [m for m in mails if m["day"] == "2026-11-05"], "nothing may leave on a blocked day"

    got: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for m in mails:
        if m["step"] == "statement" or m["invoices"].startswith("J-"):
            continue
        assert "," not in m["invoices"], m
        got[m["invoices"]].append((m["step"], m["day"]))
    for invoice, expected in EXPECTED.items():
        assert sorted(got.get(invoice, []), key=lambda s: s[1]) == expected, invoice
    assert set(got) <= set(EXPECTED), set(got) - set(EXPECTED)

    # none twice, none on or after settlement, none on a weekend or holiday
    for m in mails:
        for number in filter(None, m["invoices"].split(",")):
            if number in SETTLED_ON:
                assert D(m["day"]) < SETTLED_ON[number], m
        assert D(m["day"]).weekday() < 5 and m["day"] not in ("2026-11-01", "2026-11-11"), m
    steps_sent = [
        tuple(pair.split("="))
        for m in mails
        if m["step"] != "statement"
        for pair in (m["steps"] or ",".join(f"{n}={m['step']}" for n in m["invoices"].split(","))).split(",")
    ]
    assert len(steps_sent) == len(set(steps_sent))

    group = sorted(
        [
            (m["step"], m["day"], m["steps"] or ",".join(f"{n}={m['step']}" for n in m["invoices"].split(",")))
            for m in mails
            if m["invoices"].startswith("J-") and m["step"] != "statement"
        ],
        key=lambda g: g[1],
    )
    assert group == EXPECTED_GROUP
    # the consolidated reminder lists every overdue invoice of the customer, not only those at a step today
    j_d10 = next(m for m in mails if m["steps"] == "" and m["invoices"] == "J-3" and m["step"] == "d10")
    assert "J-1" in j_d10["body"] and "J-3" in j_d10["body"]
    statements = sorted(m["day"] for m in mails if m["step"] == "statement")
    assert statements == EXPECTED_STATEMENTS
    assert all(m["to"] == "Client J <j@example.com>" for m in mails if m["step"] == "statement")

    # the firm step's words fit what was sent before: A-1 had its d1 on 16 October, E-1 (caught up after
    # its dispute) had no reminder before its d10
    a_d10 = next(m for m in mails if m["invoices"] == "A-1" and m["step"] == "d10")
    assert "Malgré notre rappel du 16 octobre 2026" in a_d10["body"] and a_d10["subject"].startswith("Nouvelle")
    e_d10 = next(m for m in mails if m["invoices"] == "E-1" and m["step"] == "d10")
    assert "Malgré" not in e_d10["body"] and e_d10["subject"].startswith("Relance :")
    # what the customer reads: the open amount after a partial payment, the language, the statement PDF
    c_d10 = next(m for m in mails if m["invoices"] == "C-1" and m["step"] == "d10")
    assert "600,00" in c_d10["body"] and "1\u202f200,00" not in c_d10["body"]
    p_d1 = next(m for m in mails if m["invoices"] == "P-1" and m["step"] == "d1")
    assert p_d1["subject"].startswith("Reminder:") and "€1,200.00" in p_d1["body"]
    j_d10 = next(m for m in mails if m["invoices"] == "J-1,J-3" and m["step"] == "d10")
    assert any(name.startswith("statement-J-") and name.endswith(".pdf") for name in j_d10["attachments"])

    with engine.connect() as conn:
        statement_events = conn.execute(
            select(ops.events.c.customer_id).where(ops.events.c.event_type == "statement_sent")
        ).all()
    # each statement is confirmed when the next run reads the outbox back
    assert [r.customer_id for r in statement_events] == ["J"] * len(EXPECTED_STATEMENTS)

    # the afternoon run reached New York, and only New York: nobody else heard twice in a day
    afternoon = {m["invoices"] or m["steps"] for m in mails if {run_of_row[i] for i in m["outbox"]} == {16}}
    assert afternoon == {"U-1"}, afternoon
    assert all(run_of_row[i] == 16 for m in mails if m["invoices"] == "U-1" for i in m["outbox"])
    per_customer_day = defaultdict(set)
    for m in mails:
        if m["step"] != "statement":
            per_customer_day[(m["to"], m["day"])].update(run_of_row[i] for i in m["outbox"])
    assert all(len(hours) == 1 for hours in per_customer_day.values()), per_customer_day

    # the lines tell the same story, with reasons for what was held back
    lines = lines_for(engine)
    reasons = {(line["invoice_number"], line["reason"]) for line in lines if line["state"] == "ignored"}
    for expected in [
        ("E-1", "disputed"),
        ("F-1", "disputed"),
        ("G-1", "promise_not_due"),
        ("B-1", "paid"),
        ("D-1", "credited"),
        ("K-1", "customer_on_hold"),
        ("L-1", "customer_on_hold"),
        ("A-1", "weekend"),
        ("O-1", "public_holiday"),
        ("R-1", "contacted_recently"),
        ("E-1", "superseded_by_later_step"),
        ("Q-1", "paid"),
    ]:
        assert expected in reasons, expected
    # the blocked day's drafts were closed by the next run, which sent those steps itself
    assert {
        (line["invoice_number"], line["step"], line["run_date"])
        for line in lines
        if line["reason"] == "batch_not_enqueued"
    } == {("N-1", "d10", D("2026-11-05"))}
    assert all(line["state"] in ("sent", "ignored") for line in lines if line["channel"] != "manual"), [
        line for line in lines if line["state"] not in ("sent", "ignored")
    ]
