"""Writes the ERP-export fixtures of this folder, each in the exact layout of the tool it imitates.

Every row below was typed by hand: the invented companies, numbers and amounts are the fixtures' content,
and the layout (labels, column order, separators, encodings, number and date styles, sheets, title and
total rows) follows the public sources cited in README.md. What a person reading each file sees is stated,
independently of this script, in the `<file>.expected.json` beside it.

CSV and text files are written byte for byte (no csv module) so that trailing separators, quoting and
line ends are exactly what the tool writes. XLSX files are written with xlsxwriter where the tool itself
uses xlsxwriter (Odoo) and with openpyxl otherwise. Workbook metadata is pinned so that re-running the
script changes nothing that a reader of the cells could see.

Run from the repository root:  .venv/bin/python tests/assets/ingest/exports/make_fixtures.py
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import xlsxwriter
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent
PINNED = dt.datetime(2026, 3, 31, 18, 0, 0)  # noqa: DTZ001 - workbook metadata holds a naive time


def D(text: str) -> dt.date:  # noqa: N802 - short, like a literal
    """An ISO date typed in this script, as a date cell value."""
    return dt.date.fromisoformat(text)


def write_text(relative: str, lines: list[str], encoding: str, newline: str = "\n", bom: bool = False) -> None:
    """Writes the lines exactly as given, each followed by `newline` (the file ends with one)."""
    path = HERE / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(line + newline for line in lines).encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)


def openpyxl_book() -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    book.properties.creator = "fixture"
    book.properties.created = PINNED
    book.properties.modified = PINNED
    return book


def save_openpyxl(book: openpyxl.Workbook, relative: str) -> None:
    """Saves the workbook, then rewrites its zip with pinned entry times so a rerun gives the same bytes."""
    path = HERE / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(path, "w") as target:
        for entry in source.infolist():
            pinned = zipfile.ZipInfo(entry.filename, date_time=PINNED.timetuple()[:6])
            pinned.compress_type = zipfile.ZIP_DEFLATED
            data = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":  # openpyxl stamps the save time as "modified"
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + PINNED.strftime("%Y-%m-%dT%H:%M:%SZ").encode(), data
                )
            target.writestr(pinned, data)


def fill(
    sheet,
    rows: list[list],
    date_format: str | None = None,
    number_format: str | None = None,
    bold_header: bool = False,
    header_row: int = 1,
) -> None:
    """Appends the rows; dates get `date_format`, floats `number_format`; None leaves the cell empty."""
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, dt.date) and date_format:
                cell.number_format = date_format
            elif isinstance(value, float) and number_format:
                cell.number_format = number_format
            if bold_header and r == header_row:
                cell.font = Font(bold=True)


# ---------------------------------------------------------------------------------------------------
# Dolibarr 16, Outils > Exports. CSV drivers write every field followed by the separator (so each line,
# the header included, ends with one), "\n" line ends, raw database values (double(24,8) amounts,
# DATE/DATETIME as stored), ISO-8859-1 unless EXPORT_CSV_FORCE_CHARSET says otherwise, separator ","
# unless EXPORT_CSV_SEPARATOR_TO_USE says otherwise. A value holding the separator or a quote is quoted;
# a value written "(X)" (a draft's ref "(PROV7)") is passed through the translator, which prints "PROV7".
# ---------------------------------------------------------------------------------------------------


def dolibarr_line(values: list[str], sep: str) -> str:
    out = []
    for value in values:
        if sep in value or '"' in value:
            value = '"' + value.replace('"', '""') + '"'
        out.append(value + sep)
    return "".join(out)


DOLI_CUSTOMERS = {
    "martin": ("Boulangerie Martin SARL", "CU2601-00001", "512345678", "FR40512345678"),
    "durand": ("Durand, Fils & Cie", "CU2601-00002", "438765432", "FR83438765432"),
    "sge": ("Société Générale d'Éclairage", "CU2601-00003", "301234567", "FR21301234567"),
    "lefevre": ("Atelier Lefèvre", "CU2601-00004", "824567891", ""),
    "rouxel": ("Transports Rouxel SAS", "CU2602-00005", "399876543", "FR07399876543"),
}

# Invoice part of a « Factures clients et règlements » row: customer key, ref, ref_client, type, datef,
# date_lim_reglement, total_ht, total_ttc, total_tva, paye, fk_statut, rest (getRemainToPay, price2num 'MT').
# Payment part: p.ref, p.amount, pf.amount, p.datep, pt.code (all empty when the invoice has no payment).
DOLI_INVOICES_AND_PAYMENTS = [
    (
        "martin",
        "FA2601-0001",
        "BC-2026-014",
        "0",
        "2026-01-05",
        "2026-02-04",
        "1500.00000000",
        "1800.00000000",
        "300.00000000",
        "1",
        "2",
        "0",
        ("PAY2602-0001", "1800.00000000", "1800.00000000", "2026-02-03 12:00:00", "VIR"),
    ),
    (
        "durand",
        "FA2601-0002",
        "",
        "0",
        "2026-01-12",
        "2026-02-11",
        "2000.00000000",
        "2400.00000000",
        "400.00000000",
        "0",
        "1",
        "900",
        ("PAY2602-0002", "1000.00000000", "1000.00000000", "2026-02-10 12:00:00", "CHQ"),
    ),
    (
        "durand",
        "FA2601-0002",
        "",
        "0",
        "2026-01-12",
        "2026-02-11",
        "2000.00000000",
        "2400.00000000",
        "400.00000000",
        "0",
        "1",
        "900",
        ("PAY2603-0001", "500.00000000", "500.00000000", "2026-03-02 12:00:00", "VIR"),
    ),
    (
        "sge",
        "FA2601-0003",
        "CMD 88412",
        "0",
        "2026-01-20",
        "2026-02-19",
        "850.50000000",
        "1020.60000000",
        "170.10000000",
        "0",
        "1",
        "1020.6",
        None,
    ),
    (
        "lefevre",
        "PROV7",
        "",
        "0",
        "2026-02-25",
        "2026-03-27",
        "300.00000000",
        "360.00000000",
        "60.00000000",
        "0",
        "0",
        "360",
        None,
    ),
    (
        "rouxel",
        "AV2602-0001",
        "",
        "2",
        "2026-02-20",
        "2026-02-20",
        "-250.00000000",
        "-300.00000000",
        "-50.00000000",
        "0",
        "1",
        "-300",
        None,
    ),
    (
        "rouxel",
        "FA2602-0004",
        "LOT-4471",
        "0",
        "2026-02-02",
        "2026-03-04",
        "4200.00000000",
        "5040.00000000",
        "840.00000000",
        "0",
        "1",
        "5040",
        None,
    ),
    (
        "lefevre",
        "FA2602-0005",
        "",
        "0",
        "2026-02-10",
        "2026-03-12",
        "1250.00000000",
        "1500.00000000",
        "250.00000000",
        "0",
        "3",
        "1500",
        None,
    ),
    (
        "martin",
        "FA2602-0006",
        "BC-2026-031",
        "0",
        "2026-02-15",
        "2026-03-17",
        "1500.00000000",
        "1800.00000000",
        "300.00000000",
        "1",
        "2",
        "0",
        ("PAY2603-0003", "3000.00000000", "1800.00000000", "2026-03-16 12:00:00", "VIR"),
    ),
    (
        "martin",
        "FA2603-0007",
        "BC-2026-040",
        "0",
        "2026-03-01",
        "2026-03-31",
        "2500.00000000",
        "3000.00000000",
        "500.00000000",
        "0",
        "1",
        "1800",
        ("PAY2603-0003", "3000.00000000", "1200.00000000", "2026-03-16 12:00:00", "VIR"),
    ),
    (
        "durand",
        "FA2603-0008",
        "",
        "0",
        "2026-03-05",
        "2026-04-04",
        "12000.00000000",
        "14400.00000000",
        "2400.00000000",
        "0",
        "1",
        "14400",
        None,
    ),
    (
        "lefevre",
        "FA2603-0009",
        "",
        "3",
        "2026-03-10",
        "2026-03-10",
        "500.00000000",
        "600.00000000",
        "100.00000000",
        "1",
        "2",
        "0",
        ("PAY2603-0004", "600.00000000", "600.00000000", "2026-03-12 12:00:00", "PRE"),
    ),
]


def dolibarr_invoices_and_payments(relative: str, header: list[str], sep: str, customers: dict) -> None:
    lines = [dolibarr_line(header, sep)]
    for key, ref, ref_client, typ, datef, due, ht, ttc, tva, paye, statut, rest, payment in DOLI_INVOICES_AND_PAYMENTS:
        name, code, siren, vat = customers[key]
        pay = list(payment) if payment else ["", "", "", "", ""]
        lines.append(
            dolibarr_line(
                [name, code, siren, vat, ref, ref_client, typ, datef, due, ht, ttc, tva, paye, statut, rest] + pay, sep
            )
        )
    write_text(relative, lines, "iso-8859-1")


def dolibarr() -> None:
    header_fr = [
        "Nom/Enseigne/Raison sociale",
        "Code client",
        "Identifiant professionnel 1",
        "Numéro de TVA",
        "Réf. facture",
        "Réf. client",
        "Type",
        "Date facturation",
        "Date échéance",
        "Total HT",
        "Total TTC",
        "Total TVA",
        "Payé complètement",
        "Statut facture",
        "Créance",
        "Ref paiement",
        "Montant paiement",
        "Montant paiement affecté à la facture",
        "Date paiement",
        "Mode de règlement (code)",
    ]
    dolibarr_invoices_and_payments("dolibarr/factures_clients_reglements.csv", header_fr, ",", DOLI_CUSTOMERS)

    header_de = [
        "Firmenname",
        "Kundennummer",
        "Professional ID 1",
        "Umsatzsteuer-ID",
        "Rechnungs Nr.",
        "Ihr Zeichen",
        "Typ",
        "Rechnungsdatum",
        "Fälligkeitsdatum",
        "Nettosumme",
        "Bruttosumme",
        "USt. gesamt",
        "Komplett bezahlt",
        "Rechnungsstatus",
        "Ausstehend",
        "ZahlungsRef.",
        "Zahlungsbetrag",
        "Zahlungsbetrag verteilt auf Rechnung",
        "Zahlungsdatum",
        "Zahlungsart (Code)",
    ]
    customers_de = {
        "martin": ("Bäckerei Müller GmbH", "CU2601-00001", "", "DE123456789"),
        "durand": ("Schröder & Söhne KG", "CU2601-00002", "", "DE234567891"),
        "sge": ("Lichttechnik Süd GmbH", "CU2601-00003", "", "DE345678912"),
        "lefevre": ("Werkstatt Köhler", "CU2601-00004", "", ""),
        "rouxel": ("Spedition Weiß AG", "CU2602-00005", "", "DE456789123"),
    }
    dolibarr_invoices_and_payments("dolibarr/rechnungen_zahlungen_de.csv", header_de, ";", customers_de)

    # « Factures clients et lignes de factures » (facture_1), separator set to ";" by the administrator.
    header_lines = [
        "Nom/Enseigne/Raison sociale",
        "Code client",
        "Réf. facture",
        "Type",
        "Date facturation",
        "Date échéance",
        "Total HT",
        "Total TTC",
        "Total TVA",
        "Payé complètement",
        "Statut facture",
        "Créance",
        "Description de ligne",
        "Prix unitaire de la ligne",
        "Taux de TVA de la ligne",
        "Quantité pour la ligne",
        "Montant HT de la ligne",
        "Montant TVA de la ligne",
        "Montant TTC de la ligne",
    ]
    c = DOLI_CUSTOMERS
    invoice = {
        "FA2601-0001": (
            "martin",
            "0",
            "2026-01-05",
            "2026-02-04",
            "1500.00000000",
            "1800.00000000",
            "300.00000000",
            "1",
            "2",
            "0",
        ),
        "FA2601-0002": (
            "durand",
            "0",
            "2026-01-12",
            "2026-02-11",
            "2000.00000000",
            "2400.00000000",
            "400.00000000",
            "0",
            "1",
            "900",
        ),
        "AV2602-0001": (
            "rouxel",
            "2",
            "2026-02-20",
            "2026-02-20",
            "-250.00000000",
            "-300.00000000",
            "-50.00000000",
            "0",
            "1",
            "-300",
        ),
        "FA2602-0004": (
            "rouxel",
            "0",
            "2026-02-02",
            "2026-03-04",
            "4200.00000000",
            "5040.00000000",
            "840.00000000",
            "0",
            "1",
            "5040",
        ),
        "PROV7": (
            "lefevre",
            "0",
            "2026-02-25",
            "2026-03-27",
            "300.00000000",
            "360.00000000",
            "60.00000000",
            "0",
            "0",
            "360",
        ),
        "FA2602-0005": (
            "lefevre",
            "0",
            "2026-02-10",
            "2026-03-12",
            "1250.00000000",
            "1500.00000000",
            "250.00000000",
            "0",
            "3",
            "1500",
        ),
        "FA2603-0008": (
            "durand",
            "0",
            "2026-03-05",
            "2026-04-04",
            "12000.00000000",
            "14400.00000000",
            "2400.00000000",
            "0",
            "1",
            "14400",
        ),
    }
    line_rows = [
        ("FA2601-0001", "Four mixte MX-20", "1200.00000000", "1", "1200.00000000", "240.00000000", "1440.00000000"),
        (
            "FA2601-0001",
            "Installation et mise en service",
            "150.00000000",
            "2",
            "300.00000000",
            "60.00000000",
            "360.00000000",
        ),
        (
            "FA2601-0002",
            "Audit énergétique du site",
            "2000.00000000",
            "1",
            "2000.00000000",
            "400.00000000",
            "2400.00000000",
        ),
        (
            "AV2602-0001",
            "Remise commerciale sur FA2602-0004",
            "-250.00000000",
            "1",
            "-250.00000000",
            "-50.00000000",
            "-300.00000000",
        ),
        (
            "FA2602-0004",
            "Transport Paris-Lyon (semi-remorque)",
            "250.00000000",
            "12",
            "3000.00000000",
            "600.00000000",
            "3600.00000000",
        ),
        ("FA2602-0004", "Manutention quai", "100.00000000", "8", "800.00000000", "160.00000000", "960.00000000"),
        ("FA2602-0004", "Assurance marchandises", "400.00000000", "1", "400.00000000", "80.00000000", "480.00000000"),
        ("PROV7", "Réparation vitrine", "300.00000000", "1", "300.00000000", "60.00000000", "360.00000000"),
        ("FA2602-0005", "Étagères sur mesure", "625.00000000", "2", "1250.00000000", "250.00000000", "1500.00000000"),
        # Dolibarr writes a line break inside a value as the two characters backslash and n.
        (
            "FA2603-0008",
            "Maintenance annuelle\\nContrat 2026",
            "9600.00000000",
            "1",
            "9600.00000000",
            "1920.00000000",
            "11520.00000000",
        ),
        ("FA2603-0008", "Pièces détachées", "600.00000000", "4", "2400.00000000", "480.00000000", "2880.00000000"),
    ]
    lines = [dolibarr_line(header_lines, ";")]
    for ref, description, subprice, qty, line_ht, line_tva, line_ttc in line_rows:
        key, typ, datef, due, ht, ttc, tva, paye, statut, rest = invoice[ref]
        lines.append(
            dolibarr_line(
                [
                    c[key][0],
                    c[key][1],
                    ref,
                    typ,
                    datef,
                    due,
                    ht,
                    ttc,
                    tva,
                    paye,
                    statut,
                    rest,
                    description,
                    subprice,
                    "20.0000",
                    qty,
                    line_ht,
                    line_tva,
                    line_ttc,
                ],
                ";",
            )
        )
    write_text("dolibarr/factures_lignes.csv", lines, "iso-8859-1")

    # Third parties (ExportDataset_company_1): s.client 1 customer, 2 prospect, 3 both, 0 neither.
    header_tiers = [
        "Nom",
        "Nom alternatif",
        "État",
        "Client",
        "Fournisseur",
        "Code client",
        "Adresse",
        "Code postal",
        "Ville",
        "Code pays",
        "Téléphone",
        "Email",
        "Identifiant professionnel 1",
        "Numéro TVA",
    ]
    tiers = [
        [
            "Boulangerie Martin SARL",
            "Boulangerie du Centre",
            "1",
            "1",
            "0",
            "CU2601-00001",
            "12 rue des Halles",
            "35000",
            "Rennes",
            "FR",
            "02 99 12 34 56",
            "compta@boulangerie-martin.fr",
            "512345678",
            "FR40512345678",
        ],
        [
            "Durand, Fils & Cie",
            "",
            "1",
            "1",
            "0",
            "CU2601-00002",
            "4, place du Marché",
            "69002",
            "Lyon",
            "FR",
            "04 78 00 11 22",
            "factures@durand-fils.fr",
            "438765432",
            "FR83438765432",
        ],
        [
            "Société Générale d'Éclairage",
            "SGE",
            "1",
            "3",
            "1",
            "CU2601-00003",
            "Zone d'activité des Vignes",
            "33700",
            "Mérignac",
            "FR",
            "05 56 98 76 54",
            "ap@sge-eclairage.fr",
            "301234567",
            "FR21301234567",
        ],
        [
            "Atelier Lefèvre",
            "",
            "1",
            "1",
            "0",
            "CU2601-00004",
            "8 impasse des Tanneurs",
            "59800",
            "Lille",
            "FR",
            "03 20 55 44 33",
            "atelier.lefevre@example.fr",
            "824567891",
            "",
        ],
        [
            "Transports Rouxel SAS",
            "",
            "1",
            "1",
            "0",
            "CU2602-00005",
            "RN 12 - Lieu-dit Le Chêne",
            "22200",
            "Guingamp",
            "FR",
            "02 96 40 40 40",
            "comptabilite@rouxel-transports.fr",
            "399876543",
            "FR07399876543",
        ],
        [
            "Café des Arts",
            "",
            "1",
            "2",
            "0",
            "CU2603-00006",
            "3 quai de la Loire",
            "44000",
            "Nantes",
            "FR",
            "",
            "contact@cafedesarts.example",
            "",
            "",
        ],
        [
            "Imprimerie Vasseur",
            "",
            "1",
            "0",
            "1",
            "",
            "17 rue Gutenberg",
            "76000",
            "Rouen",
            "FR",
            "02 35 11 22 33",
            "compta@vasseur-imprimerie.fr",
            "451234987",
            "FR55451234987",
        ],
        [
            "Menuiserie Hamon",
            "",
            "0",
            "1",
            "0",
            "CU2601-00007",
            "La Croix Verte",
            "56000",
            "Vannes",
            "FR",
            "",
            "",
            "789654123",
            "",
        ],
    ]
    write_text(
        "dolibarr/tiers.csv", [dolibarr_line(header_tiers, ",")] + [dolibarr_line(r, ",") for r in tiers], "iso-8859-1"
    )


# ---------------------------------------------------------------------------------------------------
# Odoo 16/17, Invoicing > Customers > Invoices, list view, Action > Export, format XLSX. The web export
# controller writes one worksheet with xlsxwriter: the field labels (translated to the user's language)
# in bold on row 1, dates as date cells "yyyy-mm-dd", monetary values as numbers. "Signed" amounts are in
# the company currency and negative for credit notes; a draft has the name "/".
# ---------------------------------------------------------------------------------------------------


def odoo_book(relative: str, header: list[str], rows: list[list]) -> None:
    path = HERE / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path), {"in_memory": True})
    book.set_properties({"created": PINNED})
    sheet = book.add_worksheet()
    header_style = book.add_format({"bold": True})
    base_style = book.add_format({"text_wrap": True})
    date_style = book.add_format({"text_wrap": True, "num_format": "yyyy-mm-dd"})
    money_style = book.add_format({"text_wrap": True, "num_format": "#,##0.00"})
    for c, label in enumerate(header):
        sheet.write(0, c, label, header_style)
        sheet.set_column(c, c, 18)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_style)
            elif isinstance(value, float):
                sheet.write_number(r, c, value, money_style)
            else:
                sheet.write_string(r, c, value, base_style)
    book.close()


def odoo() -> None:
    odoo_book(
        "odoo/factures_clients_fr.xlsx",
        [
            "Numéro",
            "Partenaire",
            "Date de facturation",
            "Date d'échéance",
            "Montant Hors-taxe Signé",
            "Total signé",
            "Montant dû signé",
            "État du paiement",
        ],
        [
            [
                "FAC/2026/00001",
                "Boulangerie Martin SARL",
                D("2026-01-08"),
                D("2026-02-07"),
                1000.0,
                1200.0,
                0.0,
                "Payé",
            ],
            [
                "FAC/2026/00002",
                "Durand & Fils, Jean Durand",
                D("2026-01-15"),
                D("2026-02-14"),
                2500.0,
                3000.0,
                1000.0,
                "Partiellement réglé",
            ],
            [
                "FAC/2026/00003",
                "Société Générale d'Éclairage",
                D("2026-01-22"),
                D("2026-02-21"),
                10666.67,
                12800.0,
                12800.0,
                "Non payées",
            ],
            [
                "RFAC/2026/00001",
                "Boulangerie Martin SARL",
                D("2026-02-03"),
                D("2026-02-03"),
                -200.0,
                -240.0,
                -240.0,
                "Non payées",
            ],
            ["/", "Atelier Lefèvre", None, None, 500.0, 600.0, 600.0, "Non payées"],
            [
                "FAC/2026/00004",
                "Transports Rouxel SAS",
                D("2026-02-10"),
                D("2026-03-12"),
                3500.0,
                4200.0,
                4200.0,
                "Non payées",
            ],
            [
                "FAC/2026/00005",
                "Boulangerie Martin SARL",
                D("2026-02-20"),
                D("2026-03-22"),
                1000.0,
                1200.0,
                960.0,
                "Partiellement réglé",
            ],
            ["FAC/2026/00006", "Transports Rouxel SAS", D("2026-03-01"), D("2026-03-31"), 800.0, 960.0, 0.0, "Payé"],
            [
                "FAC/2026/00007",
                "Société Générale d'Éclairage",
                D("2026-03-10"),
                D("2026-04-09"),
                2000.0,
                2400.0,
                2400.0,
                "Non payées",
            ],
            [
                "FAC/2026/00008",
                "Boulangerie Martin SARL",
                D("2026-03-18"),
                D("2026-04-17"),
                416.67,
                500.0,
                500.0,
                "Non payées",
            ],
        ],
    )
    odoo_book(
        "odoo/customer_invoices_en.xlsx",
        [
            "Number",
            "Partner",
            "Invoice/Bill Date",
            "Due Date",
            "Untaxed Amount Signed",
            "Total Signed",
            "Amount Due Signed",
            "Payment Status",
            "Status",
        ],
        [
            [
                "INV/2026/00011",
                "Azure Interior",
                D("2026-01-06"),
                D("2026-02-05"),
                1500.0,
                1725.0,
                0.0,
                "Paid",
                "Posted",
            ],
            [
                "INV/2026/00012",
                "Deco Addict",
                D("2026-01-13"),
                D("2026-02-12"),
                4000.0,
                4600.0,
                4600.0,
                "Not Paid",
                "Posted",
            ],
            [
                "INV/2026/00013",
                "Gemini Furniture",
                D("2026-01-27"),
                D("2026-02-26"),
                2000.0,
                2300.0,
                1300.0,
                "Partially Paid",
                "Posted",
            ],
            [
                "INV/2026/00014",
                "Azure Interior",
                D("2026-02-09"),
                D("2026-03-11"),
                800.0,
                920.0,
                0.0,
                "In Payment",
                "Posted",
            ],
            [
                "INV/2026/00015",
                "Lumber Inc",
                D("2026-02-16"),
                D("2026-03-18"),
                1200.0,
                1380.0,
                0.0,
                "Reversed",
                "Posted",
            ],
            [
                "RINV/2026/00003",
                "Lumber Inc",
                D("2026-02-20"),
                D("2026-02-20"),
                -1200.0,
                -1380.0,
                0.0,
                "Paid",
                "Posted",
            ],
            [
                "INV/2026/00016",
                "Deco Addict",
                D("2026-03-02"),
                D("2026-04-01"),
                600.0,
                690.0,
                690.0,
                "Not Paid",
                "Cancelled",
            ],
            ["/", "Gemini Furniture", None, None, 300.0, 345.0, 345.0, "Not Paid", "Draft"],
            [
                "INV/2026/00017",
                "Ready Mat",
                D("2026-03-16"),
                D("2026-04-15"),
                9800.0,
                11270.0,
                11270.0,
                "Not Paid",
                "Posted",
            ],
            [
                "RINV/2026/00004",
                "Deco Addict",
                D("2026-03-20"),
                D("2026-03-20"),
                -100.0,
                -115.0,
                -115.0,
                "Not Paid",
                "Posted",
            ],
        ],
    )


# ---------------------------------------------------------------------------------------------------
# Xero, Business > Invoices > Export (CSV): one row per invoice line, the invoice's totals repeated on
# every line. Column list as published for the Xero invoice file format; UK organisation, dd/mm/yyyy.
# ---------------------------------------------------------------------------------------------------

XERO_HEADER = [
    "ContactName",
    "EmailAddress",
    "POAddressLine1",
    "POAddressLine2",
    "POAddressLine3",
    "POAddressLine4",
    "POCity",
    "PORegion",
    "POPostalCode",
    "POCountry",
    "SAAddressLine1",
    "SAAddressLine2",
    "SAAddressLine3",
    "SAAddressLine4",
    "SACity",
    "SARegion",
    "SAPostalCode",
    "SACountry",
    "InvoiceNumber",
    "Reference",
    "InvoiceDate",
    "DueDate",
    "PlannedDate",
    "Total",
    "TaxTotal",
    "InvoiceAmountPaid",
    "InvoiceAmountDue",
    "InventoryItemCode",
    "Description",
    "Quantity",
    "UnitAmount",
    "Discount",
    "LineAmount",
    "AccountCode",
    "TaxType",
    "TaxAmount",
    "TrackingName1",
    "TrackingOption1",
    "TrackingName2",
    "TrackingOption2",
    "Currency",
    "Type",
    "Sent",
    "Status",
]


def csv_field(value: str) -> str:
    if any(ch in value for ch in ',"\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def xero() -> None:
    contacts = {
        "bright": [
            "Brightside Cafe Ltd",
            "accounts@brightside.example",
            "12 Mill Lane",
            "",
            "",
            "",
            "Leeds",
            "West Yorkshire",
            "LS1 4AB",
            "United Kingdom",
        ],
        "north": [
            "Northwind Traders",
            "ap@northwind.example",
            "Unit 4, Dockside Park",
            "",
            "",
            "",
            "Hull",
            "",
            "HU1 2AA",
            "United Kingdom",
        ],
        "harbour": [
            "Harbour & Co",
            "finance@harbourco.example",
            "1 Quay Street",
            "",
            "",
            "",
            "Plymouth",
            "Devon",
            "PL1 2HH",
            "United Kingdom",
        ],
        "bistro": [
            "Le Petit Bistro SARL",
            "compta@petitbistro.example",
            "5 rue Nationale",
            "",
            "",
            "",
            "Lille",
            "",
            "59000",
            "France",
        ],
    }
    vat = "20% (VAT on Income)"
    # contact, number, reference, date, due, total, tax total, paid, due amount, item, description, qty,
    # unit, line amount, tax amount, currency, type, sent, status
    rows = [
        (
            "bright",
            "INV-0101",
            "PO 5521",
            "05/01/2026",
            "04/02/2026",
            "1200.00",
            "200.00",
            "1200.00",
            "0.00",
            "SVC-ESP",
            "Espresso machine service",
            "1.0000",
            "600.00",
            "600.00",
            "120.00",
            "GBP",
            "Sales invoice",
            "Sent",
            "Paid",
        ),
        (
            "bright",
            "INV-0101",
            "PO 5521",
            "05/01/2026",
            "04/02/2026",
            "1200.00",
            "200.00",
            "1200.00",
            "0.00",
            "PRT-BUR",
            "Replacement grinder burrs",
            "2.0000",
            "200.00",
            "400.00",
            "80.00",
            "GBP",
            "Sales invoice",
            "Sent",
            "Paid",
        ),
        (
            "north",
            "INV-0102",
            "",
            "12/01/2026",
            "11/02/2026",
            "1200.00",
            "200.00",
            "400.00",
            "800.00",
            "",
            "Consulting – January",
            "10.0000",
            "50.00",
            "500.00",
            "100.00",
            "GBP",
            "Sales invoice",
            "Sent",
            "Awaiting Payment",
        ),
        (
            "north",
            "INV-0102",
            "",
            "12/01/2026",
            "11/02/2026",
            "1200.00",
            "200.00",
            "400.00",
            "800.00",
            "",
            "Travel expenses",
            "1.0000",
            "250.00",
            "250.00",
            "50.00",
            "GBP",
            "Sales invoice",
            "Sent",
            "Awaiting Payment",
        ),
        (
            "north",
            "INV-0102",
            "",
            "12/01/2026",
            "11/02/2026",
            "1200.00",
            "200.00",
            "400.00",
            "800.00",
            "",
            "Report writing",
            "5.0000",
            "50.00",
            "250.00",
            "50.00",
            "GBP",
            "Sales invoice",
            "Sent",
            "Awaiting Payment",
        ),
        (
            "harbour",
            "INV-0103",
            "",
            "20/01/2026",
            "19/02/2026",
            "3600.00",
            "600.00",
            "0.00",
            "3600.00",
            "",
            "Annual maintenance contract",
            "1.0000",
            "3000.00",
            "3000.00",
            "600.00",
            "GBP",
            "Sales invoice",
            "Sent",
            "Awaiting Payment",
        ),
        (
            "bright",
            "CN-0007",
            "INV-0101",
            "03/02/2026",
            "",
            "240.00",
            "40.00",
            "0.00",
            "240.00",
            "PRT-BUR",
            "Credit for returned burrs",
            "1.0000",
            "200.00",
            "200.00",
            "40.00",
            "GBP",
            "Sales credit note",
            "Sent",
            "Awaiting Payment",
        ),
        (
            "north",
            "INV-0104",
            "",
            "10/02/2026",
            "12/03/2026",
            "480.00",
            "80.00",
            "0.00",
            "480.00",
            "",
            "Workshop, half day",
            "1.0000",
            "400.00",
            "400.00",
            "80.00",
            "GBP",
            "Sales invoice",
            "Unsent",
            "Draft",
        ),
        (
            "harbour",
            "INV-0105",
            "",
            "14/02/2026",
            "16/03/2026",
            "960.00",
            "160.00",
            "0.00",
            "0.00",
            "",
            "Emergency call-out",
            "1.0000",
            "800.00",
            "800.00",
            "160.00",
            "GBP",
            "Sales invoice",
            "Sent",
            "Voided",
        ),
        (
            "bistro",
            "INV-0106",
            "BC 2026-11",
            "02/03/2026",
            "01/04/2026",
            "1800.00",
            "300.00",
            "0.00",
            "1800.00",
            "BEAN-60",
            "Coffee beans – 60 kg",
            "60.0000",
            "20.00",
            "1200.00",
            "240.00",
            "EUR",
            "Sales invoice",
            "Sent",
            "Awaiting Payment",
        ),
        (
            "bistro",
            "INV-0106",
            "BC 2026-11",
            "02/03/2026",
            "01/04/2026",
            "1800.00",
            "300.00",
            "0.00",
            "1800.00",
            "",
            "Barista training",
            "1.0000",
            "300.00",
            "300.00",
            "60.00",
            "EUR",
            "Sales invoice",
            "Sent",
            "Awaiting Payment",
        ),
    ]
    lines = [",".join(XERO_HEADER)]
    for (
        contact,
        number,
        reference,
        date,
        due,
        total,
        tax_total,
        paid,
        amount_due,
        item,
        description,
        qty,
        unit,
        line_amount,
        tax_amount,
        currency,
        typ,
        sent,
        status,
    ) in rows:
        values = (
            contacts[contact]
            + [""] * 8
            + [
                number,
                reference,
                date,
                due,
                "",
                total,
                tax_total,
                paid,
                amount_due,
                item,
                description,
                qty,
                unit,
                "",
                line_amount,
                "200",
                vat,
                tax_amount,
                "",
                "",
                "",
                "",
                currency,
                typ,
                sent,
                status,
            ]
        )
        assert len(values) == len(XERO_HEADER)
        lines.append(",".join(csv_field(v) for v in values))
    write_text("xero/sales_invoices.csv", lines, "utf-8")


# ---------------------------------------------------------------------------------------------------
# QuickBooks Online, Reports > A/R Aging Detail > Export to CSV: title lines, a header whose first cell
# is empty, one section per aging bucket (oldest first) closed by a "Total for <bucket>" row, a final
# TOTAL row, then the basis/timestamp footer. US dates, amounts with thousands commas (quoted).
# ---------------------------------------------------------------------------------------------------


def quickbooks() -> None:
    lines = [
        "A/R Aging Detail",
        "Blue Heron Landscaping LLC",
        "As of March 31, 2026",
        "",
        ",Date,Transaction Type,Num,Customer full name,Due Date,Amount,Open Balance",
        "91 or more days past due",
        ',11/14/2025,Invoice,1011,Amy\'s Bird Sanctuary,12/14/2025,"1,250.00","1,250.00"',
        ",12/01/2025,Invoice,1014,Freeman Sporting Goods:55 Twin Lane,12/31/2025,860.00,860.00",
        'Total for 91 or more days past due,,,,,,"2,110.00","2,110.00"',
        "61 - 90 days past due",
        ',12/20/2025,Invoice,1019,Cool Cars,01/19/2026,"2,400.00","1,400.00"',
        'Total for 61 - 90 days past due,,,,,,"2,400.00","1,400.00"',
        "31 - 60 days past due",
        ',01/10/2026,Invoice,1023,Freeman Sporting Goods:0969 Ocean View Road,02/09/2026,"1,890.00","1,890.00"',
        ",01/25/2026,Payment,,Cool Cars,,-300.00,-300.00",
        'Total for 31 - 60 days past due,,,,,,"1,590.00","1,590.00"',
        "1 - 30 days past due",
        ',02/05/2026,Invoice,1027,Geeta Kalapatapu,03/07/2026,"3,150.00","3,150.00"',
        ",02/12/2026,Credit Memo,1028,Amy's Bird Sanctuary,,-150.00,-150.00",
        'Total for 1 - 30 days past due,,,,,,"3,000.00","3,000.00"',
        "Current",
        ',03/02/2026,Invoice,1031,Kookies by Kathy,04/01/2026,"2,700.00","2,700.00"',
        ',03/15/2026,Invoice,1032,Cool Cars,04/14/2026,"1,500.00","1,500.00"',
        ",03/20/2026,Invoice,1033,Sonnenschein Family Store,04/19/2026,500.00,500.00",
        'Total for Current,,,,,,"4,700.00","4,700.00"',
        'TOTAL,,,,,,"13,800.00","12,800.00"',
        "",
        "",
        '"Accrual Basis Wednesday, April 1, 2026 09:14 AM GMT-07:00"',
    ]
    write_text("quickbooks_online/ar_aging_detail.csv", lines, "utf-8")


# ---------------------------------------------------------------------------------------------------
# SAP FBL5N (Customer Line Item Display), ALV grid > Export > Spreadsheet (XLSX): the column headers are
# the ALV column texts (the local-currency amount column is labelled " Amt in loc.cur.", with a leading
# space, in English); amounts as numbers, negative for credits; dates as date cells.
# ---------------------------------------------------------------------------------------------------


def sap() -> None:
    book = openpyxl_book()
    sheet = book.active
    sheet.title = "Sheet1"
    header = [
        "CoCd",
        "Account",
        "Assignment",
        "DocumentNo",
        "Type",
        "Doc. Date",
        "Net due dt",
        " Amt in loc.cur.",
        "LCurr",
        "Clrng doc.",
        "Clearing",
        "Reference",
        "Text",
    ]
    rows = [
        header,
        [
            "1000",
            "100001",
            "0090001230",
            "90001230",
            "RV",
            D("2026-01-05"),
            D("2026-02-04"),
            1190.0,
            "EUR",
            "1400000010",
            D("2026-02-03"),
            "90001230",
            "Maintenance contract Q1",
        ],
        [
            "1000",
            "100001",
            "0090001230",
            "1400000010",
            "DZ",
            D("2026-02-03"),
            D("2026-02-03"),
            -1190.0,
            "EUR",
            "1400000010",
            D("2026-02-03"),
            "90001230",
            "Incoming payment",
        ],
        [
            "1000",
            "100002",
            "0090001231",
            "90001231",
            "RV",
            D("2026-01-12"),
            D("2026-02-11"),
            5950.0,
            "EUR",
            None,
            None,
            "4500017788",
            "Spare parts delivery",
        ],
        [
            "1000",
            "100002",
            "0090001231",
            "1600000005",
            "DG",
            D("2026-01-20"),
            D("2026-01-20"),
            -595.0,
            "EUR",
            None,
            None,
            "90001231",
            "Credit memo damaged goods",
        ],
        [
            "1000",
            "100003",
            "0090001232",
            "90001232",
            "RV",
            D("2026-02-02"),
            D("2026-03-04"),
            2380.0,
            "EUR",
            None,
            None,
            "4500017802",
            "Installation",
        ],
        [
            "1000",
            "100003",
            "0090001233",
            "90001233",
            "RV",
            D("2026-02-16"),
            D("2026-03-18"),
            11900.0,
            "EUR",
            "1400000014",
            D("2026-03-10"),
            "4500017815",
            "Machine delivery",
        ],
        [
            "1000",
            "100003",
            "0090001233",
            "1400000014",
            "DZ",
            D("2026-03-10"),
            D("2026-03-10"),
            -11900.0,
            "EUR",
            "1400000014",
            D("2026-03-10"),
            "90001233",
            "Incoming payment",
        ],
        [
            "1000",
            "100004",
            None,
            "1800000021",
            "DR",
            D("2026-03-01"),
            D("2026-03-31"),
            714.0,
            "EUR",
            None,
            None,
            "FIN-2026-001",
            "Service fee March",
        ],
        [
            "1000",
            "100004",
            None,
            "100000045",
            "SA",
            D("2026-03-15"),
            D("2026-03-15"),
            -50.0,
            "EUR",
            None,
            None,
            None,
            "Write-off small difference",
        ],
        [
            "1000",
            "100005",
            "0090001234",
            "90001234",
            "RV",
            D("2026-03-20"),
            D("2026-04-19"),
            3570.0,
            "EUR",
            None,
            None,
            "4500017840",
            "Consulting",
        ],
        [None, None, None, None, None, None, None, 11969.0, "EUR", None, None, None, None],
    ]
    fill(sheet, rows, date_format="dd.mm.yyyy", number_format="#,##0.00", bold_header=True)
    save_openpyxl(book, "sap_fbl5n/fbl5n_line_items_en.xlsx")

    book = openpyxl_book()
    sheet = book.active
    sheet.title = "Sheet1"
    header = [
        "Konto",
        "Zuordnung",
        "Belegnummer",
        "Belegart",
        "Belegdatum",
        "Nettofälligkeit",
        "Betrag in Hauswährung",
        "Hauswährung",
        "Ausgleichsbeleg",
        "Ausgleichsdatum",
        "Referenz",
        "Text",
    ]
    rows = [
        header,
        [
            "100001",
            "0090001230",
            "90001230",
            "RV",
            D("2026-01-05"),
            D("2026-02-04"),
            1190.0,
            "EUR",
            "1400000010",
            D("2026-02-03"),
            "90001230",
            "Wartungsvertrag Q1",
        ],
        [
            "100001",
            "0090001230",
            "1400000010",
            "DZ",
            D("2026-02-03"),
            D("2026-02-03"),
            -1190.0,
            "EUR",
            "1400000010",
            D("2026-02-03"),
            "90001230",
            "Zahlungseingang",
        ],
        [
            "100002",
            "0090001231",
            "90001231",
            "RV",
            D("2026-01-12"),
            D("2026-02-11"),
            5950.0,
            "EUR",
            None,
            None,
            "4500017788",
            "Ersatzteillieferung",
        ],
        [
            "100002",
            "0090001231",
            "1600000005",
            "DG",
            D("2026-01-20"),
            D("2026-01-20"),
            -595.0,
            "EUR",
            None,
            None,
            "90001231",
            "Gutschrift beschädigte Ware",
        ],
        [
            "100003",
            "0090001232",
            "90001232",
            "RV",
            D("2026-02-02"),
            D("2026-03-04"),
            2380.0,
            "EUR",
            None,
            None,
            "4500017802",
            "Montage",
        ],
        [
            "100003",
            "0090001233",
            "90001233",
            "RV",
            D("2026-02-16"),
            D("2026-03-18"),
            11900.0,
            "EUR",
            "1400000014",
            D("2026-03-10"),
            "4500017815",
            "Maschinenlieferung",
        ],
        [
            "100003",
            "0090001233",
            "1400000014",
            "DZ",
            D("2026-03-10"),
            D("2026-03-10"),
            -11900.0,
            "EUR",
            "1400000014",
            D("2026-03-10"),
            "90001233",
            "Zahlungseingang",
        ],
        [
            "100005",
            "0090001234",
            "90001234",
            "RV",
            D("2026-03-20"),
            D("2026-04-19"),
            3570.0,
            "EUR",
            None,
            None,
            "4500017840",
            "Beratung",
        ],
        [None, None, None, None, None, None, 11305.0, "EUR", None, None, None, None],
    ]
    fill(sheet, rows, date_format="dd.mm.yyyy", number_format="#,##0.00", bold_header=True)
    save_openpyxl(book, "sap_fbl5n/fbl5n_posten_de.xlsx")


# ---------------------------------------------------------------------------------------------------
# Akaunting, Sales > Invoices > Export: one XLSX of six sheets named after the export classes in snake
# case; each sheet's header row holds the raw field names; dates are Excel dates formatted yyyy-mm-dd.
# ---------------------------------------------------------------------------------------------------


def akaunting() -> None:
    contacts = {
        "martin": (
            "Boulangerie Martin SARL",
            "compta@boulangerie-martin.fr",
            "FR40512345678",
            "02 99 12 34 56",
            "12 rue des Halles",
            "France",
            "Bretagne",
            "35000",
            "Rennes",
        ),
        "durand": (
            "Durand & Fils",
            "factures@durand-fils.fr",
            "FR83438765432",
            "04 78 00 11 22",
            "4 place du Marché",
            "France",
            "Auvergne-Rhône-Alpes",
            "69002",
            "Lyon",
        ),
        "sge": (
            "Société Générale d'Éclairage",
            "ap@sge-eclairage.fr",
            "FR21301234567",
            "05 56 98 76 54",
            "Zone d'activité des Vignes",
            "France",
            "Nouvelle-Aquitaine",
            "33700",
            "Mérignac",
        ),
        "lefevre": (
            "Atelier Lefèvre",
            "atelier.lefevre@example.fr",
            None,
            "03 20 55 44 33",
            "8 impasse des Tanneurs",
            "France",
            "Hauts-de-France",
            "59800",
            "Lille",
        ),
        "rouxel": (
            "Transports Rouxel SAS",
            "comptabilite@rouxel-transports.fr",
            "FR07399876543",
            "02 96 40 40 40",
            "RN 12",
            "France",
            "Bretagne",
            "22200",
            "Guingamp",
        ),
    }
    invoices = [  # sorted by invoice number, descending, as the export sorts them
        ("INV-00008", None, "draft", "2026-03-25", "2026-04-24", 600.0, "lefevre"),
        ("INV-00007", "LOT-4502", "sent", "2026-03-10", "2026-04-09", 3600.0, "rouxel"),
        ("INV-00006", None, "cancelled", "2026-02-26", "2026-03-28", 1200.0, "sge"),
        ("INV-00005", "BC-2026-022", "partial", "2026-02-12", "2026-03-14", 2400.0, "durand"),
        ("INV-00004", None, "viewed", "2026-02-02", "2026-03-04", 1800.0, "martin"),
        ("INV-00003", "CMD 88412", "paid", "2026-01-20", "2026-02-19", 960.0, "sge"),
        ("INV-00002", None, "paid", "2026-01-12", "2026-02-11", 3000.0, "durand"),
        ("INV-00001", "BC-2026-014", "paid", "2026-01-05", "2026-02-04", 1200.0, "martin"),
    ]
    book = openpyxl_book()
    sheet = book.active
    sheet.title = "invoices"
    rows = [
        [
            "invoice_number",
            "order_number",
            "status",
            "invoiced_at",
            "due_at",
            "amount",
            "discount_type",
            "discount_rate",
            "currency_code",
            "currency_rate",
            "category_name",
            "contact_name",
            "contact_email",
            "contact_tax_number",
            "contact_phone",
            "contact_address",
            "contact_country",
            "contact_state",
            "contact_zip_code",
            "contact_city",
            "title",
            "subheading",
            "notes",
            "footer",
            "template",
            "color",
            "parent_number",
        ]
    ]
    for number, order, status, issued, due, amount, who in invoices:
        name, email, tax_number, phone, address, country, state, zip_code, city = contacts[who]
        rows.append(
            [
                number,
                order,
                status,
                D(issued),
                D(due),
                amount,
                None,
                None,
                "EUR",
                1,
                "Sales",
                name,
                email,
                tax_number,
                phone,
                address,
                country,
                state,
                zip_code,
                city,
                None,
                None,
                None,
                None,
                "default",
                "#55588b",
                None,
            ]
        )
    fill(sheet, rows, date_format="yyyy-mm-dd")

    items = [  # invoice, item, type, quantity, price, total, tax
        ("INV-00001", "Révision four mixte", "service", 1.0, 1000.0, 1000.0, 200.0),
        ("INV-00002", "Audit énergétique", "service", 1.0, 2500.0, 2500.0, 500.0),
        ("INV-00003", "Luminaires LED", "product", 10.0, 80.0, 800.0, 160.0),
        ("INV-00004", "Four mixte MX-20", "product", 1.0, 1500.0, 1500.0, 300.0),
        ("INV-00005", "Maintenance trimestrielle", "service", 2.0, 1000.0, 2000.0, 400.0),
        ("INV-00006", "Étude éclairage", "service", 1.0, 1000.0, 1000.0, 200.0),
        ("INV-00007", "Transport Paris-Lyon", "service", 12.0, 250.0, 3000.0, 600.0),
        ("INV-00008", "Réparation vitrine", "service", 1.0, 500.0, 500.0, 100.0),
    ]
    sheet = book.create_sheet("invoice_items")
    fill(
        sheet,
        [
            [
                "invoice_number",
                "item_name",
                "item_description",
                "item_type",
                "quantity",
                "discount_type",
                "discount_rate",
                "price",
                "total",
                "tax",
            ]
        ]
        + [
            [inv, item, None, typ, qty, None, None, price, total, tax]
            for inv, item, typ, qty, price, total, tax in items
        ],
    )

    sheet = book.create_sheet("invoice_item_taxes")
    fill(
        sheet,
        [["invoice_number", "item_name", "tax_name", "tax_rate", "amount"]]
        + [[inv, item, "TVA 20%", 20, tax] for inv, item, typ, qty, price, total, tax in items],
    )

    histories = [
        ("INV-00001", "sent"),
        ("INV-00001", "paid"),
        ("INV-00002", "sent"),
        ("INV-00002", "partial"),
        ("INV-00002", "paid"),
        ("INV-00003", "sent"),
        ("INV-00003", "paid"),
        ("INV-00004", "viewed"),
        ("INV-00005", "sent"),
        ("INV-00005", "partial"),
        ("INV-00006", "sent"),
        ("INV-00006", "cancelled"),
        ("INV-00007", "sent"),
        ("INV-00008", "draft"),
    ]
    sheet = book.create_sheet("invoice_histories")
    fill(
        sheet,
        [["invoice_number", "status", "notify", "description"]]
        + [[inv, status, 0, f"{inv} {status}"] for inv, status in histories],
    )

    sheet = book.create_sheet("invoice_totals")
    totals = [["invoice_number", "code", "name", "amount", "sort_order"]]
    for inv, _item, _typ, _qty, _price, total, tax in items:
        totals += [
            [inv, "sub_total", "invoices.sub_total", total, 1],
            [inv, "tax", "TVA 20%", tax, 2],
            [inv, "total", "invoices.total", total + tax, 3],
        ]
    fill(sheet, totals)

    sheet = book.create_sheet("invoice_transactions")
    fill(
        sheet,
        [
            [
                "invoice_number",
                "transaction_number",
                "paid_at",
                "amount",
                "currency_code",
                "currency_rate",
                "account_name",
                "contact_email",
                "category_name",
                "description",
                "payment_method",
                "reference",
                "reconciled",
            ],
            [
                "INV-00005",
                "TRA-00005",
                D("2026-03-01"),
                1000.0,
                "EUR",
                1,
                "Compte courant",
                "factures@durand-fils.fr",
                "Sales",
                "Acompte INV-00005",
                "offline-payments.bank_transfer.2",
                "VIR-88213",
                0,
            ],
            [
                "INV-00003",
                "TRA-00004",
                D("2026-02-18"),
                960.0,
                "EUR",
                1,
                "Compte courant",
                "ap@sge-eclairage.fr",
                "Sales",
                None,
                "offline-payments.bank_transfer.2",
                "VIR-88150",
                1,
            ],
            [
                "INV-00002",
                "TRA-00003",
                D("2026-02-10"),
                1000.0,
                "EUR",
                1,
                "Caisse",
                "factures@durand-fils.fr",
                "Sales",
                None,
                "offline-payments.cash.1",
                None,
                1,
            ],
            [
                "INV-00001",
                "TRA-00002",
                D("2026-02-01"),
                1200.0,
                "EUR",
                1,
                "Compte courant",
                "compta@boulangerie-martin.fr",
                "Sales",
                None,
                "offline-payments.bank_transfer.2",
                "VIR-88002",
                1,
            ],
            [
                "INV-00002",
                "TRA-00001",
                D("2026-01-30"),
                2000.0,
                "EUR",
                1,
                "Compte courant",
                "factures@durand-fils.fr",
                "Sales",
                None,
                "offline-payments.bank_transfer.2",
                "VIR-87990",
                1,
            ],
        ],
        date_format="yyyy-mm-dd",
    )
    save_openpyxl(book, "akaunting/invoices.xlsx")

    book = openpyxl_book()
    sheet = book.active
    sheet.title = "customers"
    fill(
        sheet,
        [
            [
                "name",
                "email",
                "tax_number",
                "phone",
                "address",
                "country",
                "state",
                "zip_code",
                "city",
                "website",
                "currency_code",
                "category_name",
                "reference",
                "enabled",
                "can_login",
            ],
            [
                "Boulangerie Martin SARL",
                "compta@boulangerie-martin.fr",
                "FR40512345678",
                "02 99 12 34 56",
                "12 rue des Halles",
                "France",
                "Bretagne",
                "35000",
                "Rennes",
                "https://boulangerie-martin.example",
                "EUR",
                None,
                "C0001",
                1,
                True,
            ],
            [
                "Durand & Fils",
                "factures@durand-fils.fr",
                "FR83438765432",
                "04 78 00 11 22",
                "4 place du Marché",
                "France",
                "Auvergne-Rhône-Alpes",
                "69002",
                "Lyon",
                None,
                "EUR",
                None,
                "C0002",
                1,
                False,
            ],
            [
                "Société Générale d'Éclairage",
                "ap@sge-eclairage.fr",
                "FR21301234567",
                "05 56 98 76 54",
                "Zone d'activité des Vignes",
                "France",
                "Nouvelle-Aquitaine",
                "33700",
                "Mérignac",
                None,
                "EUR",
                None,
                None,
                1,
                False,
            ],
            [
                "Atelier Lefèvre",
                "atelier.lefevre@example.fr",
                None,
                "03 20 55 44 33",
                "8 impasse des Tanneurs",
                "France",
                "Hauts-de-France",
                "59800",
                "Lille",
                None,
                "EUR",
                None,
                None,
                1,
                False,
            ],
            [
                "Transports Rouxel SAS",
                "comptabilite@rouxel-transports.fr",
                "FR07399876543",
                "02 96 40 40 40",
                "RN 12",
                "France",
                "Bretagne",
                "22200",
                "Guingamp",
                None,
                "EUR",
                None,
                None,
                0,
                False,
            ],
        ],
    )
    save_openpyxl(book, "akaunting/customers.xlsx")


# ---------------------------------------------------------------------------------------------------
# Invoice Ninja 5, Reports > Export CSV: UTF-8, "," and "\n", header labels built as
# "<entity label> <field label>" in the company's language, amounts as PHP floats (1200, 1234.5),
# ISO dates, status words translated.
# ---------------------------------------------------------------------------------------------------

IN_INVOICE_ROWS = [  # number, client, date, due, amount, balance, paid to date, status key, PO, tax, currency
    ("FIN-2026-001", "Acme Studio", "2026-01-05", "2026-02-04", "1200", "0", "1200", "paid", "PO-7781", "200", "EUR"),
    ("END-42", "Bright Leaf Ltd", "2026-01-20", "2026-02-19", "2400", "1400", "1000", "partial", "", "400", "EUR"),
    ("TOTAL-7", "Acme Studio", "2026-02-01", "2026-03-03", "3600", "3600", "0", "sent", "PO-7790", "600", "EUR"),
    ("0004", "Côté Jardin SARL", "2026-02-15", "2026-03-17", "1234.5", "1234.5", "0", "sent", "", "205.75", "EUR"),
    ("0005", "Harbour & Co", "2026-03-01", "", "500", "0", "0", "draft", "", "0", "EUR"),
    ("0006", "Bright Leaf Ltd", "2026-03-05", "2026-04-04", "800", "0", "0", "cancelled", "", "0", "EUR"),
    ("0007", "Northwind Traders", "2026-03-10", "2026-04-09", "3300", "3300", "0", "sent", "NW-2231", "550", "USD"),
    ("0008", "Acme Studio", "2026-03-12", "2026-04-11", "600", "250", "350", "partial", "", "100", "EUR"),
]

IN_LANGUAGES = {
    # headers for the report keys invoice.number, client.name, invoice.date, invoice.due_date, invoice.amount,
    # invoice.balance, invoice.paid_to_date, invoice.status, invoice.po_number, invoice.total_taxes,
    # client.currency_id; then the status words draft, sent, partial, paid, cancelled.
    "en": (
        [
            "Invoice Invoice Number",
            "Client Name",
            "Invoice Date",
            "Invoice Due Date",
            "Invoice Amount",
            "Invoice Balance",
            "Invoice Paid to Date",
            "Invoice Status",
            "Invoice PO Number",
            "Invoice Tax Amount",
            "Client Currency",
        ],
        {"draft": "Draft", "sent": "Sent", "partial": "Partial/Deposit", "paid": "Paid", "cancelled": "Cancelled"},
    ),
    "fr": (
        [
            "Facture Numéro de facture",
            "Client Nom",
            "Facture Date",
            "Facture Date d'échéance",
            "Facture Montant",
            "Facture Solde",
            "Facture Payé à ce jour",
            "Facture Statut",
            "Facture N° de Bon de Commande",
            "Facture Montant de la taxe",
            "Client Devise",
        ],
        {"draft": "Brouillon", "sent": "Envoyé", "partial": "Acompte", "paid": "Payé", "cancelled": "Annulé"},
    ),
    "es": (
        [
            "Factura Número de Factura",
            "Cliente Nombre",
            "Factura Fecha",
            "Factura Fecha de Pago",
            "Factura Cantidad",
            "Factura Saldo",
            "Factura Pagado",
            "Factura Estado",
            "Factura Número de Orden",
            "Factura Suma de Impuestos",
            "Cliente Moneda",
        ],
        {
            "draft": "Borrador",
            "sent": "Enviado",
            "partial": "Parcial/Depósito",
            "paid": "Pagado",
            "cancelled": "Cancelado",
        },
    ),
    "it": (
        [
            "Fattura Numero Fattura",
            "Cliente Nome",
            "Fattura Data",
            "Fattura Scadenza",
            "Fattura Importo",
            "Fattura Bilancio",
            "Fattura Pagato a oggi",
            "Fattura Stato",
            "Fattura Numero d'ordine d'acquisto",
            "Fattura Importo tassa",
            "Cliente Valuta",
        ],
        {
            "draft": "Bozza",
            "sent": "Inviato",
            "partial": "Parziale/Deposito",
            "paid": "Pagata",
            "cancelled": "Annullato",
        },
    ),
    "de": (
        [
            "Rechnung Rechnungsnummer",
            "Kunde Name",
            "Rechnung Datum",
            "Rechnung Fälligkeitsdatum",
            "Rechnung Betrag",
            "Rechnung Saldo",
            "Rechnung Bereits gezahlt",
            "Rechnung Status",
            "Rechnung Bestellnummer",
            "Rechnung Steuerwert",
            "Kunde Währung",
        ],
        {
            "draft": "Entwurf",
            "sent": "Versendet",
            "partial": "Teil-/Anzahlung",
            "paid": "Bezahlt",
            "cancelled": "Storniert",
        },
    ),
    "nl": (
        [
            "Factuur Factuurnummer",
            "Klant Bedrijfsnaam",
            "Factuur Datum",
            "Factuur Vervaldatum",
            "Factuur Bedrag",
            "Factuur Saldo",
            "Factuur Reeds betaald",
            "Factuur Status",
            "Factuur Bestelnummer",
            "Factuur BTW",
            "Klant Munteenheid",
        ],
        {
            "draft": "Concept",
            "sent": "Verzonden",
            "partial": "Deelbetaling",
            "paid": "Betaald",
            "cancelled": "Geannuleerd",
        },
    ),
}

IN_FILES = {
    "en": "invoices_en.csv",
    "fr": "factures_fr.csv",
    "es": "facturas_es.csv",
    "it": "fatture_it.csv",
    "de": "rechnungen_de.csv",
    "nl": "facturen_nl.csv",
}


def invoice_ninja() -> None:
    for language, (header, words) in IN_LANGUAGES.items():
        lines = [",".join(csv_field(h) for h in header)]
        for number, client, date, due, amount, balance, paid, status, po, tax, currency in IN_INVOICE_ROWS:
            lines.append(
                ",".join(
                    csv_field(v)
                    for v in [number, client, date, due, amount, balance, paid, words[status], po, tax, currency]
                )
            )
        write_text(f"invoiceninja/{IN_FILES[language]}", lines, "utf-8")

    write_text(
        "invoiceninja/payments_en.csv",
        [
            (
                "Payment Number,Client Name,Payment Date,Payment Amount,Payment Applied,Payment Refunded,Payment Method,"
                "Payment Transaction Reference,Payment Status,Payment Currency"
            ),
            "0001,Acme Studio,2026-02-03,1200,1200,0,Bank Transfer,TRX-99812,Completed,EUR",
            "0002,Bright Leaf Ltd,2026-02-25,1000,1000,0,Check,CHK 004512,Completed,EUR",
            "0003,Acme Studio,2026-03-20,350,350,0,Bank Transfer,TRX-99907,Completed,EUR",
            "0004,Harbour & Co,2026-03-28,200,0,0,Bank Transfer,TRX-99950,Completed,EUR",
            "0005,Northwind Traders,2026-03-29,500,0,0,Credit Card,ch_3NxQ7a,Failed,USD",
        ],
        "utf-8",
    )

    write_text(
        "invoiceninja/clients_en.csv",
        [
            (
                "Client Number,Client Name,Contact Email,Client VAT Number,Client ID Number,Client Balance,"
                "Client Paid to Date,Client Currency,Client City,Client Country,Client Payment Terms"
            ),
            "0001,Acme Studio,billing@acmestudio.example,GB123456789,,3850,1550,EUR,London,United Kingdom,30",
            "0002,Bright Leaf Ltd,accounts@brightleaf.example,GB987654321,,1400,1000,EUR,Bristol,United Kingdom,30",
            "0003,Côté Jardin SARL,compta@cotejardin.example,FR61532198765,532198765,1234.5,0,EUR,Nantes,France,30",
            "0004,Harbour & Co,finance@harbourco.example,,,0,0,EUR,Plymouth,United Kingdom,14",
            "0005,Northwind Traders,ap@northwind.example,,,3300,0,USD,Seattle,United States,45",
        ],
        "utf-8",
    )

    write_text(
        "invoiceninja/credits_en.csv",
        [
            "Credit Credit Number,Client Name,Credit Date,Credit Amount,Credit Balance,Credit Status,Client Currency",
            "CR-0001,Acme Studio,2026-02-10,240,0,Applied,EUR",
            "CR-0002,Bright Leaf Ltd,2026-03-02,150,150,Sent,EUR",
            "CR-0003,Côté Jardin SARL,2026-03-15,300,100,Partial/Deposit,EUR",
            "CR-0004,Harbour & Co,2026-03-30,80,0,Draft,EUR",
        ],
        "utf-8",
    )


# ---------------------------------------------------------------------------------------------------
# Sage 100 (SQL edition), tables F_DOCENTETE (sales documents, DO_Domaine 0) and F_COMPTET (third
# parties) copied out of SQL Server as ";"-separated Windows-1252 text, values as SQL Server prints them.
# ---------------------------------------------------------------------------------------------------


def sage100() -> None:
    write_text(
        "sage100/f_docentete.csv",
        [
            "DO_Domaine;DO_Type;DO_Piece;DO_Date;DO_Tiers;DO_Ref;DO_TotalHT;DO_TotalTTC;DO_NetAPayer;DO_MontantRegle",
            "0;7;FA00101;2026-01-05 00:00:00.000;CMARTIN;BC-2026-014;1500.000000;1800.000000;1800.000000;1800.000000",
            "0;7;FA00102;2026-01-12 00:00:00.000;CDURAND;;2000.000000;2400.000000;2400.000000;1500.000000",
            "0;7;FA00103;2026-01-20 00:00:00.000;CSGE;CMD 88412;850.500000;1020.600000;1020.600000;0.000000",
            "0;7;FA00104;2026-02-02 00:00:00.000;CROUXEL;LOT-4471;4200.000000;5040.000000;5040.000000;0.000000",
            "0;6;FA00105;2026-02-15 00:00:00.000;CMARTIN;BC-2026-031;1500.000000;1800.000000;1800.000000;1800.000000",
            "0;6;FA00106;2026-03-01 00:00:00.000;CMARTIN;BC-2026-040;2500.000000;3000.000000;3000.000000;1200.000000",
            "0;6;FA00107;2026-03-05 00:00:00.000;CDURAND;;12000.000000;14400.000000;14400.000000;0.000000",
            "0;6;FA00108;2026-03-10 00:00:00.000;CLEFEVRE;;500.000000;600.000000;600.000000;0.000000",
        ],
        "cp1252",
        newline="\r\n",
    )
    write_text(
        "sage100/f_comptet.csv",
        [
            "CT_Num;CT_Intitule;CT_Identifiant;CT_Adresse;CT_CodePostal;CT_Ville;CT_Pays;CT_Telephone;CT_EMail",
            "CMARTIN;Boulangerie Martin SARL;FR40512345678;12 rue des Halles;35000;Rennes;France;02 99 12 34 56;compta@boulangerie-martin.fr",
            "CDURAND;Durand & Fils;FR83438765432;4 place du Marché;69002;Lyon;France;04 78 00 11 22;factures@durand-fils.fr",
            "CSGE;Société Générale d'Éclairage;FR21301234567;Zone d'activité des Vignes;33700;Mérignac;France;05 56 98 76 54;ap@sge-eclairage.fr",
            "CROUXEL;Transports Rouxel SAS;FR07399876543;RN 12;22200;Guingamp;France;02 96 40 40 40;comptabilite@rouxel-transports.fr",
            "CLEFEVRE;Atelier Lefèvre;;8 impasse des Tanneurs;59800;Lille;France;03 20 55 44 33;atelier.lefevre@example.fr",
        ],
        "cp1252",
        newline="\r\n",
    )


# ---------------------------------------------------------------------------------------------------
# Generic shapes, in no particular tool's exact layout: what every French/English accounting package
# prints as an invoice list, an aged balance, a customer ledger, an "invoices and payments" listing, a
# customer list, a payments list and a dispute list. Values as a French or English spreadsheet shows them.
# ---------------------------------------------------------------------------------------------------

NB = "\u00a0"  # the no-break space French locales put between thousands


def fr_amount(text: str) -> str:
    """Puts the no-break space between thousands groups, as a French spreadsheet prints 1 234,56."""
    return re.sub(r"(?<=\d) (?=\d{3}(?!\d))", NB, text)


def generic() -> None:
    write_text(
        "generic/liste_factures_fr.csv",
        [
            "Liste des factures clients — période du 01/01/2026 au 31/03/2026",
            "Édité le 31/03/2026 à 18:05",
            "",
            "N° facture;Type;Code client;Client;Date facture;Échéance;Montant HT;TVA;Montant TTC;Reste à payer;Devise;Statut;N° commande",
            fr_amount(
                "FIN-2026-001;Facture;411MARTIN;Boulangerie Martin SARL;05/01/2026;04/02/2026;1 500,00;300,00;1 800,00;0,00;EUR;Payée;BC-2026-014"
            ),
            fr_amount(
                "END-42;Facture;411DURAND;Durand & Fils;12/01/2026;11/02/2026;2 000,00;400,00;2 400,00;900,00;EUR;Partiellement payée;"
            ),
            fr_amount(
                "TOTAL-7;Facture;411SGE;Société Générale d'Éclairage;20/01/2026;19/02/2026;10 666,67;2 133,33;12 800,00;12 800,00;EUR;En retard;CMD 88412"
            ),
            fr_amount(
                "FA-2026-0104;Avoir;411MARTIN;Boulangerie Martin SARL;03/02/2026;03/02/2026;-250,00;-50,00;-300,00;-300,00;EUR;Non imputé;"
            ),
            fr_amount(
                "FA-2026-0105;Proforma;411LEFEVRE;Atelier Lefèvre;10/02/2026;12/03/2026;500,00;100,00;600,00;600,00;EUR;Proforma;"
            ),
            fr_amount(
                "FA-2026-0106;Facture;411ROUXEL;Transports Rouxel SAS;10/02/2026;12/03/2026;3 500,00;700,00;4 200,00;4 200,00;EUR;En retard;LOT-4471"
            ),
            fr_amount(
                "FA-2026-0107;Facture;411LEFEVRE;Atelier Lefèvre;15/02/2026;17/03/2026;1 250,00;250,00;1 500,00;1 500,00;EUR;Annulée;"
            ),
            fr_amount(
                "FA-2026-0108;Facture;411DURAND;Durand & Fils;01/03/2026;31/03/2026;1 000,00;200,00;1 200,00;1 200,00;EUR;Brouillon;"
            ),
            fr_amount(
                "FA-2026-0109;Facture;411NORDIC;Nordic Supply AB;05/03/2026;04/04/2026;2 000,00;0,00;2 000,00;2 000,00;USD;Non payée;PO-55-1"
            ),
            fr_amount(
                "FA-2026-0110;Facture;411SGE;Société Générale d'Éclairage;10/03/2026;09/04/2026;833,33;166,67;1 000,00;400,00;EUR;Partiellement payée;"
            ),
            fr_amount(
                "FA-2026-0111;Facture;411ROUXEL;Transports Rouxel SAS;20/03/2026;19/04/2026;416,67;83,33;500,00;0,00;EUR;Payée;"
            ),
            "",
            fr_amount("Total;;;;;;23 416,67;4 283,33;27 700,00;23 300,00;;;"),
            "Nombre de factures : 11",
        ],
        "cp1252",
        newline="\r\n",
    )

    book = openpyxl_book()
    sheet = book.active
    sheet.title = "Balance âgée"
    rows = [
        ["Balance âgée clients au 31/03/2026"],
        ["Société : Exemple Distribution SAS"],
        [],
        [
            "Compte",
            "Client",
            "Type",
            "Pièce",
            "Date pièce",
            "Échéance",
            "Montant",
            "Non échu",
            "1 à 30 jours",
            "31 à 60 jours",
            "61 à 90 jours",
            "Plus de 90 jours",
            "Solde",
        ],
        ["411BOUL - Boulangerie Martin SARL"],
        [
            "411BOUL",
            "Boulangerie Martin SARL",
            "Facture",
            "FA260112",
            D("2026-01-12"),
            D("2026-02-11"),
            1800.0,
            None,
            None,
            1800.0,
            None,
            None,
            1800.0,
        ],
        [
            "411BOUL",
            "Boulangerie Martin SARL",
            "Facture",
            "FA260301",
            D("2026-03-01"),
            D("2026-03-31"),
            2400.0,
            2400.0,
            None,
            None,
            None,
            None,
            2400.0,
        ],
        [
            "411BOUL",
            "Boulangerie Martin SARL",
            "Avoir",
            "AV260210",
            D("2026-02-10"),
            D("2026-02-10"),
            -300.0,
            None,
            None,
            -300.0,
            None,
            None,
            -300.0,
        ],
        ["Total 411BOUL", None, None, None, None, None, 3900.0, 2400.0, 0.0, 1500.0, 0.0, 0.0, 3900.0],
        ["411DURA - Durand & Fils"],
        [
            "411DURA",
            "Durand & Fils",
            "Facture",
            "FA251115",
            D("2025-11-15"),
            D("2025-12-15"),
            5000.0,
            None,
            None,
            None,
            None,
            2000.0,
            2000.0,
        ],
        [
            "411DURA",
            "Durand & Fils",
            "Facture",
            "FA260120",
            D("2026-01-20"),
            D("2026-02-19"),
            1200.0,
            None,
            None,
            1200.0,
            None,
            None,
            1200.0,
        ],
        [
            "411DURA",
            "Durand & Fils",
            "Règlement",
            "RG260305",
            D("2026-03-05"),
            None,
            -500.0,
            -500.0,
            None,
            None,
            None,
            None,
            -500.0,
        ],
        ["Total 411DURA", None, None, None, None, None, 5700.0, -500.0, 0.0, 1200.0, 0.0, 2000.0, 2700.0],
        ["411ROUX - Transports Rouxel SAS"],
        [
            "411ROUX",
            "Transports Rouxel SAS",
            "Facture",
            "FA260205",
            D("2026-02-05"),
            D("2026-03-07"),
            4200.0,
            None,
            4200.0,
            None,
            None,
            None,
            4200.0,
        ],
        [
            "411ROUX",
            "Transports Rouxel SAS",
            "Facture",
            "FA260315",
            D("2026-03-15"),
            D("2026-04-14"),
            960.0,
            960.0,
            None,
            None,
            None,
            None,
            960.0,
        ],
        ["Total 411ROUX", None, None, None, None, None, 5160.0, 960.0, 4200.0, 0.0, 0.0, 0.0, 5160.0],
        [],
        ["Total général", None, None, None, None, None, 14760.0, 2860.0, 4200.0, 2700.0, 0.0, 2000.0, 11760.0],
    ]
    fill(sheet, rows, date_format="dd/mm/yyyy", number_format="#,##0.00", bold_header=True, header_row=4)
    save_openpyxl(book, "generic/balance_agee_fr.xlsx")

    header = "Compte;Date;Journal;Pièce;Libellé;Échéance;Débit;Crédit;Solde;Lettrage"
    write_text(
        "generic/grand_livre_clients_fr.csv",
        [
            "Grand livre clients du 01/01/2026 au 31/03/2026",
            "",
            header,
            "411BOUL Boulangerie Martin SARL;;;;;;;;;",
            fr_amount("411BOUL;01/01/2026;AN;;Report à nouveau;;1 200,00;;1 200,00;A"),
            fr_amount(
                "411BOUL;12/01/2026;VE;FA260112;Facture FA260112 Boulangerie Martin;11/02/2026;1 800,00;;3 000,00;"
            ),
            fr_amount("411BOUL;20/01/2026;BQ;RG260120;Règlement virement;;;1 200,00;1 800,00;A"),
            fr_amount("411BOUL;10/02/2026;VE;AV260210;Avoir AV260210 retour marchandise;10/02/2026;;300,00;1 500,00;"),
            fr_amount("411BOUL;01/03/2026;VE;FA260301;Facture FA260301;31/03/2026;2 400,00;;3 900,00;"),
            fr_amount("Total compte 411BOUL;;;;;;5 400,00;1 500,00;3 900,00;"),
            header,
            "411DURA Durand & Fils;;;;;;;;;",
            fr_amount("411DURA;15/01/2026;VE;FA260115;Facture FA260115;14/02/2026;3 000,00;;3 000,00;B"),
            fr_amount("411DURA;10/02/2026;BQ;RG260210;Règlement chèque 0045821;;;3 000,00;0,00;B"),
            fr_amount("411DURA;20/02/2026;VE;FA260220;Facture FA260220;22/03/2026;1 200,00;;1 200,00;"),
            fr_amount("411DURA;15/03/2026;BQ;RG260315;Règlement partiel;;;500,00;700,00;"),
            fr_amount("411DURA;31/03/2026;OD;OD260331;Écart de règlement;;;0,50;699,50;"),
            fr_amount("Total compte 411DURA;;;;;;4 200,00;3 500,50;699,50;"),
            "",
            fr_amount("Total général;;;;;;9 600,00;5 000,50;4 599,50;"),
        ],
        "cp1252",
        newline="\r\n",
    )

    write_text(
        "generic/invoices_and_payments_en.csv",
        [
            "Type,Number,Customer,Account No,Date,Due Date,Amount,Applied To,Balance,Status",
            'Invoice,SI-1001,Brightside Cafe Ltd,BRI001,05/01/26,04/02/26,"£1,200.00",,£0.00,Paid',
            'Payment,PMT-501,Brightside Cafe Ltd,BRI001,03/02/26,,"(£1,200.00)",SI-1001,,Cleared',
            'Invoice,SI-1002,Northwind Traders,NOR002,12/01/26,11/02/26,"£2,400.00",,"£1,400.00",Part paid',
            'Payment,PMT-502,Northwind Traders,NOR002,20/02/26,,"(£1,000.00)",SI-1002,,Cleared',
            "Credit Note,CN-0031,Brightside Cafe Ltd,BRI001,13/02/26,,(£120.00),,(£120.00),Unallocated",
            'Invoice,SI-1003,Harbour & Co,HAR003,20/01/26,19/02/26,"£3,600.00",,"£3,600.00",Overdue',
            "Payment,PMT-503,Harbour & Co,HAR003,28/03/26,,(£250.00),,,Unallocated",
            'Invoice,SI-1004,Le Petit Bistro SARL,LEP004,02/03/26,01/04/26,"€1,800.00",,"€1,800.00",Outstanding',
            "Invoice,SI-1005,Northwind Traders,NOR002,15/03/26,14/04/26,£480.00,,£0.00,Void",
            "Overpayment,OP-0007,Harbour & Co,HAR003,29/03/26,,(£40.00),,(£40.00),Unallocated",
            "Invoice,SI-1006,Brightside Cafe Ltd,BRI001,25/03/26,24/04/26,£960.00,,£960.00,Outstanding",
        ],
        "utf-8",
        newline="\r\n",
    )

    write_text(
        "generic/clients_fr.csv",
        [
            "Code client;Raison sociale;SIREN;N° TVA intracommunautaire;Adresse;Code postal;Ville;Pays;E-mail facturation;Téléphone;Délai de paiement (jours);Mode d'envoi",
            "411MARTIN;Boulangerie Martin SARL;512345678;FR40512345678;12 rue des Halles;35000;Rennes;France;compta@boulangerie-martin.fr;02 99 12 34 56;30;E-mail",
            "411DURAND;Durand & Fils;438765432;FR83438765432;4 place du Marché;69002;Lyon;France;factures@durand-fils.fr;04 78 00 11 22;45;Plateforme",
            "411SGE;Société Générale d'Éclairage;301234567;FR21301234567;Zone d'activité des Vignes;33700;Mérignac;France;ap@sge-eclairage.fr;05 56 98 76 54;60;Portail fournisseur",
            "411LEFEVRE;Atelier Lefèvre;824567891;;8 impasse des Tanneurs;59800;Lille;France;atelier.lefevre@example.fr;03 20 55 44 33;30;Courrier",
            "411ROUXEL;Transports Rouxel SAS;399876543;FR07399876543;RN 12;22200;Guingamp;France;comptabilite@rouxel-transports.fr;02 96 40 40 40;30;E-mail",
            "411NORDIC;Nordic Supply AB;;SE556677889901;Industrigatan 4;41104;Göteborg;Suède;invoices@nordicsupply.example;+46 31 123 45 67;30;E-mail",
        ],
        "utf-8",
        newline="\r\n",
        bom=True,
    )

    write_text(
        "generic/reglements_fr.csv",
        [
            "N° règlement;Date de règlement;Code client;Client;N° facture;Mode de règlement;Montant réglé;Devise;Référence bancaire",
            fr_amount(
                "RG260203;03/02/2026;411MARTIN;Boulangerie Martin SARL;FIN-2026-001;Virement;1 800,00;EUR;VIR SEPA 88002"
            ),
            fr_amount("RG260210;10/02/2026;411DURAND;Durand & Fils;END-42;Chèque;1 000,00;EUR;CHQ 0045821"),
            fr_amount("RG260302;02/03/2026;411DURAND;Durand & Fils;END-42;Virement;500,00;EUR;VIR SEPA 88190"),
            fr_amount(
                "RG260316;16/03/2026;411SGE;Société Générale d'Éclairage;FA-2026-0110;Virement;600,00;EUR;VIR SEPA 88245"
            ),
            fr_amount(
                "RG260325;25/03/2026;411ROUXEL;Transports Rouxel SAS;FA-2026-0111;Prélèvement;500,00;EUR;SDD 2026-03"
            ),
            fr_amount("RG260330;30/03/2026;411ROUXEL;Transports Rouxel SAS;;Virement;1 000,00;EUR;VIR SEPA 88301"),
        ],
        "cp1252",
        newline="\r\n",
    )

    write_text(
        "generic/litiges_fr.csv",
        [
            "N° facture;Code client;Client;Date d'ouverture;Motif du litige;Montant contesté;Statut;Clos le",
            "TOTAL-7;411SGE;Société Générale d'Éclairage;25/02/2026;Quantités livrées inférieures à la commande;2"
            + NB
            + "400,00;Ouvert;",
            fr_amount(
                "FA-2026-0106;411ROUXEL;Transports Rouxel SAS;15/03/2026;Prix non conforme au devis;350,00;Ouvert;"
            ),
            fr_amount("END-42;411DURAND;Durand & Fils;20/02/2026;Facture reçue en double;900,00;Résolu;05/03/2026"),
            "FA-2026-0110;411SGE;Société Générale d'Éclairage;18/03/2026;Bon de commande manquant;;Ouvert;",
        ],
        "cp1252",
        newline="\r\n",
    )

    write_text(
        "generic/disputes_en.csv",
        [
            "Invoice Number,Customer,Dispute Date,Reason,Disputed Amount,Status,Resolved On",
            "SI-1003,Harbour & Co,2026-02-25,Goods damaged in transit,600.00,Open,",
            "SI-1002,Northwind Traders,2026-02-14,Wrong unit price,400.00,Resolved,2026-02-28",
            "SI-1006,Brightside Cafe Ltd,2026-03-28,No purchase order on the invoice,960.00,Open,",
        ],
        "utf-8",
        newline="\r\n",
    )


if __name__ == "__main__":
    dolibarr()
    odoo()
    xero()
    quickbooks()
    sap()
    akaunting()
    invoice_ninja()
    sage100()
    generic()
    print(f"fixtures written under {HERE}")
