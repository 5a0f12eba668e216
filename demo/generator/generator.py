"""Generate a demo company's ERP exports plus the ground truth they were drawn from.

Output folder layout:
    customers.csv, invoices.csv, invoice_lines.csv, payments.csv, disputes.csv   the ERP exports
    attachments/<invoice>/*.pdf                                                  supporting documents
    FEC/<SIREN>FEC<YYYYMMDD>.txt                                                 the accounting entries file
    ground_truth/{customers,invoices,payments,disputes}.parquet, manifest.json   what really happened

The same seed and dates give byte-identical files.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from demo.generator import exports
from demo.generator.customers import draw_customers
from demo.generator.ledger import simulate

EXPORT_FILES = ("customers.csv", "invoices.csv", "invoice_lines.csv", "payments.csv", "disputes.csv")
GROUND_TRUTH = "ground_truth"
FEC_FOLDER = "FEC"
ATTACHMENTS = "attachments"
DEFAULT_ATTACHMENT_SHARE = 0.15
MAX_AUTO_ATTACHED = 3000


def months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    # clamp to the month's length (31 March minus one month is 28/29 February)
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class GeneratorConfig:
    customers: int = 200
    invoices: int = 5000
    seed: int = 42
    as_of: date = field(default_factory=date.today)  # the simulated "today": last possible issue date
    months: int = 18
    start: date | None = None  # first issue date; default: `months` before as_of
    attachment_share: float | None = None  # None: 15 % of invoices, at most MAX_AUTO_ATTACHED invoices
    write_fec: bool = True

    @property
    def effective_attachment_share(self) -> float:
        # a million invoices would mean 150,000 small files: by default the PDFs stay a demo-sized sample
        if self.attachment_share is not None:
            return self.attachment_share
        return min(DEFAULT_ATTACHMENT_SHARE, MAX_AUTO_ATTACHED / self.invoices)

    @property
    def first_day(self) -> date:
        return self.start or months_before(self.as_of, self.months)

    def validate(self) -> None:
        if self.customers < 1:
            raise ValueError(f"--customers must be at least 1 (got {self.customers})")
        if self.invoices < 1:
            raise ValueError(f"--invoices must be at least 1 (got {self.invoices})")
        if self.months < 1:
            raise ValueError(f"--months must be at least 1 (got {self.months})")
        if self.attachment_share is not None and not 0.0 <= self.attachment_share <= 1.0:
            raise ValueError(f"--attachment-share must be between 0 and 1 (got {self.attachment_share})")
        if self.first_day >= self.as_of:
            raise ValueError(f"the start date {self.first_day} must be before the as-of date {self.as_of}")


@dataclass
class GenerationResult:
    out: Path
    files: dict[str, Path]
    counts: dict[str, int]


def generate(config: GeneratorConfig, out: Path) -> GenerationResult:
    config.validate()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # A rerun into the same folder must not leave attachments or truth files of a previous seed behind.
    for stale in (ATTACHMENTS, GROUND_TRUTH, FEC_FOLDER):
        if (out / stale).exists():
            shutil.rmtree(out / stale)
    customers_rng, ledger_rng, attachments_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(config.seed).spawn(3)
    )

    base = draw_customers(customers_rng, config.customers)
    ledger = simulate(ledger_rng, base, config.invoices, config.first_day, config.as_of)
    documents = exports.exported_documents(ledger)
    payments = exports.exported_payments(ledger)
    plan = exports.plan_attachments(documents, base.frame, config.effective_attachment_share, attachments_rng)

    files = {
        "customers": exports.write_customers(base.frame, out),
        "invoices": exports.write_invoices(documents, plan.select("invoice_number", "attachments"), out),
        "invoice_lines": exports.write_lines(ledger.lines, out),
        "payments": exports.write_payments(payments, out),
        "disputes": exports.write_disputes(ledger, out),
    }
    attachment_count = exports.write_attachments(plan, out)
    if config.write_fec:
        (out / FEC_FOLDER).mkdir()
        files["fec"] = exports.write_fec(ledger, documents, payments, base.frame, out / FEC_FOLDER)

    truth = out / GROUND_TRUTH
    truth.mkdir()
    truth_invoices = ledger.documents.join(
        plan.select("invoice_number", "attachments"), on="invoice_number", how="left", maintain_order="left"
    ).with_columns(exported=pl.col("issue_date") <= config.as_of)
    truth_payments = ledger.payments.join(
        payments.select("invoice_number", "instalment", "payment_id"),
        on=["invoice_number", "instalment"],
        how="left",
        maintain_order="left",
    )
    truth_disputes = ledger.disputes.with_columns(exported=pl.col("opened_on") <= config.as_of)
    for name, frame in (
        ("customers", base.frame),
        ("invoices", truth_invoices),
        ("payments", truth_payments),
        ("disputes", truth_disputes),
    ):
        path = truth / f"{name}.parquet"
        frame.write_parquet(path, compression="zstd", statistics=False)
        files[f"ground_truth_{name}"] = path

    counts = {
        "customers": len(base.frame),
        "invoices": int((documents["document_type"] == "invoice").sum()),
        "credit_notes": int((documents["document_type"] == "credit_note").sum()),
        "invoice_lines": _data_rows(files["invoice_lines"]),
        "payments": len(payments),
        "disputes": int(truth_disputes["exported"].sum()),
        "attachments": attachment_count,
        "open_invoices": int(
            truth_invoices.filter(
                pl.col("exported") & (pl.col("document_type") == "invoice") & (pl.col("open_amount_as_of") != 0)
            ).height
        ),
        "overdue_invoices": int(
            truth_invoices.filter(
                pl.col("exported")
                & (pl.col("document_type") == "invoice")
                & (pl.col("open_amount_as_of") != 0)
                & (pl.col("due_date") < config.as_of)
            ).height
        ),
    }
    manifest = {
        "config": {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(config).items()},
        "first_issue_day": config.first_day.isoformat(),
        "counts": counts,
        "files": {k: str(p.relative_to(out)) for k, p in files.items()},
    }
    (truth / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return GenerationResult(out=out, files=files, counts=counts)


def _data_rows(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b"")) - 1
