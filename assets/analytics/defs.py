"""Dagster assets and checks of the analytics domain: receivable KPIs, delivery and access against payment
outcomes, late-payment origins, reminder effectiveness and the overdue-risk score.

Thin: the SQL lives in sql/intermediate and sql/marts (one asset per file, built by assets/sql_assets.py,
its upstream keys read from the tables the statement names), the Python in assets/analytics. Every KPI is
taken as of the run's business date (assets/business_date.py); the models' other parameters come from the
`analytics_settings` resource (pipelines/resources.py).
"""

from datetime import date

import dagster as dg

from assets.business_date import business_date
from assets.sql_assets import build_metadata, sql_asset
from pipelines.resources import WAREHOUSE_POOL, RelanceResource

GROUP = "analytics"

# order matters only for readability: Dagster orders by the dependencies read from the SQL
SQL_MODELS = (
    (
        "intermediate",
        "analytics_invoice_events",
        "Per invoice: sending, delivery, retrieval, rejection, refusal and promise events known on the run date.",
    ),
    (
        "intermediate",
        "analytics_invoices",
        "Per invoice: balance, lateness, channel, access and dispute facts as they stood on the run date.",
    ),
    ("intermediate", "analytics_receivable_snapshots", "Receivables at each month end and at the period start."),
    ("marts", "kpi_aging", "Open receivables by days past due: current, 1-30, 31-60, 61-90, 90+."),
    (
        "marts",
        "kpi_summary",
        (
            "DSO (standard, countback), best possible DSO, average days delinquent, CEI, "
            "on-time rate and days-to-pay statistics."
        ),
    ),
    ("marts", "kpi_overdue_by_customer", "Open and overdue amount per customer."),
    ("marts", "kpi_overdue_by_segment", "Open and overdue amount per customer segment."),
    ("marts", "kpi_days_to_pay", "Distribution of days to pay and days late of invoices settled in the period."),
    ("marts", "kpi_monthly_trends", "Invoiced, collected, punctuality and receivables month by month."),
    ("marts", "kpi_postage", "Postage spent on paper letters and saved by electronic delivery."),
    ("marts", "late_rates", "Late rate (Wilson 95% interval) by channel, retrieval, time to retrieval, dispute."),
    ("intermediate", "late_cause_candidates", "Every late-payment cause that applies to each late invoice."),
    ("marts", "late_invoice_causes", "One primary cause per late invoice, by the documented precedence."),
    ("marts", "late_origin_by_cause", "Late invoices, overdue amount and days late per primary cause."),
    ("marts", "late_origin_by_customer", "Share of overdue amount and days late due to issuer-side causes."),
    ("marts", "late_origin_summary", "Overall share of overdue amount and days late due to issuer-side causes."),
    ("intermediate", "reminder_outcomes", "Each reminder sent with what happened next."),
    ("intermediate", "risk_features", "Point-in-time features of the overdue-risk model."),
)


def _settings(context: dg.AssetExecutionContext, day: date) -> dict:
    return context.resources.analytics_settings.parameters(day)


SQL_ASSETS = [
    sql_asset(
        layer,
        name,
        group=GROUP,
        description=description,
        parameters=_settings,
        resources=("analytics_settings",),
    )
    for layer, name, description in SQL_MODELS
]


@dg.asset(
    key=["marts", "reminder_effectiveness"],
    deps=[dg.AssetKey(["intermediate", "reminder_outcomes"])],
    group_name=GROUP,
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "python"},
    description="Payment rate (Wilson 95%) and days to pay (t 95%) after each reminder step, per channel "
    "and per experiment variant.",
)
def reminder_effectiveness(context: dg.AssetExecutionContext, relance: RelanceResource) -> dg.MaterializeResult:
    from assets.analytics.reminders import build_reminder_effectiveness

    with relance.warehouse() as con:
        rows = build_reminder_effectiveness(con)
    return dg.MaterializeResult(metadata=build_metadata(rows, business_date(context)))


