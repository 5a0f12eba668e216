"""Adapter for the IBM Watson "Accounts Receivable" sample (WA_Fn-UseC_-Accounts-Receivable.csv).

It fills the contract tables (marts.invoices, marts.customers, staging.payments, staging.disputes and one
`sent` event per invoice in staging.events) straight from the CSV, so the analytics marts and the risk
backtest can run on it while the ingest profile `ibm_accounts_receivable` is not available. Mapping:

- countryCode -> customer country; customerID -> customer; invoiceNumber, InvoiceDate, DueDate,
  InvoiceAmount -> the invoice (amount incl. tax, tax unknown so 0, currency USD);
- SettledDate -> settled_date and one payment of the full amount that day (the sample has no partials);
- Disputed = Yes -> a dispute with no opening date and no reason (the sample keeps only the flag);
- PaperlessBill -> how that invoice was billed, recorded as a `sent` event on its issue date on channel
  `paper` or `email` with source `erp_import` (no delivery receipt, so retrieval stays unmeasured).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from assets.analytics.contract import create_contract_tables

EXPECTED_COLUMNS = {
    "countryCode", "customerID", "PaperlessDate", "invoiceNumber", "InvoiceDate", "DueDate",
    "InvoiceAmount", "Disputed", "SettledDate", "PaperlessBill", "DaysToSettle", "DaysLate",
}


def load_ibm_sample(con: duckdb.DuckDBPyConnection, csv_path: Path | str) -> int:
    """Load the CSV into the contract tables of `con`; returns the number of invoices loaded."""
    csv_path = Path(csv_path)
    if not csv_path.exists():
        raise FileNotFoundError(f"IBM accounts receivable sample not found: {csv_path}")
    header = con.execute("select * from read_csv(?, all_varchar = true) limit 0", [str(csv_path)]).description
    missing = EXPECTED_COLUMNS - {column[0] for column in header}
    if missing:
        raise ValueError(f"{csv_path} is not the IBM accounts receivable sample: missing columns {sorted(missing)}")
    create_contract_tables(con)
    con.execute(
        """
        create or replace temp table ibm_rows as
        select
            countryCode as country,
            customerID as customer_id,
            invoiceNumber as invoice_number,
            strptime(InvoiceDate, '%m/%d/%Y')::date as issue_date,
            strptime(DueDate, '%m/%d/%Y')::date as due_date,
            InvoiceAmount::decimal(18, 2) as amount,
            Disputed = 'Yes' as disputed,
            strptime(SettledDate, '%m/%d/%Y')::date as settled_date,
            case when PaperlessBill = 'Paper' then 'paper' else 'email' end as channel,
            PaperlessBill as paperless_bill
        from read_csv(?, all_varchar = true)
        """,
        [str(csv_path)],
    )
    con.execute(
        """
        insert into marts.customers (customer_id, name, country, segment, tags, preferred_channel,
                                     payment_terms_days, on_hold, source_file, open_amount, overdue_amount,
                                     invoice_count)
        select customer_id, customer_id, any_value(country), null, [], arg_max(channel, issue_date),
               mode(due_date - issue_date), false, ?, 0, 0, count(*)
        from ibm_rows group by customer_id
        """,
        [csv_path.name],
    )
    con.execute(
        """
        insert into marts.invoices (issuer_id, invoice_number, document_type, customer_id, issue_date, due_date,
                                    amount_excl_tax, tax_amount, amount_incl_tax, currency, source_file,
                                    paid_amount, credited_amount, open_amount, settled_date, status,
                                    days_late, is_late)
        select 'IBM', invoice_number, 'invoice', customer_id, issue_date, due_date, amount, 0, amount, 'USD', ?,
               amount, 0, 0, settled_date, 'paid', greatest(settled_date - due_date, 0), settled_date > due_date
        from ibm_rows
        """,
        [csv_path.name],
    )
    con.execute(
        """
        insert into staging.payments (payment_id, customer_id, invoice_number, payment_date, amount, currency,
                                      source_file)
        select 'PAY-' || invoice_number, customer_id, invoice_number, settled_date, amount, 'USD', ?
        from ibm_rows
        """,
        [csv_path.name],
    )
    con.execute(
        """
        insert into staging.disputes (invoice_number, customer_id, opened_on, reason, disputed_amount, resolved_on)
        select invoice_number, customer_id, null, null, amount, null from ibm_rows where disputed
        """
    )
    con.execute(
        """
        insert into staging.events (id, event_id, event_type, occurred_at, recorded_at, invoice_number, customer_id,
                                    channel, source, evidence)
        select row_number() over (order by invoice_number), 'ibm-sent-' || invoice_number, 'sent',
               issue_date::timestamptz, issue_date::timestamptz, invoice_number, customer_id, channel,
               'erp_import', json_object('PaperlessBill', paperless_bill)
        from ibm_rows
        """
    )
    return con.execute("select count(*) from ibm_rows").fetchone()[0]
