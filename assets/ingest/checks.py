"""Data-quality checks on the ingested warehouse tables (plain Python over DuckDB; Dagster shows them).

Each returns a CheckOutcome: passed or not, whether a failure should block (ERROR) or only warn, a sentence
for the UI, and metadata with counts and a few examples a data engineer can look up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb

from stores import warehouse

EXAMPLES = 10


@dataclass
class CheckOutcome:
    passed: bool
    summary: str
    blocking: bool = True
    metadata: dict = field(default_factory=dict)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [
        dict(zip(names, [str(v) if v is not None and not isinstance(v, (int, float, str, bool)) else v for v in row]))
        for row in cursor.fetchall()
    ]


def counts_reconcile(con: duckdb.DuckDBPyConnection) -> CheckOutcome:
    if not warehouse.table_exists(con, "raw", "ingest_files"):
        return CheckOutcome(True, "no file ingested yet", metadata={"files": 0})
    bad = _rows(
        con,
        """
        with quarantine_per_file as (
            select file_sha256, count(*) as quarantine_rows from raw.quarantine group by file_sha256
        )
        select files.file_name, files.rows_read, files.accepted, files.quarantined, files.duplicates,
               coalesce(quarantine_per_file.quarantine_rows, 0) as quarantine_rows
        from raw.ingest_files as files
        left join quarantine_per_file on quarantine_per_file.file_sha256 = files.sha256
        where files.rows_read <> files.accepted + files.quarantined + files.duplicates
           or files.quarantined <> coalesce(quarantine_per_file.quarantine_rows, 0)
        limit 50""",
    )
    totals = con.execute("""select count(*), coalesce(sum(rows_read), 0), coalesce(sum(accepted), 0),
                                   coalesce(sum(quarantined), 0), coalesce(sum(duplicates), 0)
                            from raw.ingest_files""").fetchall()[0]
    metadata = {
        "files": totals[0],
        "rows_read": int(totals[1]),
        "accepted": int(totals[2]),
        "quarantined": int(totals[3]),
        "duplicates": int(totals[4]),
        "mismatched_files": bad,
    }
    if bad:
        return CheckOutcome(False, f"{len(bad)} file(s) whose rows do not add up", metadata=metadata)
    return CheckOutcome(True, f"{totals[0]} file(s): every row accepted, quarantined or a duplicate", metadata=metadata)


def invoice_numbers_unique(con: duckdb.DuckDBPyConnection) -> CheckOutcome:
    duplicates = _rows(
        con,
        f"""
        select issuer_id, invoice_number, count(*) as occurrences
        from staging.invoices group by issuer_id, invoice_number having count(*) > 1
        order by occurrences desc limit {EXAMPLES}""",
    )
    count = con.execute("""select count(*) from (select 1 from staging.invoices
                           group by issuer_id, invoice_number having count(*) > 1)""").fetchall()[0][0]
    return CheckOutcome(
        count == 0,
        f"{count} invoice number(s) used more than once by one issuer",
        metadata={"duplicated_numbers": count, "examples": duplicates},
    )


def totals_add_up(con: duckdb.DuckDBPyConnection) -> CheckOutcome:
    where = """amount_excl_tax is not null and tax_amount is not null and amount_incl_tax is not null
               and abs(amount_excl_tax + tax_amount - amount_incl_tax) > 0.01"""
    checked, wrong = con.execute(f"""
        select count(*) filter (where amount_excl_tax is not null and tax_amount is not null
                                and amount_incl_tax is not null),
               count(*) filter (where {where})
        from staging.invoices""").fetchall()[0]
    examples = _rows(
        con,
        f"""select invoice_number, amount_excl_tax, tax_amount, amount_incl_tax, source_file,
                                     source_line from staging.invoices where {where} limit {EXAMPLES}""",
    )
    return CheckOutcome(
        wrong == 0,
        f"{wrong} of {checked} invoice(s) with all three amounts do not add up",
        blocking=False,
        metadata={"checked": checked, "mismatched": wrong, "examples": examples},
    )


def dates_plausible(con: duckdb.DuckDBPyConnection, run_date: date) -> CheckOutcome:
    horizon = run_date + timedelta(days=366)
    problems = {
        "due_before_issue": "due_date < issue_date",
        "issued_before_1990": "issue_date < date '1990-01-01'",
        "issued_after_next_year": "issue_date > $horizon",
    }
    counts = {}
    examples = {}
    for name, condition in problems.items():
        sql_condition = condition.replace("$horizon", "?")
        params = [horizon] if "?" in sql_condition else []
        counts[name] = con.execute(f"select count(*) from staging.invoices where {sql_condition}", params).fetchall()[
            0
        ][0]
        if counts[name]:
            examples[name] = _rows(
                con,
                f"""select invoice_number, issue_date, due_date, source_file, source_line
                                           from staging.invoices where {sql_condition} limit {EXAMPLES}""",
                params,
            )
    # money received before the invoice exists is a real-world wart (prepayments, mis-keyed dates): reported
    paid_before_issue = con.execute("""
        select count(*) from staging.payments as payments
        join staging.invoices as invoices on invoices.invoice_number = payments.invoice_number
        where payments.payment_date < invoices.issue_date""").fetchall()[0][0]
    failing = sum(counts.values())
    summary = f"{failing} invoice(s) with implausible dates; {paid_before_issue} payment(s) dated before their invoice"
    return CheckOutcome(
        failing == 0,
        summary,
        blocking=False,
        metadata={
            **counts,
            "paid_before_issue": paid_before_issue,
            "examples": examples,
            "run_date": run_date.isoformat(),
        },
    )
