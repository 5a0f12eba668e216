"""`relance document INVOICE_NUMBER --format pdf|facturx|ubl|edifact --out PATH`: write one invoice's document
from the warehouse and print its validation result (to check a template, or answer a customer)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

FORMATS = ("pdf", "facturx", "ubl", "edifact")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "document",
        help="write one invoice's PDF / Factur-X XML / UBL / EDIFACT and print its validation result",
        description="Build one invoice's document from the warehouse (opened read-only; the serving snapshot "
        "with --snapshot or when the warehouse is busy), validate it (XSD + EN 16931 + BR-FR rules) "
        "and write it. Exit 0 when valid, 1 when written but invalid, 2 when it cannot be built.",
    )
    parser.add_argument("invoice_number", metavar="INVOICE_NUMBER")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="pdf",
        help="pdf: Factur-X PDF/A-3b with the XML and attachments embedded; facturx: the CII XML "
        "(factur-x.xml); ubl: UBL 2.1; edifact: INVOIC D96A EANCOM (default: pdf)",
    )
    parser.add_argument("--out", required=True, type=Path, help="file to write (a folder: named after the invoice)")
    parser.add_argument("--snapshot", action="store_true", help="read the serving snapshot instead of the warehouse")
    parser.add_argument("--warehouse", type=Path, help="DuckDB file to read (default: RELANCE_HOME/warehouse.duckdb)")
    parser.add_argument(
        "--company", type=Path, help="company file (default: RELANCE_COMPANY_CONFIG or config/company.toml)"
    )
    parser.add_argument("--language", choices=("fr", "en"), help="override the customer's language")
    parser.add_argument(
        "--ubl-profile",
        choices=("auto", "fr-ctc", "peppol"),
        help="override [documents].ubl_profile: fr-ctc writes the French CTC UBL, peppol the Peppol BIS 3 UBL "
        "(needs the buyer's Peppol address), auto chooses by customer",
    )
    parser.add_argument(
        "--interchange-reference",
        type=int,
        help="EDIFACT interchange control reference (default: the next number of the "
        "operational store's never-repeating sequence)",
    )
    parser.set_defaults(handler=run)


def _fail(message: str, code: int = 2) -> int:
    print(f"relance document: {message}", file=sys.stderr)
    return code


def _open_source(args):
    import duckdb

    from stores.home import relance_home
    from stores.snapshot import open_snapshot

    home = relance_home()
    if args.snapshot:
        return open_snapshot(home.snapshot), "serving snapshot"
    path = args.warehouse or home.warehouse
    if not Path(path).exists():
        raise FileNotFoundError(f"no warehouse at {path}: ingest ERP exports first (or pass --warehouse)")
    try:
        return duckdb.connect(str(path), read_only=True), str(path)
    except duckdb.IOException:
        # A Dagster run holds the warehouse: the snapshot is the readable copy.
        return open_snapshot(home.snapshot), "serving snapshot (warehouse busy)"


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from channels.documents.company import CompanyConfigError, load_company
    from channels.documents.loading import InvoiceDataError, WarehouseInvoices

    try:
        company = load_company(args.company)
    except CompanyConfigError as error:
        return _fail(str(error))
    if args.ubl_profile:
        company = replace(company, documents=replace(company.documents, ubl_profile=args.ubl_profile))
    try:
        con, source = _open_source(args)
    except FileNotFoundError as error:
        return _fail(str(error))
    import duckdb

    try:
        invoice = WarehouseInvoices(company, con).load(args.invoice_number, language=args.language)
    except duckdb.CatalogException:
        return _fail(f"the {source} has no staging invoice tables: run the ingest job first")
    except LookupError:
        return _fail(f"unknown invoice {args.invoice_number!r} (not in staging.invoices of the {source})")
    except InvoiceDataError as error:
        return _fail(f"invoice {args.invoice_number} cannot be built: [{error.rule_id}] {error.message}")
    finally:
        con.close()

    data, suffix, result = _build(invoice, company, args)
    if data is None:
        return _fail(result)
    out = args.out / f"{invoice.number}{suffix}" if args.out.is_dir() else args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"{out}: {result.summary()}")
    for issue in result.issues:
        where = f" at {issue.location}" if issue.location else ""
        print(f"  [{issue.flag}] {issue.rule_id}{where}: {issue.message}")
    for missing in result.not_run:
        print(f"  [not run] {missing}")
    return 0 if result.valid else 1


def _build(invoice, company, args):
    from channels.documents.cii import write_cii
    from channels.documents.rulesets import frame_rule_sets
    from channels.documents.validation import validate_xml

    sources = company.documents.rule_sources
    if args.format in ("pdf", "facturx"):
        cii = write_cii(invoice)
        result = validate_xml(cii, frame_rule_sets("cii", invoice.frame.value), sources=sources)
        if args.format == "facturx":
            return cii, ".xml", result
        from channels.documents.pdf import facturx_pdf

        return facturx_pdf(invoice, cii, company.logo), ".pdf", result
    if args.format == "ubl":
        from channels.documents.ubl import UblError, ubl_flavour, write_ubl

        flavour = ubl_flavour(invoice, company.documents.ubl_profile)
        if company.documents.ubl_profile == "peppol" and flavour != "peppol":
            return None, "", f"invoice {invoice.number}: no Peppol BIS 3 UBL: the buyer has no Peppol address (BT-49)"
        try:
            ubl = write_ubl(invoice, flavour, company.documents.peppol_endpoint_scheme)
        except UblError as error:
            return None, "", str(error)
        rules = frame_rule_sets("ubl", invoice.frame.value, flavour)
        return ubl, ".ubl.xml", validate_xml(ubl, rules, sources=sources)
    from channels.documents.edifact import EdifactError, check_invoic, write_invoic

    reference = args.interchange_reference
    if reference is None:
        from channels.documents.production import EDI_DOCUMENT_SEQUENCE
        from stores.home import relance_home
        from stores.operational import next_sequence, open_store

        engine = open_store(relance_home().operational_url)
        with engine.begin() as conn:
            reference = next_sequence(conn, EDI_DOCUMENT_SEQUENCE)
        engine.dispose()
    try:
        edi = write_invoic(invoice, interchange_reference=reference)
    except EdifactError as error:
        return None, "", str(error)
    return edi, ".edi", check_invoic(edi, invoice)
