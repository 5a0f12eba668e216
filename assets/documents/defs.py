"""Dagster asset of the documents domain: Factur-X PDF, CII, UBL and EDIFACT for newly issued invoices,
validated, stored, indexed and queued for delivery. Thin wiring: the work is in channels/documents."""

from datetime import date

import dagster as dg

from pipelines.resources import WAREHOUSE_POOL, RelanceResource

GROUP = "documents"
STAGING_DEPS = [dg.AssetKey(["staging", t]) for t in ("invoices", "invoice_lines", "customers")]


class DocumentsConfig(dg.Config):
    workers: int = 2  # rendering processes (WeasyPrint and Saxon are CPU-bound: one per core)
    chunk_size: int = 10  # invoices per task sent to a worker
    issued_since: str | None = None  # ISO date: only invoices issued on or after it
    limit: int | None = None  # at most this many invoices in one run
    company_file: str | None = None  # default RELANCE_COMPANY_CONFIG or config/company.toml


@dg.asset(
    key=["documents", "invoice_documents"],
    deps=STAGING_DEPS,
    group_name=GROUP,
    kinds={"pdf", "xml"},
    # Reads the DuckDB file, which DuckDB locks against writers: runs in the warehouse pool like its writers.
    pool=WAREHOUSE_POOL,
    automation_condition=dg.AutomationCondition.eager(),
    description="Renders and validates (XSD + EN 16931 + BR-FR) every issued invoice without documents, "
    "stores and indexes the files, records rendered/validated/validation_failed events and "
    "queues valid invoices in the outbox for the customer's channel.",
)
def invoice_documents(
    context: dg.AssetExecutionContext, config: DocumentsConfig, relance: RelanceResource
) -> dg.MaterializeResult:
    from channels.documents.company import load_company
    from channels.documents.production import prepare_batch, render_batch
    from stores.documents import DocumentStore

    home = relance.paths
    company = load_company(config.company_file, home.root)
    engine = relance.opstore()
    since = date.fromisoformat(config.issued_since) if config.issued_since else None
    if not home.warehouse.exists():
        raise dg.Failure(f"no warehouse at {home.warehouse}: run the ingest job first")
    with relance.warehouse(read_only=True) as con:
        batch = prepare_batch(con, engine, company, issued_since=since, limit=config.limit)
    context.log.info(f"{batch.summary.candidates} invoice(s) need documents")
    summary = render_batch(
        batch,
        engine,
        company,
        DocumentStore(home.documents),
        workers=config.workers,
        chunk_size=config.chunk_size,
        progress=lambda s: context.log.info(f"{s.valid + s.invalid}/{s.candidates} done, {s.invalid} invalid"),
    )
    engine.dispose()
    return dg.MaterializeResult(
        metadata={
            "candidates": dg.MetadataValue.int(summary.candidates),
            "valid": dg.MetadataValue.int(summary.valid),
            "validation_failed": dg.MetadataValue.int(summary.invalid),
            "enqueued": dg.MetadataValue.int(summary.enqueued),
            # no valid e-invoice, sent as their valid Factur-X PDF by e-mail or paper (reason on the event)
            "pdf_fallback": dg.MetadataValue.int(summary.pdf_fallback),
            "skipped_unchanged_failures": dg.MetadataValue.int(summary.skipped_failed_version),
            "failed_rules": dg.MetadataValue.json(summary.failed_rules),
        }
    )


@dg.asset_check(asset=invoice_documents, description="Share of rendered invoices that failed validation.")
def documents_validation_failures(
    context: dg.AssetCheckExecutionContext, relance: RelanceResource
) -> dg.AssetCheckResult:
    from sqlalchemy import func, select

    from stores.operational import events

    engine = relance.opstore()
    with engine.connect() as conn:
        counts = dict(
            conn.execute(
                select(events.c.event_type, func.count())
                .where(events.c.source == "documents", events.c.event_type.in_(("validated", "validation_failed")))
                .group_by(events.c.event_type)
            ).all()
        )
    engine.dispose()
    failed, passed = counts.get("validation_failed", 0), counts.get("validated", 0)
    return dg.AssetCheckResult(
        passed=failed == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"validated": passed, "validation_failed": failed},
        description=None if failed == 0 else f"{failed} invoice(s) held back by validation: see their events",
    )


ASSETS = [invoice_documents]
CHECKS = [documents_validation_failures]
