"""The demo data generator: files a French ERP would export, exactly as docs/contracts.md lists them, with
coherent money, dates, ledger and ground truth — and the same bytes for the same seed."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import polars as pl
import pytest
from pypdf import PdfReader
from stdnum import ean
from stdnum.eu import vat as eu_vat
from stdnum.fr import siren as fr_siren

from demo.generator import EXPORT_FILES, GeneratorConfig, generate
from pipelines.cli import main as relance_main
from stores.home import PROJECT_ROOT

AS_OF = date(2026, 11, 27)
CONFIG = GeneratorConfig(customers=150, invoices=4000, seed=7, as_of=AS_OF, months=18, attachment_share=0.2)


@pytest.fixture(scope="module")
def company(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("company")
    generate(CONFIG, out)
    return out


def contract_headers() -> dict[str, tuple[str, str, list[str]]]:
    """{file: (encoding description, separator, headers)} parsed from docs/contracts.md."""
    text = (PROJECT_ROOT / "docs" / "contracts.md").read_text(encoding="utf-8")
    section = text.split("## ERP export headers the generator writes", 1)[1].split("\n## ", 1)[0]
    bullets: list[str] = []
    for line in section.splitlines()[1:]:
        if line.startswith("- "):
            bullets.append(line[2:])
        elif line.startswith("  ") and bullets and not bullets[-1].endswith("\0"):
            if line.strip().startswith("Details of the generated values"):
                bullets[-1] += "\0"  # the prose paragraph after the bullets is not a header
            else:
                bullets[-1] += line.strip() if bullets[-1].endswith((";", ",")) else " " + line.strip()
        else:
            break
    found = {}
    for bullet in bullets:
        bullet = bullet.rstrip("\0")
        name, rest = bullet.split(" (", 1)
        spec, headers = rest.split("): ", 1)
        separator = re.search(r"`(.)`", spec).group(1)
        headers = re.split(r"\s{2,}\(", headers)[0].strip()
        found[name] = (spec, separator, headers.split(separator))
    return found


def read_export(path: Path, encoding: str, separator: str) -> pl.DataFrame:
    text = path.read_bytes().decode(encoding)
    return pl.read_csv(io.StringIO(text), separator=separator, infer_schema=False)


def fr_amount(text: str | None) -> Decimal:
    assert text is not None and re.fullmatch(r"-?\d+,\d{2}", text), f"not a French amount: {text!r}"
    return Decimal(text.replace(",", "."))


def fr_date(text: str) -> date:
    return datetime.strptime(text, "%d/%m/%Y").date()  # noqa: DTZ007 - only the date is kept


@pytest.fixture(scope="module")
def files(company):
    return {
        "customers": read_export(company / "customers.csv", "utf-8-sig", ";"),
        "invoices": read_export(company / "invoices.csv", "cp1252", ";"),
        "lines": read_export(company / "invoice_lines.csv", "cp1252", ";"),
        "payments": read_export(company / "payments.csv", "utf-8", ","),
        "disputes": read_export(company / "disputes.csv", "utf-8", ","),
        "truth_customers": pl.read_parquet(company / "ground_truth" / "customers.parquet"),
        "truth_invoices": pl.read_parquet(company / "ground_truth" / "invoices.parquet"),
        "truth_payments": pl.read_parquet(company / "ground_truth" / "payments.parquet"),
    }


def test_every_file_and_header_is_the_contracts(company):
    contract = contract_headers()
    assert set(contract) == set(EXPORT_FILES)
    encodings = {
        "customers.csv": "utf-8",
        "invoices.csv": "cp1252",
        "invoice_lines.csv": "cp1252",
        "payments.csv": "utf-8",
        "disputes.csv": "utf-8",
    }
    for name, (spec, separator, headers) in contract.items():
        raw = (company / name).read_bytes()
        if "BOM" in spec:
            assert raw.startswith(b"\xef\xbb\xbf"), f"{name} must start with a UTF-8 BOM"
        else:
            assert not raw.startswith(b"\xef\xbb\xbf")
        text = raw.decode(encodings[name])
        if encodings[name] == "cp1252":
            # really cp1252, not UTF-8 mislabelled: accented letters are single bytes
            assert b"\xc3\xa9" not in raw and "é" in text
            assert text.splitlines(keepends=True)[1].endswith("\r\n")
        header_line = text.lstrip("\ufeff").splitlines()[0]
        assert header_line.split(separator) == headers, name


def test_same_seed_same_bytes_other_seed_other_company(company, tmp_path):
    again = tmp_path / "again"
    generate(CONFIG, again)
    produced = sorted(p.relative_to(company) for p in company.rglob("*") if p.is_file())
    assert produced == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert any(str(p).endswith(".pdf") for p in produced) and any(str(p).endswith(".parquet") for p in produced)
    for relative in produced:
        assert (company / relative).read_bytes() == (again / relative).read_bytes(), relative
    other = tmp_path / "other"
    generate(GeneratorConfig(**{**CONFIG.__dict__, "seed": 8}), other)
    assert (other / "invoices.csv").read_bytes() != (company / "invoices.csv").read_bytes()


def test_row_counts_match_the_request_and_the_manifest(company, files):
    import json

    manifest = json.loads((company / "ground_truth" / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest["counts"]
    invoices = files["invoices"]
    assert invoices.filter(pl.col("Type") == "Facture").height == CONFIG.invoices == counts["invoices"]
    assert invoices.filter(pl.col("Type") == "Avoir").height == counts["credit_notes"] > 0
    assert set(invoices["Type"].unique()) == {"Facture", "Avoir"}
    assert files["customers"].height == CONFIG.customers == counts["customers"]
    assert files["lines"].height == counts["invoice_lines"]
    assert files["payments"].height == counts["payments"]
    assert files["disputes"].height == counts["disputes"] > 0
    assert invoices["N° facture"].n_unique() == invoices.height
    # every customer is invoiced, and a demo needs open and overdue invoices
    assert set(invoices["Code client"]) == set(files["customers"]["Code client"])
    assert counts["overdue_invoices"] > 0 and counts["open_invoices"] > counts["overdue_invoices"]


def test_amounts_are_exact_and_lines_add_up_with_french_vat(files):
    invoices = files["invoices"]
    lines_by_doc: dict[str, list[dict]] = defaultdict(list)
    for line in files["lines"].iter_rows(named=True):
        lines_by_doc[line["N° facture"]].append(line)
    rates_seen = set()
    for row in invoices.iter_rows(named=True):
        excl, tax, incl = fr_amount(row["Montant HT"]), fr_amount(row["Montant TVA"]), fr_amount(row["Montant TTC"])
        assert excl + tax == incl, row["N° facture"]
        assert (excl > 0) == (row["Type"] == "Facture"), "invoices positive, credit notes negative"
        lines = lines_by_doc[row["N° facture"]]
        assert lines, f"{row['N° facture']} has no lines"
        assert [int(line["Ligne"]) for line in lines] == list(range(1, len(lines) + 1))
        base_by_rate: dict[Decimal, Decimal] = defaultdict(Decimal)
        for line in lines:
            quantity, price = fr_amount(line["Quantité"]), fr_amount(line["Prix unitaire HT"])
            amount, rate = fr_amount(line["Montant HT"]), fr_amount(line["Taux TVA"])
            gross = abs(quantity * price).quantize(Decimal("0.01"), ROUND_HALF_UP)
            discount = Decimal(line["Remise %"] or 0)
            # the line's discount (Remise %) is deducted from quantity x price, rounded to the cent
            assert gross - (gross * discount / 100).quantize(Decimal("0.01"), ROUND_HALF_UP) == abs(amount)
            assert rate in {Decimal("0.00"), Decimal("5.50"), Decimal("10.00"), Decimal("20.00")}
            base_by_rate[rate] += amount
            rates_seen.add(rate)
        assert sum(base_by_rate.values()) == excl
        expected_tax = sum(
            (base * rate / 100).quantize(Decimal("0.01"), ROUND_HALF_UP) for base, rate in base_by_rate.items()
        )
        assert expected_tax == tax, row["N° facture"]
    assert {Decimal("5.50"), Decimal("10.00"), Decimal("20.00")} <= rates_seen


def test_dates_are_coherent_and_issued_late_is_the_drawn_defect(files):
    invoices = files["invoices"].filter(pl.col("Type") == "Facture")
    truth = (
        files["truth_invoices"]
        .filter(pl.col("document_type") == "invoice")
        .select("invoice_number", "defect_issued_late")
    )
    joined = invoices.join(truth, left_on="N° facture", right_on="invoice_number", how="left")
    assert joined["defect_issued_late"].null_count() == 0
    first_day = date(2025, 5, 27)
    previous_by_year: dict[str, tuple[str, date]] = {}
    for row in joined.sort("N° facture").iter_rows(named=True):
        issued, delivered, due = (
            fr_date(row["Date facture"]),
            fr_date(row["Date de livraison"]),
            fr_date(row["Date d'échéance"]),
        )
        assert first_day <= issued <= AS_OF and issued.weekday() < 5
        assert due >= issued and (due - issued).days in (30, 45, 60)
        gap = (issued - delivered).days
        if row["defect_issued_late"]:
            assert 35 <= gap <= 95, row["N° facture"]
        else:
            assert 0 <= gap <= 6, row["N° facture"]
        # French numbering: chronological within the year
        year = row["N° facture"][1:5]
        if year in previous_by_year:
            assert issued >= previous_by_year[year][1]
        previous_by_year[year] = (row["N° facture"], issued)
    late_share = joined["defect_issued_late"].mean()
    assert 0.02 < late_share < 0.09


def test_customers_have_valid_identifiers_and_channels(files):
    customers = files["customers"]
    truth = files["truth_customers"]
    assert customers["Code client"].to_list() == truth["customer_id"].to_list()
    for row in customers.iter_rows(named=True):
        if row["Pays"] == "FR":
            assert fr_siren.is_valid(row["SIREN"]), row["SIREN"]
            assert row["N° TVA intracommunautaire"] == f"FR{(12 + 3 * (int(row['SIREN']) % 97)) % 97:02d}{row['SIREN']}"
        else:
            assert row["SIREN"] is None
        if row["Pays"] in ("US", "CH"):  # outside the EU: no EU VAT number, no Peppol address
            assert row["N° TVA intracommunautaire"] is None and row["Adresse électronique"] is None
        else:
            assert eu_vat.is_valid(row["N° TVA intracommunautaire"]), row["N° TVA intracommunautaire"]
        if row["Pays"] in ("BE", "LU", "DE"):  # EU customers abroad: their VAT number on Peppol
            scheme = {"BE": "9925", "LU": "9938", "DE": "9930"}[row["Pays"]]
            assert row["Adresse électronique"] == f"{scheme}:{row['N° TVA intracommunautaire']}"
        if row["GLN"] is not None:
            assert ean.is_valid(row["GLN"]) and len(row["GLN"]) == 13
        assert row["Canal préféré"] in {"email", "platform", "edi", "ap_portal", "paper"}
        assert row["Canal préféré"] not in (row["Canaux de secours"] or "").split("|")
        assert row["Langue"] in {"fr", "en"} and row["Bloqué"] in {"Oui", "Non"}
        assert int(row["Délai de paiement (jours)"]) in (30, 45, 60)
    assert set(customers["Canal préféré"]) == {"email", "platform", "edi", "ap_portal", "paper"}
    assert set(customers["Langue"]) == {"fr", "en"}
    # the wrong e-mail defect: the export differs from the true address exactly for those customers
    emails = customers.select("Code client", "E-mail facturation").join(
        truth.select("customer_id", "true_email", "defect_wrong_email"), left_on="Code client", right_on="customer_id"
    )
    assert emails.filter(pl.col("defect_wrong_email"))["E-mail facturation"].to_list() != []
    assert (emails["E-mail facturation"] != emails["true_email"]).to_list() == emails["defect_wrong_email"].to_list()


def test_ground_truth_matches_the_exports(files):
    invoices = files["invoices"]
    truth = files["truth_invoices"].filter(pl.col("exported"))
    assert sorted(invoices["N° facture"]) == sorted(truth["invoice_number"])
    by_number = {r["invoice_number"]: r for r in truth.iter_rows(named=True)}
    customers = {r["customer_id"]: r for r in files["truth_customers"].iter_rows(named=True)}
    for row in invoices.iter_rows(named=True):
        t = by_number[row["N° facture"]]
        assert fr_amount(row["Montant TTC"]) == t["amount_incl_tax"]
        assert row["Code client"] == t["customer_id"]
        if row["Type"] == "Facture":
            requires_po = customers[row["Code client"]]["requires_po"]
            if t["defect_missing_po"]:
                assert requires_po and row["N° commande"] is None
            elif requires_po:
                assert row["N° commande"] is not None
        else:
            assert by_number[row["Facture d'origine"]]["credit_note_number"] == row["N° facture"]

    # payments: the file is what the ground truth says was received by the as-of date
    payments = files["payments"]
    received = files["truth_payments"].filter(pl.col("exported"))
    assert payments.height == received.height
    assert payments["Payment ID"].to_list() == received["payment_id"].to_list()
    assert [Decimal(a) for a in payments["Amount"]] == received["amount"].to_list()
    assert (payments["Invoice No"].is_null()).to_list() == (~received["allocated"]).to_list()
    assert all(date.fromisoformat(d) <= AS_OF for d in payments["Payment Date"])

    # settlement as of the run date: invoice = payments received + credit notes issued + what is open
    paid = received.group_by("invoice_number").agg(pl.col("amount").sum().alias("paid"))
    checked = truth.filter(pl.col("document_type") == "invoice").join(paid, on="invoice_number", how="left")
    for t in checked.iter_rows(named=True):
        assert (t["paid"] or 0) + t["credited_amount_as_of"] + t["open_amount_as_of"] == t["amount_incl_tax"]
        if t["status_as_of"] == "paid":
            assert t["open_amount_as_of"] == 0 and t["true_settled_date"] <= AS_OF
    statuses = set(checked["status_as_of"])
    assert {"open", "paid", "partially_paid", "credited"} <= statuses
    behaviours = set(files["truth_customers"]["payment_behaviour"])
    assert {"on_time", "chronic_late", "partial_payer", "disputer"} <= behaviours
    # chronic late payers are indeed later than on-time payers
    lateness = checked.join(files["truth_customers"].select("customer_id", "payment_behaviour"), on="customer_id")
    median = lateness.group_by("payment_behaviour").agg(pl.col("true_days_late").median())
    days = dict(median.iter_rows())
    assert days["chronic_late"] > days["on_time"] + 15


def test_wrong_amount_defect_is_corrected_by_a_credit_note_cancelling_the_duplicate_line(files):
    truth = files["truth_invoices"].filter(pl.col("exported") & pl.col("defect_wrong_amount"))
    assert truth.height > 0
    lines = files["lines"]
    notes = set(files["invoices"]["N° facture"])
    for t in truth.iter_rows(named=True):
        if t["credit_note_number"] not in notes:
            continue  # corrected after the as-of date
        invoice_lines = lines.filter(
            (pl.col("N° facture") == t["invoice_number"]) & (pl.col("Désignation") != "Remise exceptionnelle")
        )
        duplicate = invoice_lines.row(-1, named=True)
        twin = invoice_lines.row(0, named=True)
        assert (duplicate["Désignation"], duplicate["Montant HT"]) == (twin["Désignation"], twin["Montant HT"])
        credit = lines.filter(pl.col("N° facture") == t["credit_note_number"]).row(0, named=True)
        assert credit["Désignation"].startswith("Annulation ligne facturée en double")
        assert fr_amount(credit["Montant HT"]) == -fr_amount(duplicate["Montant HT"])


def test_fec_entries_balance_and_lettering_matches_settlement(company, files):
    fec_files = list((company / "FEC").glob("*FEC20261127.txt"))
    assert len(fec_files) == 1
    fec = read_export(fec_files[0], "utf-8", "\t")
    assert fec.columns[:3] == ["JournalCode", "JournalLib", "EcritureNum"] and len(fec.columns) == 18
    fec = fec.with_columns(
        debit=pl.col("Debit").str.replace(",", ".").cast(pl.Decimal(18, 2)),
        credit=pl.col("Credit").str.replace(",", ".").cast(pl.Decimal(18, 2)),
    )
    unbalanced = (
        fec.group_by("EcritureNum")
        .agg((pl.col("debit").sum() - pl.col("credit").sum()).alias("gap"))
        .filter(pl.col("gap") != 0)
    )
    assert unbalanced.height == 0
    receivables = fec.filter(pl.col("CompteNum") == "411000")
    sales = receivables.filter(pl.col("JournalCode") == "VTE")
    assert sales.height == files["invoices"].height
    assert sales["debit"].sum() - sales["credit"].sum() == sum(fr_amount(a) for a in files["invoices"]["Montant TTC"])

    lettered = receivables.filter(pl.col("EcritureLet").is_not_null())
    groups = lettered.group_by("CompAuxNum", "EcritureLet").agg(
        (pl.col("debit").sum() - pl.col("credit").sum()).alias("balance"),
        pl.col("EcritureDate").max().alias("last"),
        pl.col("DateLet").unique().alias("date_let"),
    )
    assert groups.height > 0 and groups.filter(pl.col("balance") != 0).height == 0
    assert all(g["date_let"] == [g["last"]] for g in groups.iter_rows(named=True))
    # lettered invoices are those settled by matched movements; open invoices are never lettered
    truth = files["truth_invoices"].filter(pl.col("exported") & (pl.col("document_type") == "invoice"))
    unapplied = set(files["truth_payments"].filter(pl.col("exported") & ~pl.col("allocated"))["invoice_number"])
    settled = set(truth.filter(pl.col("open_amount_as_of") == 0)["invoice_number"]) - unapplied
    lettered_invoices = set(lettered.filter(pl.col("JournalCode") == "VTE")["PieceRef"]) & set(truth["invoice_number"])
    assert lettered_invoices == settled


def test_attachments_are_real_pdfs_listed_on_their_invoice(company, files):
    listed = files["invoices"].filter(pl.col("Pièces jointes").is_not_null())
    assert 0.1 < listed.height / CONFIG.invoices < 0.3
    kinds = set()
    for row in listed.head(60).iter_rows(named=True):
        for relative in row["Pièces jointes"].split("|"):
            assert relative.startswith(f"attachments/{row['N° facture']}/")
            reader = PdfReader(company / relative)
            text = reader.pages[0].extract_text()
            kinds.add(relative.rsplit("/", 1)[1].split("-", 1)[0])
            assert row["N° facture"] in text or (row["N° commande"] or "") in text
    assert {"BL", "Releve"} <= kinds


def test_cli_generates_and_refuses_bad_input(tmp_path, capsys):
    out = tmp_path / "cli"
    code = relance_main(
        [
            "generate",
            "--customers",
            "20",
            "--invoices",
            "300",
            "--seed",
            "3",
            "--start",
            "2025-01-01",
            "--months",
            "6",
            "--out",
            str(out),
            "--no-fec",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "issue dates 2025-01-01 to 2025-07-01" in printed and "300" in printed
    assert all((out / name).exists() for name in EXPORT_FILES) and not (out / "FEC").exists()
    issue_dates = [fr_date(d) for d in read_export(out / "invoices.csv", "cp1252", ";")["Date facture"]]
    assert min(issue_dates) >= date(2025, 1, 1) and max(issue_dates) <= date(2025, 7, 1)

    with pytest.raises(SystemExit):
        relance_main(["generate", "--invoices", "0", "--out", str(out)])
    assert "must be at least 1" in capsys.readouterr().err
    code = relance_main(["generate", "--start", "2026-01-01", "--as-of", "2025-01-01", "--out", str(out)])
    assert code == 2 and "must be before the as-of date" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["Désignation;Quantité\r\n", "Remise 5 € — œuvre’s\r\n", "plain ascii", "Köln; ±°"])
def test_fast_cp1252_encoding_gives_the_codec_bytes(text):
    from demo.generator.exports import encode

    assert encode(text, "cp1252") == text.encode("cp1252")


def test_default_attachment_share_keeps_large_runs_to_a_sample():
    assert GeneratorConfig(invoices=5000).effective_attachment_share == 0.15
    assert GeneratorConfig(invoices=1_000_000).effective_attachment_share * 1_000_000 == pytest.approx(3000)
    assert GeneratorConfig(invoices=1_000_000, attachment_share=0.0).effective_attachment_share == 0.0
    with pytest.raises(ValueError, match="between 0 and 1"):
        GeneratorConfig(attachment_share=1.5).validate()


def test_fec_written_in_slices_is_the_same_file(company, tmp_path, monkeypatch):
    from demo.generator import exports

    monkeypatch.setattr(exports, "FEC_SLICE", 337)  # many slices, boundaries inside entries' fan-out
    sliced = tmp_path / "sliced"
    generate(CONFIG, sliced)
    name = "732829320FEC20261127.txt"
    assert (sliced / "FEC" / name).read_bytes() == (company / "FEC" / name).read_bytes()


@pytest.mark.parametrize("customers, invoices", [(1, 1), (40, 12)])
def test_tiny_companies_are_still_consistent(tmp_path, customers, invoices):
    generate(GeneratorConfig(customers=customers, invoices=invoices, seed=5, as_of=AS_OF), tmp_path)
    written = read_export(tmp_path / "invoices.csv", "cp1252", ";")
    assert written.filter(pl.col("Type") == "Facture").height == invoices
    for row in written.iter_rows(named=True):
        assert fr_amount(row["Montant HT"]) + fr_amount(row["Montant TVA"]) == fr_amount(row["Montant TTC"])
    assert read_export(tmp_path / "customers.csv", "utf-8-sig", ";").height == customers
