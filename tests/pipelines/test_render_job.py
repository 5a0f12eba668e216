"""The render job splits pending invoices into disjoint shares (one step each, spread over processes or
Celery workers by RELANCE_EXECUTOR): together they render every invoice exactly once."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from channels.documents.production import in_chunk
from pipelines.documents import render_job, render_run_config
from pipelines.resources import RelanceResource
from stores.operational import document_index, events, open_store, outbox
from tests.channels.documents.warehouse_fixture import build_warehouse


def test_shares_are_disjoint_and_cover_every_invoice():
    numbers = [f"FA-2026-{n:05d}" for n in range(500)]
    owners = [[i for i in range(3) if in_chunk(number, i, 3)] for number in numbers]
    assert all(len(o) == 1 for o in owners)
    assert min(Counter(o[0] for o in owners).values()) > 100  # roughly even


@pytest.mark.slow
def test_render_job_in_shares_renders_each_invoice_once(relance_home):
    build_warehouse(relance_home.warehouse)
    url = relance_home.operational_url
    resources = {"relance": RelanceResource(home=str(relance_home.root), operational_url=url)}

    result = render_job.execute_in_process(run_config=render_run_config(chunks=3), resources=resources)

    assert result.success
    assert result.output_for_node("render_summary") == {"candidates": 5, "valid": 4, "invalid": 1, "enqueued": 4}
    engine = open_store(url)
    with engine.connect() as conn:
        pdfs = conn.execute(select(document_index.c.invoice_number).where(document_index.c.format == "pdf")).scalars()
        assert Counter(pdfs) == Counter({"FA-2026-0042": 1, "FA-2026-0043": 1, "FA-2026-0044": 1, "AV-2026-0001": 1})
        assert len(conn.execute(select(outbox)).all()) == 4
        rendered = conn.execute(select(events.c.invoice_number).where(events.c.event_type == "rendered")).scalars()
        assert max(Counter(rendered).values()) == 1

    again = render_job.execute_in_process(run_config=render_run_config(chunks=2), resources=resources)
    assert again.output_for_node("render_summary")["candidates"] == 0
    engine.dispose()