RISK_KEYS = ("risk_scores", "risk_calibration", "risk_model_metrics")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["marts", "risk_scores"],
            deps=[dg.AssetKey(["intermediate", "risk_features"]), dg.AssetKey(["marts", "invoices"])],
            group_name=GROUP,
            kinds={"duckdb", "scikitlearn"},
            description="Each open invoice: probability of late payment, expected days late, top factors.",
        ),
        dg.AssetSpec(
            ["marts", "risk_calibration"],
            group_name=GROUP,
            kinds={"duckdb"},
            description="Predicted against observed late rate on the time-ordered holdout.",
        ),
        dg.AssetSpec(
            ["marts", "risk_model_metrics"],
            group_name=GROUP,
            kinds={"duckdb"},
            description="AUC, Brier score and accuracy of the model and of the baseline.",
        ),
    ],
    pool=WAREHOUSE_POOL,
    can_subset=False,
)
def risk_model(context: dg.AssetExecutionContext, relance: RelanceResource):
    """Retrains the overdue-risk model on everything known on the run date and scores the open invoices."""
    from assets.analytics.risk import train_and_score

    as_of = business_date(context)
    with relance.warehouse() as con:
        summary = train_and_score(con, as_of)
        counts = {key: con.execute(f"select count(*) from marts.{key}").fetchall()[0][0] for key in RISK_KEYS}
    if summary["status"] != "trained":
        context.log.warning("risk model not trained on %s: %s", as_of, summary["status"])
    shown = {k: v for k, v in summary.items() if k not in ("features", "as_of")}
    for key in RISK_KEYS:
        metadata = build_metadata(counts[key], as_of)
        if key == "risk_model_metrics":
            metadata.update(
                {k: dg.MetadataValue.float(v) if isinstance(v, float) else v for k, v in shown.items() if v is not None}
            )
        yield dg.MaterializeResult(asset_key=["marts", key], metadata=metadata)


def _check(passed: bool, description: str, **metadata) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=passed, description=description, metadata=metadata)


@dg.asset_check(
    asset=dg.AssetKey(["marts", "kpi_aging"]),
    description="The aging buckets add up to the receivables of marts.kpi_summary.",
)
def aging_adds_up(relance: RelanceResource) -> dg.AssetCheckResult:
    with relance.warehouse(read_only=True) as con:
        buckets, total = con.execute(
            "select (select sum(open_amount) from marts.kpi_aging), (select receivable_amount from marts.kpi_summary)"
        ).fetchall()[0]
    return _check(
        buckets == total,
        "buckets sum to the receivable amount",
        buckets_total=str(buckets),
        receivable_amount=str(total),
    )


@dg.asset_check(
    asset=dg.AssetKey(["marts", "late_invoice_causes"]), description="Every late invoice has exactly one primary cause."
)
def one_cause_per_late_invoice(relance: RelanceResource) -> dg.AssetCheckResult:
    with relance.warehouse(read_only=True) as con:
        late, explained, distinct = con.execute(
            "select (select count(*) from intermediate.analytics_invoices where outcome_known and is_late), "
            "count(*), count(distinct invoice_number) from marts.late_invoice_causes"
        ).fetchall()[0]
    return _check(
        late == explained == distinct,
        "one row per late invoice",
        late_invoices=late,
        cause_rows=explained,
        distinct_invoices=distinct,
    )


@dg.asset_check(
    asset=dg.AssetKey(["marts", "risk_scores"]),
    description="Every open invoice is scored once, with a probability between 0 and 1.",
)
def every_open_invoice_scored(relance: RelanceResource) -> dg.AssetCheckResult:
    with relance.warehouse(read_only=True) as con:
        open_invoices, scored, out_of_range = con.execute(
            "select (select count(*) from intermediate.risk_features where scoring = 'open'), count(*), "
            "count(*) filter (where probability_late not between 0 and 1) from marts.risk_scores"
        ).fetchall()[0]
        status = con.execute("select status from marts.risk_model_metrics").fetchall()[0][0]
    if status != "trained":  # too little history is reported, not failed: nothing was scored on purpose
        return _check(scored == 0, status, open_invoices=open_invoices, scored=scored, status=status)
    return _check(
        open_invoices == scored and out_of_range == 0,
        "open invoices scored",
        open_invoices=open_invoices,
        scored=scored,
        out_of_range=out_of_range,
        status=status,
    )


ASSETS = [*SQL_ASSETS, reminder_effectiveness, risk_model]
CHECKS = [aging_adds_up, one_cause_per_late_invoice, every_open_invoice_scored]
