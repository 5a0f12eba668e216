"""Dunning sees invoices settled exactly as marts.invoices does, as of any day (for replays)."""

from __future__ import annotations

from datetime import date, datetime, timezone

from assets.dunning.batch import REMINDER_KINDS, build_reminder_batch, lines_for, settled_check
from assets.dunning.data import load_invoices
from assets.dunning.policy import load_policies
from stores import operational as ops
from stores import warehouse
from tests.assets.dunning.test_dagster import POLICIES
from tests.assets.dunning.world import World

D = date.fromisoformat
NOW = datetime(2026, 10, 20, 9, tzinfo=timezone.utc)


def test_payment_without_invoice_number_settles_like_the_mart(relance_home):
    world = World(relance_home.warehouse)
    world.add_customer("A")
    world.add_invoice("A-1", "A", D("2026-09-01"), D("2026-10-01"), "240.00")
    world.add_invoice("A-2", "A", D("2026-09-05"), D("2026-10-05"), "99.00")
    world.add_invoice("A-3", "A", D("2026-09-06"), D("2026-10-06"), "500.00")
    world.add_invoice(
        "AV-3", "A", D("2026-10-10"), D("2026-10-10"), "500.00", document_type="credit_note", original="A-3"
    )
    # exported without an invoice number: the mart matches it to A-2 (same customer, exact amount)
    world.add_payment("P1", "A", None, D("2026-10-12"), "99.00", NOW)
    world.add_payment("P2", "A", "A-1", D("2026-10-15"), "40.00", NOW)
    try:
        before = {i.invoice_number: (i.status, i.open_amount) for i in load_invoices(world.con, D("2026-10-09"))}
        assert before == {"A-1": ("open", 240), "A-2": ("open", 99), "A-3": ("open", 500)}
        after = {i.invoice_number: (i.status, i.open_amount) for i in load_invoices(world.con, D("2026-10-20"))}
        assert after == {"A-1": ("partially_paid", 200), "A-2": ("paid", 0), "A-3": ("credited", 0)}

        warehouse.build_model(world.con, "marts", "invoices", {"as_of": D("2026-10-20")})
        mart = dict(
            world.con.execute(
                "select invoice_number, status from marts.invoices where document_type = 'invoice'"
            ).fetchall()
        )
        assert {n: s for n, (s, _) in after.items()} == mart

        engine = ops.open_store(relance_home.operational_url)
        build_reminder_batch(world.con, engine, load_policies(POLICIES), D("2026-10-20"), NOW, as_of=D("2026-10-20"))
        assert settled_check(world.con, engine, D("2026-10-20"), NOW, kinds=REMINDER_KINDS)[0]
        lines = {(line["invoice_number"], line["state"], line["reason"]) for line in lines_for(engine, D("2026-10-20"))}
        # A-1 caught up: d1 and d10 both due, only the furthest (d10) is drafted
        assert lines == {
            ("A-1", "draft", None),
            ("A-1", "ignored", "superseded_by_later_step"),
            ("A-2", "ignored", "paid"),
            ("A-3", "ignored", "credited"),
        }
    finally:
        world.close()
