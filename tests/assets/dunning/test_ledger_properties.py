"""Dunning is a ledger of contacts, whatever the sequence of runs: a property test over 90 simulated days.

Hypothesis draws a company (invoices due before, during and after the period, payments, a portal dispute and
its resolution, a promise to pay) and, for every day, what the operators and the schedule do: runs at 09:00
or 16:00 UTC (RELANCE_DUNNING_HOURS=9,16), reruns of a day, a run that crashes half-way through enqueueing
(the n-th outbox insert raises; the committed part stays), days whose payments were not re-extracted (the
batch is blocked), and drains of the outbox by the channels' dispatcher to a real SMTP server (aiosmtpd), or
none for days. At the end everything still queued is drained, and the invariants are checked on what the
SMTP server received (X-Relance-* headers), not on what the code believes it did:

- each (invoice, step) arrives at most once;
- a customer's reminders arrive on days at least `min_days_between_contacts` apart, and those of one day
  all come from one run;
- a step that arrives is the furthest one due that day (a caught-up invoice gets one step, not all of
  them), never a pre-due notice after the due date, never on a weekend or holiday, never on or after the
  day the invoice was settled, never while it was disputed or promised.
"""

from __future__ import annotations

import email
import email.policy
import itertools
import tempfile
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

import channels.outbox
from assets.dunning import batch as dunning_batch
from assets.dunning.batch import REMINDER_KINDS, build_reminder_batch, enqueue_batch, payments_check, settled_check
from assets.dunning.data import load_day_facts
from assets.dunning.eligibility import calendar_reason
from assets.dunning.policy import load_policies
from channels.dispatch import Dispatcher
from channels.mailstore import MailStore
from channels.recipients import load_from_duckdb
from demo.mailserver import start_mail_server
from stores import operational as ops
from tests.assets.dunning.world import World
from tests.conftest import free_port

pytestmark = pytest.mark.slow

POLICIES = load_policies(Path(__file__).parent / "policies")
START = date(2026, 10, 1)
DAYS = 90
GAP = 3  # min_days_between_contacts of both test policies
# (customer, invoice, due date offset from START, amount); J is consolidated (the "group" policy)
INVOICES = [
    ("A", "A-1", -45, "300.00"),  # d1, d10 and d30 all due on the first day: caught up with d30 only
    ("A", "A-2", 5, "120.00"),  # a second invoice of A: its steps compete with A-1's for A's contacts
    ("B", "B-1", -12, "80.00"),
    ("C", "C-1", 3, "999.00"),
    ("D", "D-1", 20, "45.50"),
    ("N", "N-1", 8, "610.00"),  # New York: only the 16:00 run is within its sending hours
    ("J", "J-1", -5, "200.00"),
    ("J", "J-2", 12, "150.00"),
    ("E", "E-1", 40, "70.00"),
]
NUMBERS = [number for _, number, _, _ in INVOICES]

ACTIONS = st.sampled_from(["run9", "run16", "rerun", "crash", "dispatch"])
WORLD = st.fixed_dictionaries(
    {
        # invoice -> day index it is paid in full (None: never)
        "paid": st.fixed_dictionaries({n: st.one_of(st.none(), st.integers(0, DAYS - 1)) for n in NUMBERS}),
        "dispute": st.tuples(st.sampled_from(NUMBERS), st.integers(0, 60), st.integers(1, 30)),
        "promise": st.tuples(st.sampled_from(NUMBERS), st.integers(0, 60), st.integers(0, 20)),
        "stale_days": st.sets(st.integers(0, DAYS - 1), max_size=6),
        "days": st.lists(st.lists(ACTIONS, max_size=4), min_size=DAYS, max_size=DAYS),
        "crash_after": st.integers(0, 3),
    }
)


def _utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.utc)


class CrashAfter:
    """Fault injection: the real enqueue, until the n-th call of a run raises (a worker killed mid-batch)."""

    def __init__(self, real, calls: int):
        self.real, self.left = real, calls

    def __call__(self, *args, **kwargs):
        if self.left <= 0:
            raise RuntimeError("killed while enqueueing")
        self.left -= 1
        return self.real(*args, **kwargs)


def _received(root: Path) -> list[dict]:
    store = MailStore(root)
    out = []
    for record in store.list():
        _, data = store.get(record.id)
        message = email.message_from_bytes(data, policy=email.policy.default)
        steps = str(message["X-Relance-Steps"] or "")
        pairs = (
            [tuple(p.split("=")) for p in steps.split(",")]
            if steps
            else [(n, str(message["X-Relance-Step"])) for n in str(message["X-Relance-Invoice"] or "").split(",") if n]
        )
        out.append(
            {
                "to": str(message["To"]),
                "step": str(message["X-Relance-Step"]),
                "day": date.fromisoformat(str(message["X-Relance-Run-Date"])),
                "pairs": pairs,
                "outbox": [int(i) for i in str(message["X-Relance-Outbox"]).split(",")],
            }
        )
    return out


