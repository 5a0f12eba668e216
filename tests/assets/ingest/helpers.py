"""Small builders for ingest tests: export files written the way ERPs write them, and a warehouse run."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from assets.ingest.load import ingest_into
from stores import warehouse

STAGING = ("customers", "invoices", "invoice_history", "invoice_lines", "payments", "disputes", "quarantine")

INVOICE_HEADER = (
    "N° facture;Type;Code client;Date facture;Date de livraison;Date d'échéance;Montant HT;"
    "Montant TVA;Montant TTC;Devise;N° commande;Facture d'origine;Libellé;Pièces jointes"
)


def write(path: Path, text: str, encoding: str = "utf-8", mtime: dt.datetime | None = None) -> Path:
    path.write_bytes(text.encode(encoding))
    if mtime is not None:
        stamp = mtime.timestamp()
        os.utime(path, (stamp, stamp))
    return path


def invoice_csv(rows: list[str]) -> str:
    return "\r\n".join([INVOICE_HEADER, *rows]) + "\r\n"


def build(con, run_date: dt.date = dt.date(2026, 11, 27)) -> None:
    for name in STAGING:
        warehouse.build_model(con, "staging", name)
    for name in ("invoices", "customers"):
        warehouse.build_model(con, "marts", name, {"as_of": run_date})


def ingest_and_build(db: Path, paths, profile: str | None = None, run_date: dt.date = dt.date(2026, 11, 27)):
    con = warehouse.connect(db)
    reports = ingest_into(con, paths, profile)
    build(con, run_date)
    return con, reports


def rows(con, sql: str, params=None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()
