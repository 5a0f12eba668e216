"""A generated demo company holds every kind of sale (customers in the EU and outside it, goods, services and
mixed invoices, discounts, a foreign currency, other delivery sites) and, through the real ingest and the
production batch, none of its invoices ends validation_failed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from channels.documents.company import load_company
from channels.documents.loading import WarehouseInvoices
from channels.documents.production import prepare_batch, render_batch
from demo.generator import GeneratorConfig
from demo.generator.generator import generate
from stores.documents import DocumentStore
from stores.operational import events, open_store
from tests.assets.ingest.helpers import ingest_and_build


@pytest.mark.slow
def test_every_kind_of_sale_is_generated_and_none_is_held_back(relance_home):
    export = relance_home.inbox / "export-2026-09"
    config = GeneratorConfig(
        customers=60, invoices=240, seed=7, as_of=date(2026, 9, 30), months=3, attachment_share=0.1, write_fec=False
    )
    generated = generate(config, export)
    exports = [str(generated.files[name]) for name in ("customers", "invoices", "invoice_lines")]
    con, _ = ingest_and_build(relance_home.warehouse, exports)
    company = load_company(home_root=relance_home.root)
    reader = WarehouseInvoices(company, con)
    numbers = [n for (n,) in con.execute("select invoice_number from staging.invoices").fetchall()]
    seen = {"frames": set(), "bt23": set(), "categories": set(), "currencies": set()}
    discounts = deliveries = 0
    for number in numbers:
        invoice = reader.load(number)
        seen["frames"].add(invoice.frame.value)
        seen["bt23"].add(invoice.operation_category.value)
        seen["categories"] |= {entry.category for entry in invoice.vat_breakdown}
        seen["currencies"].add(invoice.currency)
        discounts += bool(invoice.allowances or any(line.allowances for line in invoice.lines))
        deliveries += invoice.delivery.exported
    assert seen == {
        "frames": {"B2B", "B2BINT"},
        "bt23": {"B1", "S1", "M1"},
        "categories": {"S", "K", "AE", "G"},
        "currencies": {"EUR", "USD"},
    }
    assert discounts and deliveries

    engine = open_store(relance_home.operational_url)
    batch = prepare_batch(con, engine, company)
    con.close()
    summary = render_batch(batch, engine, company, DocumentStore(relance_home.documents), workers=1)

    assert summary.failed_rules == {} and summary.invalid == 0
    assert summary.valid == len(numbers)
    with engine.connect() as conn:
        assert conn.execute(select(events).where(events.c.event_type == "validation_failed")).all() == []
    engine.dispose()
