"""Data access for the dashboard: queries on the serving snapshot, cached by the snapshot's modification time.

Plain Python (no Streamlit) so the pages stay thin and the benchmark can call exactly what the pages call.
Every aggregation runs in DuckDB; only the few rows a screen shows come back to Python. Results come back
as pandas DataFrames through Arrow, so DECIMAL money arrives as `Decimal` and DATE as `date`.

The snapshot is replaced atomically by the serving asset (os.replace); a new modification time means a
new file, so the cached connection and every cached result are dropped and the new file is opened.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from assets.business_date import business_date
from stores.home import relance_home
from stores.snapshot import open_snapshot

# The snapshot tables each screen reads (docs/dashboard.md). DASHBOARD_INVOICES and CHANNEL_DAILY are this
# domain's own marts (sql/marts/dashboard_*.sql): one narrow row per invoice, so screens scan without joins.
DASHBOARD_INVOICES = "marts.dashboard_invoices"
CHANNEL_DAILY = "marts.dashboard_channel_daily"
INVOICES = "marts.invoices"
CUSTOMERS = "marts.customers"
PAYMENTS = "staging.payments"
DISPUTES = "staging.disputes"
CHANNEL_PERFORMANCE = "marts.delivery_channel_performance"
LATE_CAUSES = "marts.late_invoice_causes"
RISK_SCORES = "marts.risk_scores"
POSTAGE = "marts.kpi_postage"
KPI_SUMMARY = "marts.kpi_summary"

AGING_BUCKETS = ("not due", "1-30", "31-60", "61-90", "91+")
DELIVERY_EVENT_TYPES = ("sent", "delivered", "bounced", "rejected")
FUNNEL_STAGES = ("issued", "sent", "delivered", "retrieved", "paid")
CACHE_SIZE = 256


class MissingTable(LookupError):
    """A table a screen needs is not in the published snapshot (its pipeline has not published it yet)."""

    def __init__(self, table: str):
        super().__init__(f"{table} is not in the serving snapshot yet: materialize its assets and publish")
        self.table = table


class Snapshot:
    """A read-only view of the serving snapshot file, reopened whenever the file is replaced."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._version: tuple[int, int] | None = None
        self._tables: frozenset[str] = frozenset()
        self._cache: OrderedDict[tuple, pd.DataFrame] = OrderedDict()

    def _connection(self) -> duckdb.DuckDBPyConnection:
        stat = self.path.stat() if self.path.exists() else None
        version = (stat.st_mtime_ns, stat.st_ino) if stat else None
        with self._lock:
            if self._con is None or version != self._version:
                if self._con is not None:
                    # DuckDB caches database instances by path within a process: while the old connection is
                    # open, connecting again would hand back the replaced file. A query of another session
                    # still running on it fails once and its page reruns on the new file.
                    self._con.close()
                    self._con = None
                con = open_snapshot(self.path)  # raises FileNotFoundError with the command to run
                self._con, self._version = con, version
                self._tables = frozenset(
                    f"{schema}.{name}"
                    for schema, name in con.execute(
                        "select table_schema, table_name from information_schema.tables"
                    ).fetchall()
                )
                self._cache.clear()
            return self._con

    @property
    def version(self) -> tuple[int, int] | None:
        self._connection()
        return self._version

    def has(self, table: str) -> bool:
        self._connection()
        return table in self._tables

    def require(self, *tables: str) -> None:
        for table in tables:
            if not self.has(table):
                raise MissingTable(table)

    def frame(self, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run one query (cached per snapshot version, sql and parameters) and return a DataFrame."""
        con = self._connection()
        key = (self._version, sql, _freeze(params))
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key].copy()
        cursor = con.cursor()
        try:
            result = cursor.sql(sql, params=dict(params) if params else None).to_arrow_table().to_pandas()
        finally:
            cursor.close()
        with self._lock:
            self._cache[key] = result
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return result.copy()

    def row(self, sql: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        df = self.frame(sql, params)
        return df.iloc[0].to_dict() if len(df) else {}


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(_freeze(v) for v in value)
    return value


_snapshots: dict[Path, Snapshot] = {}
_snapshots_lock = threading.Lock()


def snapshot(path: Path | None = None) -> Snapshot:
    """The process-wide Snapshot for a path (default: RELANCE_HOME/serving/snapshot.duckdb)."""
    path = Path(path or relance_home().snapshot).resolve()
    with _snapshots_lock:
        if path not in _snapshots:
            _snapshots[path] = Snapshot(path)
        return _snapshots[path]


# --------------------------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class InvoiceFilters:
    """What the user narrowed the screen to; empty means everything. Applies to marts.dashboard_invoices `d`."""

    segments: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    customer_ids: tuple[str, ...] = ()
    invoice_numbers: tuple[str, ...] = ()
    min_days_overdue: int | None = None
    max_days_overdue: int | None = None
    min_open_amount: Decimal | None = None
    only_open: bool = False

    def where(self, as_of: date) -> tuple[str, dict[str, Any]]:
        """SQL conditions (joined with `and`) and their bound parameters."""
        clauses: list[str] = ["true"]
        params: dict[str, Any] = {}
        if self.segments:
            clauses.append("list_contains($segments, d.segment)")
            params["segments"] = list(self.segments)
        if self.channels:
            clauses.append("list_contains($channels, d.channel)")
            params["channels"] = list(self.channels)
        if self.languages:
            clauses.append("list_contains($languages, d.language)")
            params["languages"] = list(self.languages)
        if self.customer_ids:
            clauses.append("list_contains($customer_ids, d.customer_id)")
            params["customer_ids"] = list(self.customer_ids)
        if self.invoice_numbers:
            clauses.append("list_contains($invoice_numbers, d.invoice_number)")
            params["invoice_numbers"] = list(self.invoice_numbers)
        if self.only_open:
            clauses.append("d.open_amount > 0")
        if self.min_days_overdue is not None:
            clauses.append("date_diff('day', d.due_date, $filter_as_of) >= $min_days_overdue")
            params["min_days_overdue"] = int(self.min_days_overdue)
            params["filter_as_of"] = as_of
        if self.max_days_overdue is not None:
            clauses.append("date_diff('day', d.due_date, $filter_as_of) <= $max_days_overdue")
            params["max_days_overdue"] = int(self.max_days_overdue)
            params["filter_as_of"] = as_of
        if self.min_open_amount is not None:
            clauses.append("d.open_amount >= $min_open_amount")
            params["min_open_amount"] = Decimal(self.min_open_amount)
        return " and ".join(clauses), params

    def describe(self) -> dict[str, Any]:
        """A JSON-friendly description, stored in audit rows and campaign requests."""
        out: dict[str, Any] = {}
        for name in ("segments", "channels", "languages", "customer_ids", "invoice_numbers"):
            if getattr(self, name):
                out[name] = list(getattr(self, name))
        for name in ("min_days_overdue", "max_days_overdue"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.min_open_amount is not None:
            out["min_open_amount"] = str(self.min_open_amount)
        if self.only_open:
            out["only_open"] = True
        return out


NO_FILTERS = InvoiceFilters()

_FILTERED_INVOICES = f"{DASHBOARD_INVOICES} d"


# ------------------------------------------------------------------------------------------- basics


def as_of(snap: Snapshot) -> date:
    """The business date the snapshot describes: the date the analytics KPIs were computed for (the run's
    business date, e.g. `relance materialize --date`), else the publication date (UTC), else the latest
    extraction."""
    if snap.has(KPI_SUMMARY):
        value = snap.row(f"select max(as_of) as d from {KPI_SUMMARY}")
        if value.get("d") is not None:
            return value["d"]
    if snap.has("main.snapshot_info"):
        value = snap.row("select cast(max(published_at at time zone 'UTC') as date) as d from main.snapshot_info")
        if value.get("d") is not None:
            return value["d"]
    snap.require(INVOICES)
    value = snap.row(f"select cast(max(extracted_at) as date) as d from {INVOICES}")
    return value.get("d") or business_date()


def published_at(snap: Snapshot):
    if not snap.has("main.snapshot_info"):
        return None
    return snap.row("select max(published_at) as t from main.snapshot_info").get("t")


def filter_options(snap: Snapshot) -> dict[str, list[str]]:
    snap.require(CUSTOMERS)
    df = snap.frame(f"""
        select 'segments' as kind, segment as value from {CUSTOMERS} where segment is not null group by all
        union all
        select 'channels', preferred_channel from {CUSTOMERS} where preferred_channel is not null group by all
        union all
        select 'languages', language from {CUSTOMERS} where language is not null group by all
        order by kind, value
    """)
    return {kind: sorted(group["value"].tolist()) for kind, group in df.groupby("kind")} | {
        k: [] for k in ("segments", "channels", "languages") if k not in set(df["kind"])
    }


# ----------------------------------------------------------------------------------------- overview


def overview_kpis(snap: Snapshot, filters: InvoiceFilters = NO_FILTERS) -> dict[str, Any]:
    """Open and overdue receivables now and 30 days earlier (for the trend arrows), DSO over 90 days,
    average days late of invoices settled in the last 90 days, and the retrieval rate of sent invoices."""
    snap.require(DASHBOARD_INVOICES)
    day = as_of(snap)
    where, params = filters.where(day)
    # Receivables 30 days ago are rebuilt from settlement dates so the trend needs no history table.
    row = snap.row(
        f"""
        select
            coalesce(sum(open_amount), 0) as open_amount,
            count(*) filter (where open_amount > 0) as open_count,
            coalesce(sum(open_amount) filter (where due_date < $as_of), 0) as overdue_amount,
            count(*) filter (where open_amount > 0 and due_date < $as_of) as overdue_count,
            coalesce(sum(amount_incl_tax) filter (
                where issue_date <= $as_of - 30 and (settled_date is null or settled_date > $as_of - 30)
            ), 0) as open_amount_30d_ago,
            coalesce(sum(amount_incl_tax) filter (
                where due_date < $as_of - 30 and (settled_date is null or settled_date > $as_of - 30)
            ), 0) as overdue_amount_30d_ago,
            coalesce(sum(amount_incl_tax) filter (where issue_date > $as_of - 90 and issue_date <= $as_of), 0)
                as sales_90d,
            coalesce(sum(amount_incl_tax) filter (where issue_date > $as_of - 120 and issue_date <= $as_of - 30), 0)
                as sales_90d_30d_ago,
            avg(greatest(date_diff('day', due_date, settled_date), 0)) filter (
                where settled_date > $as_of - 90 and settled_date <= $as_of
            ) as avg_days_late,
            avg(greatest(date_diff('day', due_date, settled_date), 0)) filter (
                where settled_date > $as_of - 120 and settled_date <= $as_of - 30
            ) as avg_days_late_30d_ago,
            count(sent_at) as sent_count,
            count(*) filter (where sent_at is not null and is_retrieved) as retrieved_count
        from {_FILTERED_INVOICES} where {where}
    """,
        params | {"as_of": day},
    )
    kpis = dict(row)
    kpis["as_of"] = day
    kpis["dso"] = _dso(kpis["open_amount"], kpis["sales_90d"])
    kpis["dso_30d_ago"] = _dso(kpis["open_amount_30d_ago"], kpis["sales_90d_30d_ago"])
    kpis["retrieval_rate"] = (
        Decimal(kpis["retrieved_count"]) / Decimal(kpis["sent_count"]) if kpis["sent_count"] else None
    )
    return kpis


def _dso(receivables: Decimal, sales_90d: Decimal) -> Decimal | None:
    """Standard DSO: receivables / sales of the last 90 days × 90 days."""
    if not sales_90d:
        return None
    return (Decimal(receivables) / Decimal(sales_90d) * 90).quantize(Decimal("0.1"))


def aging(snap: Snapshot, filters: InvoiceFilters = NO_FILTERS) -> pd.DataFrame:
    """Open amount and invoice count per aging bucket (days past due as of the snapshot date)."""
    snap.require(DASHBOARD_INVOICES)
    day = as_of(snap)
    where, params = filters.where(day)
    df = snap.frame(
        f"""
        with scoped as (
            select d.open_amount, date_diff('day', d.due_date, $as_of) as days_past_due
            from {_FILTERED_INVOICES} where {where} and d.open_amount > 0
        )
        select
            case when days_past_due <= 0 then 'not due'
                 when days_past_due <= 30 then '1-30'
                 when days_past_due <= 60 then '31-60'
                 when days_past_due <= 90 then '61-90'
                 else '91+' end as bucket,
            sum(open_amount) as open_amount,
            count(*) as invoice_count
        from scoped group by all
    """,
        params | {"as_of": day},
    )
    full = pd.DataFrame({"bucket": list(AGING_BUCKETS)})
    out = full.merge(df, on="bucket", how="left")
    out["open_amount"] = out["open_amount"].apply(lambda v: v if isinstance(v, Decimal) else Decimal("0.00"))
    out["invoice_count"] = out["invoice_count"].fillna(0).astype(int)
    return out


def monthly_trend(snap: Snapshot, filters: InvoiceFilters = NO_FILTERS, months: int = 12) -> pd.DataFrame:
    """Per month of due date: invoiced amount, on-time rate of settled invoices and average days late."""
    snap.require(DASHBOARD_INVOICES)
    day = as_of(snap)
    where, params = filters.where(day)
    return snap.frame(
        f"""
        select
            date_trunc('month', d.due_date)::date as month,
            sum(d.amount_incl_tax) as invoiced_amount,
            count(*) as invoice_count,
            avg(case when d.settled_date <= d.due_date then 1.0 else 0.0 end)
                filter (where d.settled_date is not null) as on_time_rate,
            avg(greatest(d.days_late, 0)) filter (where d.settled_date is not null) as avg_days_late
        from {_FILTERED_INVOICES}
        where {where} and d.due_date > $as_of - $window_days and d.due_date <= $as_of
        group by all order by month
    """,
        params | {"as_of": day, "window_days": int(months * 31)},
    )


def kpi_summary(snap: Snapshot) -> dict[str, Any] | None:
    """The analytics' company-wide KPIs (DSO standard and countback, best possible DSO, average days
    delinquent, collection effectiveness index), for the latest date they were computed on."""
    if not snap.has(KPI_SUMMARY):
        return None
    return snap.row(f"select * from {KPI_SUMMARY} order by as_of desc limit 1") or None


def postage(snap: Snapshot) -> dict[str, Any] | None:
    """Paper letters avoided and the postage that saved, as published by the analytics KPIs."""
    if not snap.has(POSTAGE):
        return None
    return snap.row(f"select * from {POSTAGE} limit 1")


def pre_due_alerts(
    snap: Snapshot, filters: InvoiceFilters = NO_FILTERS, horizon_days: int = 14, limit: int = 500
) -> pd.DataFrame:
    """Open invoices falling due within the horizon that something threatens: never retrieved, bounced,
    rejected by a platform, or disputed. One row per invoice with every alert that applies."""
    snap.require(DASHBOARD_INVOICES)
    day = as_of(snap)
    where, params = filters.where(day)
    return snap.frame(
        f"""
        with flagged as (
            select d.invoice_number, d.customer_id, d.customer_name, d.segment, d.channel, d.due_date,
                   d.open_amount,
                   d.sent_at is not null and not d.is_retrieved as not_retrieved,
                   d.bounced_at is not null as bounced,
                   d.rejected_at is not null as rejected,
                   d.disputed_on is not null as disputed
            from {_FILTERED_INVOICES}
            where {where} and d.open_amount > 0 and d.due_date >= $as_of and d.due_date <= $as_of + $horizon
        )
        select *,
               concat_ws(', ',
                   case when not_retrieved then 'not retrieved' end,
                   case when bounced then 'bounced' end,
                   case when rejected then 'rejected' end,
                   case when disputed then 'disputed' end) as alerts
        from flagged
        where not_retrieved or bounced or rejected or disputed
        order by due_date, open_amount desc, invoice_number
        limit $limit
    """,
        params | {"as_of": day, "horizon": int(horizon_days), "limit": int(limit)},
    )


# ---------------------------------------------------------------------------------------- retrieval


def retrieval_by_customer(
    snap: Snapshot, filters: InvoiceFilters = NO_FILTERS, *, only_never_retrieved: bool = False, limit: int = 1000
) -> pd.DataFrame:
    """Per customer: invoices sent, retrieved, never retrieved, retrieval rate and the last retrieval."""
    snap.require(DASHBOARD_INVOICES)
    where, params = filters.where(as_of(snap))
    having = "having count(*) filter (where not d.is_retrieved) > 0" if only_never_retrieved else ""
    return snap.frame(
        f"""
        select d.customer_id, any_value(d.customer_name) as customer_name, any_value(d.segment) as segment,
               any_value(d.channel) as channel,
               count(*) as invoices_sent,
               count(*) filter (where d.is_retrieved) as retrieved,
               count(*) filter (where not d.is_retrieved) as never_retrieved,
               round(count(*) filter (where d.is_retrieved) / count(*), 4) as retrieval_rate,
               sum(d.open_amount) as open_amount,
               max(d.first_retrieved_at) as last_first_retrieval_at
        from {_FILTERED_INVOICES}
        where {where} and d.sent_at is not null
        group by d.customer_id
        {having}
        order by retrieval_rate, open_amount desc, d.customer_id
        limit $limit
    """,
        params | {"limit": int(limit)},
    )


def funnel(snap: Snapshot, filters: InvoiceFilters = NO_FILTERS, by: str | None = None) -> pd.DataFrame:
    """Invoices reaching each stage issued → sent → delivered → retrieved → paid, overall or by channel or
    segment. Long format: group, stage, invoices."""
    snap.require(DASHBOARD_INVOICES)
    if by not in (None, "channel", "segment"):
        raise ValueError(f"funnel can be split by 'channel' or 'segment', not {by!r}")
    # the channel an invoice actually went out on, else the one it is billed on
    group = {"channel": "coalesce(d.sent_channel, d.billing_channel)", "segment": "d.segment", None: "'all'"}[by]
    where, params = filters.where(as_of(snap))
    wide = snap.frame(
        f"""
        select coalesce({group}, '(none)') as "group",
               count(*) as issued,
               count(d.sent_at) as sent,
               count(d.delivered_at) as delivered,
               count(*) filter (where d.is_retrieved) as retrieved,
               count(*) filter (where d.status = 'paid') as paid
        from {_FILTERED_INVOICES}
        where {where}
        group by all order by issued desc, "group"
    """,
        params,
    )
    return wide.melt(id_vars="group", value_vars=list(FUNNEL_STAGES), var_name="stage", value_name="invoices")


def invoices_table(snap: Snapshot, filters: InvoiceFilters = NO_FILTERS, limit: int = 1000) -> pd.DataFrame:
    """Invoices with their delivery and retrieval state (for exports, drill-downs and campaign selection)."""
    snap.require(DASHBOARD_INVOICES)
    where, params = filters.where(as_of(snap))
    return snap.frame(
        f"""
        select d.invoice_number, d.customer_id, d.customer_name, d.segment, d.channel, d.issue_date,
               d.due_date, d.amount_incl_tax, d.open_amount, d.currency, d.status, d.days_late, d.sent_at,
               d.delivered_at, d.first_retrieved_at, d.is_retrieved as retrieved
        from {_FILTERED_INVOICES}
        where {where}
        order by d.due_date desc, d.invoice_number
        limit $limit
    """,
        params | {"limit": int(limit)},
    )


# ----------------------------------------------------------------------------- late-payment origins


def _late_scope(filters: InvoiceFilters, as_of_day: date) -> tuple[str, dict[str, Any]]:
    """The late invoices in scope: the whole mart when nothing is filtered (no join), else those whose
    invoice passes the filters (a semi-join on the dashboard's invoice table)."""
    if filters == NO_FILTERS:
        return f"select * from {LATE_CAUSES}", {}
    where, params = filters.where(as_of_day)
    return (
        f"select * from {LATE_CAUSES} where invoice_number in "
        f"(select d.invoice_number from {_FILTERED_INVOICES} where {where})"
    ), params


def late_cause_pareto(snap: Snapshot, filters: InvoiceFilters = NO_FILTERS) -> pd.DataFrame:
    """Causes of late payment ranked by late amount, with the cumulative share (the Pareto line)."""
    snap.require(DASHBOARD_INVOICES, LATE_CAUSES)
    scope, params = _late_scope(filters, as_of(snap))
    return snap.frame(
        f"""
        with scoped as ({scope}),
        by_cause as (
            select primary_cause as cause, any_value(side) as side, count(*) as invoices,
                   sum(amount) as late_amount, sum(overdue_amount) as overdue_amount, sum(days_late) as days_late
            from scoped
            group by primary_cause
        )
        select *,
               late_amount / sum(late_amount) over () as share,
               sum(late_amount) over (order by late_amount desc, cause rows unbounded preceding)
                   / sum(late_amount) over () as cumulative_share
        from by_cause order by late_amount desc, cause
    """,
        params,
    )


def late_side_split(pareto: pd.DataFrame) -> pd.DataFrame:
    """Issuer-side vs customer-side share of late amount and of days late, from the Pareto rows."""
    if pareto.empty:
        return pd.DataFrame(columns=["side", "invoices", "late_amount", "days_late", "amount_share", "days_share"])
    sides = pareto.groupby("side", as_index=False).agg(
        invoices=("invoices", "sum"),
        late_amount=("late_amount", lambda v: sum(v, Decimal("0"))),
        days_late=("days_late", "sum"),
    )
    total_amount, total_days = sum(sides["late_amount"], Decimal("0")), sides["days_late"].sum()
    sides["amount_share"] = [float(a / total_amount) if total_amount else 0.0 for a in sides["late_amount"]]
    sides["days_share"] = [float(d / total_days) if total_days else 0.0 for d in sides["days_late"]]
    return sides.sort_values("side").reset_index(drop=True)


def late_invoices_for_cause(
    snap: Snapshot, cause: str, filters: InvoiceFilters = NO_FILTERS, limit: int = 500
) -> pd.DataFrame:
    """The drill-down: late invoices of one cause, longest late first, with the evidence that assigned it."""
    snap.require(DASHBOARD_INVOICES, LATE_CAUSES)
    scope, params = _late_scope(filters, as_of(snap))
    return snap.frame(
        f"""
        with scoped as ({scope})
        select invoice_number, customer_id, customer_name, settled_on, days_late, amount, overdue_amount, side,
               all_causes, evidence
        from scoped
        where primary_cause = $cause
        order by days_late desc, amount desc, invoice_number
        limit $limit
    """,
        params | {"cause": cause, "limit": int(limit)},
    )


# ---------------------------------------------------------------------------------------------- risk


def at_risk(snap: Snapshot, filters: InvoiceFilters = NO_FILTERS, limit: int = 200) -> pd.DataFrame:
    """Open invoices ranked by expected late exposure: probability of late payment × open amount."""
    snap.require(DASHBOARD_INVOICES, RISK_SCORES)
    where, params = filters.where(as_of(snap))
    # Rank on two columns first; only the rows shown get their display columns and factors decoded.
    return snap.frame(
        f"""
        with ranked as (
            select d.invoice_number, cast(s.probability_late * d.open_amount as decimal(18, 2)) as exposure
            from {_FILTERED_INVOICES} join {RISK_SCORES} s on s.invoice_number = d.invoice_number
            where {where} and d.open_amount > 0
            order by exposure desc, d.invoice_number
            limit $limit
        )
        select d.invoice_number, d.customer_id, d.customer_name, d.segment, d.language,
               d.due_date, d.open_amount, d.currency,
               s.probability_late, s.expected_days_late, s.risk_band, ranked.exposure,
               -- "feature (+12.3 pts)": how far the typical value of the feature would move the probability
               list_transform(
                   from_json(s.top_factors, '[{{"feature": "VARCHAR", "contribution": "DOUBLE"}}]'),
                   lambda f: f.feature || ' (' || case when f.contribution >= 0 then '+' else '' end
                        || round(f.contribution * 100, 1) || ' pts)'
               ) as top_factors
        from ranked
        join {_FILTERED_INVOICES} on d.invoice_number = ranked.invoice_number
        join {RISK_SCORES} s on s.invoice_number = ranked.invoice_number
        order by ranked.exposure desc, d.invoice_number
    """,
        params | {"limit": int(limit)},
    )


# ------------------------------------------------------------------------------------- customer 360


def find_customers(snap: Snapshot, text: str = "", limit: int = 50) -> pd.DataFrame:
    snap.require(CUSTOMERS)
    return snap.frame(
        f"""
        select customer_id, name, segment, preferred_channel, open_amount, overdue_amount
        from {CUSTOMERS}
        where $text = '' or customer_id ilike '%' || $text || '%' or name ilike '%' || $text || '%'
        order by overdue_amount desc nulls last, customer_id
        limit $limit
    """,
        {"text": text.strip(), "limit": int(limit)},
    )


def customer(snap: Snapshot, customer_id: str) -> dict[str, Any]:
    snap.require(CUSTOMERS)
    row = snap.row(f"select * from {CUSTOMERS} where customer_id = $id", {"id": customer_id})
    if not row:
        raise LookupError(f"no customer {customer_id!r} in the snapshot")
    return row


def customer_invoices(snap: Snapshot, customer_id: str, limit: int = 1000) -> pd.DataFrame:
    return invoices_table(snap, InvoiceFilters(customer_ids=(customer_id,)), limit=limit)


def invoice(snap: Snapshot, invoice_number: str) -> dict[str, Any]:
    snap.require(INVOICES)
    row = snap.row(f"select * from {INVOICES} where invoice_number = $n", {"n": invoice_number})
    if not row:
        raise LookupError(f"no invoice {invoice_number!r} in the snapshot")
    return row


def invoice_payments(snap: Snapshot, invoice_number: str) -> pd.DataFrame:
    if not snap.has(PAYMENTS):
        return pd.DataFrame(columns=["payment_id", "payment_date", "amount", "currency", "method", "reference"])
    return snap.frame(
        f"""
        select payment_id, payment_date, amount, currency, method, reference
        from {PAYMENTS} where invoice_number = $n order by payment_date, payment_id
    """,
        {"n": invoice_number},
    )


def invoice_disputes(snap: Snapshot, invoice_number: str) -> pd.DataFrame:
    if not snap.has(DISPUTES):
        return pd.DataFrame(columns=["opened_on", "reason", "disputed_amount", "resolved_on"])
    return snap.frame(
        f"""
        select opened_on, reason, disputed_amount, resolved_on
        from {DISPUTES} where invoice_number = $n order by opened_on
    """,
        {"n": invoice_number},
    )


# ---------------------------------------------------------------------------------------- channels


def channel_activity(
    snap: Snapshot, *, days: int = 90, channels: Sequence[str] = (), grain: str = "day"
) -> pd.DataFrame:
    """Sends, deliveries, bounces and rejections per channel and day (or week, month) over the last `days`."""
    snap.require(CHANNEL_DAILY)
    if grain not in ("day", "week", "month"):
        raise ValueError(f"grain must be day, week or month, not {grain!r}")
    day = as_of(snap)
    channel_clause = "and list_contains($channels, channel)" if channels else ""
    params: dict[str, Any] = {"since": day - timedelta(days=int(days)), "grain": grain}
    if channels:
        params["channels"] = list(channels)
    return snap.frame(
        f"""
        select date_trunc($grain, day)::date as period, channel, event_type, sum(events)::bigint as events
        from {CHANNEL_DAILY}
        where day >= $since {channel_clause}
        group by all order by period, channel, event_type
    """,
        params,
    )


def channel_performance(snap: Snapshot) -> pd.DataFrame:
    """Per channel: delivery rate, bounce rate and median time to retrieval (the portal's metrics)."""
    snap.require(CHANNEL_PERFORMANCE)
    return snap.frame(f"select * from {CHANNEL_PERFORMANCE} order by 1")
