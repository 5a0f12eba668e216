"""Dagster assets of the ingest domain: raw (files taken in) -> staging (latest extraction) -> marts
(settlement as of the run's business date), with the checks a data engineer watches in the UI. Thin wiring:
the work is in assets/ingest (plain Python) and sql/ (built by assets/sql_assets.py)."""

import dagster as dg

from assets.business_date import business_date
from assets.ingest import checks
from assets.ingest.load import RAW_TABLES, create_raw_tables, ingest_into, pending_files
from assets.sql_assets import build_metadata, sql_asset
from pipelines.resources import WAREHOUSE_POOL, RelanceResource

GROUP = "ingest"
STAGING_TABLES = ("customers", "invoices", "invoice_history", "invoice_lines", "payments", "disputes", "quarantine")
RAW_KEYS = [dg.AssetKey(["raw", t]) for t in RAW_TABLES]


class IngestConfig(dg.Config):
    paths: list[str] = []  # noqa: RUF012 - pydantic copies the default; empty: every inbox file not ingested yet
    profile: str | None = None  # a profile name from config/profiles, or a .toml path


@dg.multi_asset(
    specs=[
        dg.AssetSpec(key, group_name=GROUP, kinds={"duckdb"}, description=f"ERP export rows taken in: {key.path[-1]}")
        for key in RAW_KEYS
    ],
    pool=WAREHOUSE_POOL,
    can_subset=False,
)
def raw_ingest(context: dg.AssetExecutionContext, config: IngestConfig, relance: RelanceResource):
    with relance.warehouse() as con:
        create_raw_tables(con)
        paths = config.paths or [str(p) for p in pending_files(con, relance.paths.inbox)]
        reports = ingest_into(con, paths, config.profile, detail=False)
        counts = {t: con.execute(f"select count(*) from raw.{t}").fetchall()[0][0] for t in RAW_TABLES}
    unreadable = [r for r in reports if "error" in r]
    for report in unreadable:
        context.log.warning(report["error"])
    files = [
        {
            k: r.get(k)
            for k in (
                "file",
                "sha256",
                "profile",
                "rows_read",
                "accepted",
                "quarantined",
                "duplicates",
                "footer_lines",
                "already_ingested",
                "error",
            )
        }
        for r in reports
    ]
    for table, key in zip(RAW_TABLES, RAW_KEYS):
        metadata = build_metadata(counts[table])
        if table == "ingest_files":
            metadata.update(
                {
                    "files": dg.MetadataValue.json(files),
                    "rows_read": dg.MetadataValue.int(sum(r.get("rows_read") or 0 for r in reports)),
                    "accepted": dg.MetadataValue.int(sum(r.get("accepted") or 0 for r in reports)),
                    "quarantined": dg.MetadataValue.int(sum(r.get("quarantined") or 0 for r in reports)),
                    "duplicates": dg.MetadataValue.int(sum(r.get("duplicates") or 0 for r in reports)),
                    "unreadable": dg.MetadataValue.json([r["error"] for r in unreadable]),
                }
            )
        yield dg.MaterializeResult(asset_key=key, metadata=metadata)


STAGING_ASSETS = [
    sql_asset(
        "staging",
        t,
        group=GROUP,
        description=f"sql/staging/{t}.sql: latest extraction of each {t} record",
        before_build=create_raw_tables,  # a fresh warehouse builds empty staging tables rather than failing
    )
    for t in STAGING_TABLES
]
MARTS_ASSETS = [
    sql_asset(
        "marts",
        "invoices",
        group=GROUP,
        description="Each invoice with paid, credited and open amounts, settled date, status and lateness",
        before_build=create_raw_tables,
    ),
    sql_asset(
        "marts",
        "customers",
        group=GROUP,
        description="Each customer with open and overdue amounts and invoice count",
        before_build=create_raw_tables,
    ),
]


def _check_result(outcome: checks.CheckOutcome) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR if outcome.blocking else dg.AssetCheckSeverity.WARN,
        description=outcome.summary,
        metadata={
            k: (dg.MetadataValue.json(v) if isinstance(v, (list, dict)) else v) for k, v in outcome.metadata.items()
        },
    )


@dg.asset_check(
    asset=dg.AssetKey(["raw", "ingest_files"]),
    name="counts_reconcile",
    description="Per file: rows read = accepted + quarantined + duplicates, and the raw tables hold them",
)
def counts_reconcile(relance: RelanceResource) -> dg.AssetCheckResult:
    with relance.warehouse() as con:
        return _check_result(checks.counts_reconcile(con))


@dg.asset_check(
    asset=dg.AssetKey(["staging", "invoices"]),
    name="invoice_numbers_unique_per_issuer",
    description="No invoice number appears twice for the same issuer",
)
def invoice_numbers_unique(relance: RelanceResource) -> dg.AssetCheckResult:
    with relance.warehouse() as con:
        return _check_result(checks.invoice_numbers_unique(con))


@dg.asset_check(
    asset=dg.AssetKey(["staging", "invoices"]),
    name="totals_add_up",
    description="Amount excl. tax + tax = amount incl. tax within a cent, where all three are given",
)
def totals_add_up(relance: RelanceResource) -> dg.AssetCheckResult:
    with relance.warehouse() as con:
        return _check_result(checks.totals_add_up(con))


@dg.asset_check(
    asset=dg.AssetKey(["staging", "invoices"]),
    name="dates_plausible",
    description="Due on or after issue, issued after 1990 and not far in the future, paid after issue",
)
def dates_plausible(context: dg.AssetCheckExecutionContext, relance: RelanceResource) -> dg.AssetCheckResult:
    with relance.warehouse() as con:
        return _check_result(checks.dates_plausible(con, business_date(context)))


ASSETS = [raw_ingest, *STAGING_ASSETS, *MARTS_ASSETS]
CHECKS = [counts_reconcile, invoice_numbers_unique, totals_add_up, dates_plausible]