def _simulate(plan: dict, root: Path, monkeypatch) -> list[dict]:
    home_root = root / "home"
    monkeypatch.setenv("RELANCE_HOME", str(home_root))
    from stores.home import relance_home

    home = relance_home().ensure()
    port = free_port()
    server = start_mail_server(home.mail, host="127.0.0.1", port=port)
    monkeypatch.setenv("RELANCE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("RELANCE_SMTP_PORT", str(port))
    monkeypatch.setenv("RELANCE_SMTP_ARCHIVE", str(home.mail))
    # one message per transaction, so that a crash leaves part of a run committed
    monkeypatch.setattr(dunning_batch, "ENQUEUE_CHUNK", 1)
    engine = ops.open_store(home.operational_url)
    world = World(home.warehouse)
    run_of_row: dict[int, tuple[date, int]] = {}  # outbox id -> (day, run number) that enqueued it
    arrived: dict[str, date] = {}  # invoice -> day its payment reached the warehouse
    try:
        for cid in {c for c, *_ in INVOICES}:
            world.add_customer(
                cid,
                segment="group" if cid == "J" else "sme",
                timezone_name="America/New_York" if cid == "N" else "Europe/Paris",
            )
        for cid, number, due, amount in INVOICES:
            due_date = START + timedelta(days=due)
            world.add_invoice(number, cid, due_date - timedelta(days=30), due_date, amount)
        world.add_payment("P0", "A", None, START - timedelta(days=60), "1.00", _utc(START, 6))
        disputed, opened, lasts = plan["dispute"]
        promised, promised_on, promise_days = plan["promise"]
        runs = 0
        for index, actions in enumerate(plan["days"]):
            day = START + timedelta(days=index)
            if index not in plan["stale_days"]:
                # payments reach the warehouse with an extraction: those of the days it did not run come now
                for number, paid_on in plan["paid"].items():
                    if paid_on is not None and paid_on <= index and number not in arrived:
                        cid, _, _, amount = next(i for i in INVOICES if i[1] == number)
                        paid_day = START + timedelta(days=paid_on)
                        world.add_payment(f"PAY-{number}", cid, number, paid_day, amount, _utc(day, 6))
                        arrived[number] = day
            with engine.begin() as conn:
                customer = next(c for c, n, *_ in INVOICES if n == disputed)
                if index == opened:
                    ops.record_event(
                        conn,
                        "disputed",
                        source="portal",
                        invoice_number=disputed,
                        customer_id=customer,
                        occurred_at=_utc(day, 7),
                    )
                if index == opened + lasts:
                    ops.record_event(
                        conn,
                        "dispute_resolved",
                        source="portal",
                        invoice_number=disputed,
                        customer_id=customer,
                        occurred_at=_utc(day, 7),
                    )
                if index == promised_on:
                    ops.record_event(
                        conn,
                        "promised",
                        source="portal",
                        invoice_number=promised,
                        customer_id=next(c for c, n, *_ in INVOICES if n == promised),
                        occurred_at=_utc(day, 7),
                        evidence={"promised_date": (day + timedelta(days=promise_days)).isoformat()},
                    )
            if index not in plan["stale_days"]:
                world.extract_payments(_utc(day, 6))
            hour = 9
            for action in actions:
                if action == "dispatch":
                    Dispatcher(engine, home, load_from_duckdb(world.con)).drain()
                    continue
                hour = {"run9": 9, "run16": 16}.get(action, hour)
                runs += 1
                now = _utc(day, hour, runs % 60)
                before = _max_outbox_id(engine)
                build_reminder_batch(world.con, engine, POLICIES, day, now, as_of=day, as_of_time=now)
                fresh, _ = payments_check(world.con, POLICIES, now)
                assert settled_check(world.con, engine, day, now, kinds=REMINDER_KINDS)[0]
                if fresh:
                    facts = load_day_facts(world.con, engine, day, now, as_of=day, as_of_time=now)
                    if action == "crash":
                        with monkeypatch.context() as patch:
                            patch.setattr(
                                channels.outbox, "enqueue", CrashAfter(channels.outbox.enqueue, plan["crash_after"])
                            )
                            try:
                                enqueue_batch(engine, home, POLICIES, facts, kinds=REMINDER_KINDS)
                            except RuntimeError as killed:
                                assert "killed" in str(killed)
                    else:
                        enqueue_batch(engine, home, POLICIES, facts, kinds=REMINDER_KINDS)
                with engine.connect() as conn:
                    for (row_id,) in conn.execute(select(ops.outbox.c.id).where(ops.outbox.c.id > before)):
                        run_of_row[row_id] = (day, runs)
        Dispatcher(engine, home, load_from_duckdb(world.con)).drain()
        mails = [m for m in _received(home.mail) if m["step"] != "statement"]
    finally:
        server.stop()
        world.close()
    _check(plan, mails, run_of_row, arrived)
    return mails


def _max_outbox_id(engine) -> int:
    from sqlalchemy import func

    with engine.connect() as conn:
        return conn.execute(select(func.coalesce(func.max(ops.outbox.c.id), 0))).scalar()


def _check(plan: dict, mails: list[dict], run_of_row: dict[int, tuple[date, int]], arrived: dict) -> None:
    due_of = {number: START + timedelta(days=due) for _, number, due, _ in INVOICES}
    customer_of = {number: cid for cid, number, _, _ in INVOICES}
    policy = {p.name: p for p in POLICIES}
    steps = {number: policy["group" if customer_of[number] == "J" else "standard"].steps for number in NUMBERS}
    paid = arrived  # the day the payment was known: from then on, no reminder
    disputed, opened, lasts = plan["dispute"]
    dispute = (START + timedelta(days=opened), START + timedelta(days=opened + lasts))
    promised, promised_on, promise_days = plan["promise"]
    promise = (START + timedelta(days=promised_on), START + timedelta(days=promised_on + promise_days))

    pairs = [(number, step) for m in mails for number, step in m["pairs"]]
    assert len(pairs) == len(set(pairs)), "a step arrived twice"

    contacts: dict[str, dict[date, set]] = defaultdict(lambda: defaultdict(set))
    for m in mails:
        customer = customer_of[m["pairs"][0][0]]
        contacts[customer][m["day"]].update(run_of_row[i][1] for i in m["outbox"])
        for number, step_name in m["pairs"]:
            step = next(s for s in steps[number] if s.name == step_name)
            later = [
                s.name
                for s in steps[number]
                if s.offset > step.offset and due_of[number] + timedelta(days=s.offset) <= m["day"]
            ]
            assert not later, f"{number} got {step_name} on {m['day']} while {later} was due: not the furthest"
            assert due_of[number] + timedelta(days=step.offset) <= m["day"]
            assert step.offset >= 0 or m["day"] <= due_of[number], f"pre-due {step_name} after the due date"
            assert number not in paid or m["day"] < paid[number], f"{number} reminded after its payment"
            assert calendar_reason(policy["standard"], m["day"]) is None, f"reminder on {m['day']}"
            if number == disputed:
                assert not dispute[0] <= m["day"] < dispute[1], f"{number} reminded while disputed"
            if number == promised:
                assert not promise[0] <= m["day"] <= promise[1], f"{number} reminded before its promised date"
    for customer, days in contacts.items():
        ordered = sorted(days)
        for earlier, later in itertools.pairwise(ordered):
            assert (later - earlier).days >= GAP, f"{customer} reminded on {earlier} and {later}"
        for day, runs in days.items():
            assert len(runs) == 1, f"{customer} reminded by {len(runs)} runs on {day}"


@settings(
    max_examples=6,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(plan=WORLD)
def test_any_sequence_of_runs_keeps_the_ledger(plan):
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as monkeypatch:
        _simulate(plan, Path(folder), monkeypatch)


def test_three_runs_of_one_day_send_a_caught_up_invoice_one_step(tmp_path, monkeypatch):
    """The reported case: `relance materialize --date D; relance dispatch --direct` three times in a row sent
    F2026-000120 its d1, d10 and d30 the same day. Here B-1 (d1 and d10 due) gets d10 once, A-1 (every step
    due, the last a manual one) is handed over to a person and gets nothing, whatever the reruns."""
    plan = {
        "paid": dict.fromkeys(NUMBERS),
        "dispute": ("E-1", 89, 1),
        "promise": ("E-1", 89, 0),
        "stale_days": set(),
        "days": [["run9", "dispatch", "rerun", "dispatch", "rerun", "dispatch"]] + [[] for _ in range(DAYS - 1)],
        "crash_after": 0,
    }
    mails = _simulate(plan, tmp_path, monkeypatch)
    first_day = [pair for m in mails if m["day"] == START for pair in m["pairs"]]
    assert sorted(p for p in first_day if p[0] in ("A-1", "B-1")) == [("B-1", "d10")]
