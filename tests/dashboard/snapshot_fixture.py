"""A serving snapshot for the dashboard tests and benchmark, published with the real stores.snapshot.publish.

The contract tables (marts.invoices, marts.customers, staging.payments, staging.disputes, staging.events)
and the analytics marts are generated in DuckDB SQL from `range()`, so the benchmark's million invoices take
seconds; every value is a deterministic function of the row number (no randomness), so tests can recompute
expectations in Python. The portal's retrieval marts and the dashboard's own marts are then built with
their real SQL (sql/intermediate, sql/marts) by stores.warehouse.build_model, as the Dagster assets do.

Besides the generated rows there is one hand-written customer, `C-EVIDENCE` (time zone America/New_York),
with invoice `F-EVIDENCE-1`, whose operational events the tests write to the operational store, and a
customer whose name starts with `=` to check exports against formula injection.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from stores import snapshot as snapshot_store
from stores import warehouse

AS_OF = date(2026, 6, 30)
PUBLISHED_AT = datetime(2026, 6, 30, 18, 0, tzinfo=timezone.utc)
SEGMENTS = ("sme", "key_account", "public")
CHANNELS = ("email", "platform", "edi", "paper")
TABLES = (
    "marts.invoices",
    "marts.customers",
    "staging.payments",
    "staging.disputes",
    "staging.customers",
    "staging.invoices",
    "marts.access_invoice_retrieval",
    "marts.delivery_channel_performance",
    "marts.late_invoice_causes",
    "marts.risk_scores",
    "marts.kpi_postage",
    "marts.kpi_summary",
    "marts.dashboard_invoices",
    "marts.dashboard_channel_daily",
)
# Built from the tables above with the project's SQL, in this order.
MODELS = (
    ("intermediate", "access_invoice_activity"),
    ("marts", "access_invoice_retrieval"),
    ("marts", "delivery_channel_performance"),
    ("marts", "dashboard_invoices"),
    ("marts", "dashboard_channel_daily"),
)


def build_snapshot(target: Path, *, invoices: int = 400, customers: int = 40, work_dir: Path | None = None) -> Path:
    """Generate the tables in a scratch warehouse file and publish them to `target` (the snapshot path)."""
    target = Path(target)
    work_dir = Path(work_dir or target.parent)
    work_dir.mkdir(parents=True, exist_ok=True)
    warehouse_file = work_dir / "fixture-warehouse.duckdb"
    warehouse_file.unlink(missing_ok=True)
    con = duckdb.connect(str(warehouse_file))
    try:
        fill_warehouse(con, invoices=invoices, customers=customers)
        for layer, name in MODELS:
            warehouse.build_model(con, layer, name)
        snapshot_store.publish(con, TABLES, target)
    finally:
        con.close()
        warehouse_file.unlink(missing_ok=True)
    # publish() stamps now(); the fixture's world is AS_OF, so the published date is set to match.
    fix = duckdb.connect(str(target))
    try:
        fix.execute("update main.snapshot_info set published_at = ?", [PUBLISHED_AT])
    finally:
        fix.close()
    return target


def fill_warehouse(con: duckdb.DuckDBPyConnection, *, invoices: int = 400, customers: int = 40) -> None:
    """The upstream tables (what ingest, the events copy and analytics leave in the warehouse)."""
    con.execute("set timezone = 'UTC'")
    for schema in ("staging", "intermediate", "marts"):
        con.execute(f"create schema if not exists {schema}")
    params = {"n": invoices, "nc": customers, "as_of": AS_OF}
    _customers(con, params)
    _invoices(con, params)
    _evidence_customer(con)
    _staging_copies(con)
    _payments_and_disputes(con)
    _events(con)
    _analytics(con)
    _customer_totals(con)


def _customers(con, params) -> None:
    con.execute(
        """
        create table marts.customers as
        select
            'C' || lpad(k::varchar, 5, '0') as customer_id,
            case when k = 1 then '=HYPERLINK("http://evil.example","click")' else 'Customer ' || k end as name,
            'billing' || k || '@customer.example' as email,
            null::varchar as phone, null::varchar as siren, null::varchar as vat_number, 'FR' as country,
            case when k % 3 = 0 then 'en' else 'fr' end as language,
            case when k % 3 = 0 then 'Europe/London' else 'Europe/Paris' end as timezone,
            ['sme', 'key_account', 'public'][1 + k % 3] as segment,
            ['vip']::varchar[] as tags,
            ['email', 'platform', 'edi', 'paper'][1 + k % 4] as preferred_channel,
            ['email']::varchar[] as fallback_channels,
            k || ' rue du Test' as address_line1, null::varchar as address_line2, '75001' as postcode,
            'Paris' as city, null::varchar as edi_gln, null::varchar as platform_id, null::varchar as ap_portal_id,
            30 as payment_terms_days, k % 17 = 0 as on_hold,
            'customers.csv' as source_file, $as_of::timestamptz as extracted_at
        from range(1, $nc + 1) t(k)
    """,
        {"nc": params["nc"], "as_of": params["as_of"]},
    )


def _invoices(con, params) -> None:
    # Issue dates spread over 400 days; invoices older than ~100 days are mostly settled, some late.
    con.execute(
        """
        create table marts.invoices as
        with base as (
            select
                n,
                'F' || lpad(n::varchar, 7, '0') as invoice_number,
                'C' || lpad((1 + n % $nc)::varchar, 5, '0') as customer_id,
                $as_of - (n * 7 % 400)::integer as issue_date,
                (100 + (n * 37 % 4900))::decimal(18, 2) + ((n % 100) / 100)::decimal(18, 2) as amount_incl_tax,
                n % 10 as decile
            from range(1, $n + 1) t(n)
        ),
        settled as (
            select *,
                issue_date + 30 as due_date,
                -- deciles 0-5 paid, 6 partially paid, 7-9 open; late by 0..45 days depending on the row
                case when decile <= 5 and issue_date + 30 + (n % 46)::integer <= $as_of
                     then issue_date + 30 + (case when n % 3 = 0 then (n % 46) else -(n % 5) end)::integer end
                    as settled_date
            from base
        )
        select
            'ISS' as issuer_id, invoice_number, 'invoice' as document_type, customer_id, issue_date,
            issue_date as delivery_date, due_date,
            (amount_incl_tax / 1.2)::decimal(18, 2) as amount_excl_tax,
            (amount_incl_tax - (amount_incl_tax / 1.2)::decimal(18, 2))::decimal(18, 2) as tax_amount,
            amount_incl_tax, 'EUR' as currency,
            case when n % 11 = 0 then null else 'PO-' || n end as purchase_order,
            null::varchar as original_invoice_number, 'Services' as description, []::varchar[] as attachments,
            'invoices.csv' as source_file, n::integer as source_line, $as_of::timestamptz as extracted_at,
            case when settled_date is not null then amount_incl_tax
                 when decile = 6 then (amount_incl_tax / 2)::decimal(18, 2)
                 else 0.00 end::decimal(18, 2) as paid_amount,
            0.00::decimal(18, 2) as credited_amount,
            case when settled_date is not null then 0.00
                 when decile = 6 then amount_incl_tax - (amount_incl_tax / 2)::decimal(18, 2)
                 else amount_incl_tax end::decimal(18, 2) as open_amount,
            settled_date,
            case when settled_date is not null then 'paid' when decile = 6 then 'partially_paid' else 'open' end
                as status,
            greatest(date_diff('day', due_date, coalesce(settled_date, $as_of)), 0)::integer as days_late,
            coalesce(settled_date, $as_of) > due_date as is_late,
            -- most exports do not say how an invoice was sent; some say paper
            case when n % 13 = 0 then 'paper' end as billing_channel
        from settled
    """,
        params,
    )


def _evidence_customer(con) -> None:
    """The hand-written customer and invoice the timeline and evidence-pack tests look at."""
    con.execute("""
        insert into marts.customers by name
        select 'C-EVIDENCE' as customer_id, 'Evidence & Co' as name, 'ap@evidence.example' as email,
               'US' as country, 'en' as language, 'America/New_York' as timezone, 'key_account' as segment,
               []::varchar[] as tags, 'email' as preferred_channel, []::varchar[] as fallback_channels,
               30 as payment_terms_days, false as on_hold, 'customers.csv' as source_file,
               timestamptz '2026-06-30 00:00:00+00' as extracted_at
    """)
    con.execute("""
        insert into marts.invoices by name
        select 'ISS' as issuer_id, 'F-EVIDENCE-1' as invoice_number, 'invoice' as document_type,
               'C-EVIDENCE' as customer_id, date '2026-05-04' as issue_date, date '2026-05-04' as delivery_date,
               date '2026-06-03' as due_date, 1000.00::decimal(18, 2) as amount_excl_tax,
               200.00::decimal(18, 2) as tax_amount, 1200.00::decimal(18, 2) as amount_incl_tax, 'EUR' as currency,
               'PO-EV-1' as purchase_order, 'invoices.csv' as source_file, 0 as source_line,
               timestamptz '2026-06-30 00:00:00+00' as extracted_at, 500.00::decimal(18, 2) as paid_amount,
               0.00::decimal(18, 2) as credited_amount, 700.00::decimal(18, 2) as open_amount,
               null::date as settled_date, 'partially_paid' as status, 27 as days_late, true as is_late
    """)


def _staging_copies(con) -> None:
    """staging.customers and staging.invoices, as the serving snapshot publishes them (the campaign preview
    plans on them, as the dunning run does in the warehouse)."""
    con.execute("""
        create table staging.customers as
        select customer_id, name, email, phone, siren, vat_number, country, language, timezone, segment, tags,
               preferred_channel, fallback_channels, address_line1, address_line2, postcode, city, edi_gln,
               platform_id, ap_portal_id, payment_terms_days, on_hold, source_file, extracted_at
        from marts.customers
    """)
    con.execute("""
        create table staging.invoices as
        select issuer_id, invoice_number, document_type, customer_id, issue_date, delivery_date, due_date,
               amount_excl_tax, tax_amount, amount_incl_tax, currency, purchase_order, original_invoice_number,
               description, attachments, source_file, source_line, extracted_at, billing_channel
        from marts.invoices
    """)


def _payments_and_disputes(con) -> None:
    con.execute("""
        create table staging.payments as
        select 'P-' || invoice_number as payment_id, customer_id, invoice_number,
               coalesce(settled_date, due_date + 3) as payment_date, paid_amount as amount, currency,
               'transfer' as method, 'REF-' || invoice_number as reference, 'payments.csv' as source_file,
               extracted_at
        from marts.invoices where paid_amount > 0
    """)
    con.execute("""
        create table staging.disputes as
        select invoice_number, customer_id, due_date - 5 as opened_on,
               case when source_line % 2 = 0 then 'price' else 'quantity' end as reason,
               amount_incl_tax as disputed_amount,
               case when source_line % 3 = 0 then due_date + 20 end as resolved_on
        from marts.invoices where source_line % 23 = 0
    """)


def _events(con) -> None:
    """The delivery and retrieval events of every invoice, as the events asset copies them in."""
    con.execute("""
        create table staging.events as
        with i as (
            select m.invoice_number, m.customer_id, c.preferred_channel as channel, m.issue_date, m.source_line as n
            from marts.invoices m join marts.customers c using (customer_id)
            where m.invoice_number <> 'F-EVIDENCE-1'
        ),
        e as (
            select invoice_number, customer_id, channel, 'issued' as event_type,
                   issue_date::timestamptz + interval 8 hour as occurred_at, null as status_code, n from i
            union all
            select invoice_number, customer_id, channel, 'sent', issue_date::timestamptz + interval 9 hour, null, n
            from i where n % 50 <> 0
            union all
            select invoice_number, customer_id, channel,
                   case when n % 29 = 0 then 'bounced' when channel = 'platform' and n % 31 = 0 then 'rejected'
                        else 'delivered' end,
                   issue_date::timestamptz + interval 9 hour + interval 5 minute,
                   case when channel = 'platform' and n % 31 = 0 then '213' end, n
            from i where n % 50 <> 0
            union all
            select invoice_number, customer_id, channel, 'viewed',
                   issue_date::timestamptz + interval 1 day + to_hours((n % 20)::bigint), null, n
            from i where n % 50 <> 0 and n % 29 <> 0 and n % 4 <> 0
            union all
            -- disputes filed on the portal; every second one resolved a week later
            select invoice_number, customer_id, null, 'disputed', issue_date::timestamptz + interval 10 day, null, n
            from i where n % 37 = 0
            union all
            select invoice_number, customer_id, null, 'dispute_resolved', issue_date::timestamptz + interval 17 day,
                   null, n
            from i where n % 74 = 0
        )
        select row_number() over () as id, uuid()::varchar as event_id, event_type, occurred_at,
               occurred_at as recorded_at, invoice_number, customer_id,
               case when event_type = 'issued' then null else channel end as channel,
               'fixture' as source, status_code, null::varchar as reminder_step, null::bigint as outbox_id,
               '{}'::json as evidence
        from e
    """)


def _analytics(con) -> None:
    con.execute(
        """
        create table marts.late_invoice_causes as
        select $as_of as as_of, i.invoice_number, i.customer_id, c.name as customer_name, c.segment,
               c.preferred_channel as billing_channel, i.amount_incl_tax as amount, i.settled_date as settled_on,
               i.days_late, case when i.settled_date is null then i.open_amount else 0 end::decimal(18, 2)
                   as overdue_amount,
               case when i.purchase_order is null then 'missing_purchase_order'
                    when i.source_line % 4 = 0 then 'never_retrieved'
                    when i.source_line % 29 = 0 then 'delivery_failed'
                    else 'chronic_late_payer' end as primary_cause,
               case when i.purchase_order is null or i.source_line % 4 = 0 or i.source_line % 29 = 0 then 'issuer'
                    else 'customer' end as side,
               json_object('days_late', i.days_late, 'purchase_order', i.purchase_order) as evidence,
               ['chronic_late_payer']::varchar[] as all_causes
        from marts.invoices i join marts.customers c using (customer_id) where i.is_late
    """,
        {"as_of": AS_OF},
    )
    con.execute(
        """
        create table marts.risk_scores as
        select invoice_number, customer_id, $as_of as scored_on,
               round(((source_line * 13) % 100) / 100.0, 2)::double as probability_late,
               ((source_line * 7) % 40)::double as expected_days_late,
               case when (source_line * 13) % 100 >= 60 then 'high' when (source_line * 13) % 100 >= 30
                    then 'medium' else 'low' end as risk_band,
               to_json([{'feature': 'customer_late_rate', 'contribution': 0.123, 'value': '0.4'},
                        {'feature': 'amount', 'contribution': -0.05, 'value': source_line::varchar}]
                       [1:1 + source_line % 2]) as top_factors
        from marts.invoices where open_amount > 0
    """,
        {"as_of": AS_OF},
    )
    con.execute(
        """
        create table marts.kpi_postage as
        select $as_of as as_of, 12 as paper_letters, 19.56::decimal(18, 2) as postage_spend,
               340 as letters_avoided, 1.63::decimal(18, 2) as postage_tariff,
               554.20::decimal(18, 2) as postage_savings
    """,
        {"as_of": AS_OF},
    )
    con.execute(
        """
        create table marts.kpi_summary as
        select $as_of as as_of, 90 as period_days, 61.4::double as dso_standard, 58.2::double as dso_countback,
               22.5::double as best_possible_dso, 38.9::double as average_days_delinquent,
               71.3::double as collection_effectiveness_index
    """,
        {"as_of": AS_OF},
    )


def _customer_totals(con) -> None:
    con.execute(
        """
        create or replace table marts.customers as
        select c.*, coalesce(t.open_amount, 0)::decimal(18, 2) as open_amount,
               coalesce(t.overdue_amount, 0)::decimal(18, 2) as overdue_amount,
               coalesce(t.invoice_count, 0) as invoice_count
        from marts.customers c left join (
            select customer_id, sum(open_amount) as open_amount,
                   sum(open_amount) filter (where due_date < $as_of) as overdue_amount, count(*) as invoice_count
            from marts.invoices group by customer_id
        ) t using (customer_id)
    """,
        {"as_of": AS_OF},
    )
