"""EDIFACT INVOIC D96A (EANCOM 1997, EAN008) interchanges written with pydifact.

The interchange control reference (UNB 0020) must never repeat between interchanges sent to a partner, so
it is not chosen here: the EDI channel passes in a number drawn from the operational store's sequence.
Parties are identified by GS1 GLN (code list qualifier 9). Every message is re-read after writing and
checked for structure and totals (`check_invoic`), as EDIFACT has no XSD or schematron to validate against.
"""

from __future__ import annotations

import re
import warnings
from datetime import datetime, timezone
from decimal import Decimal

from pydifact.segmentcollection import Interchange, Message
from pydifact.segments import Segment

from channels.documents.model import Invoice, PostalAddress
from channels.documents.validation import ValidationIssue, ValidationResult

MESSAGE_IDENTIFIER = ["INVOIC", "D", "96A", "UN", "EAN008"]
SYNTAX = ("UNOC", 3)  # ISO 8859-1 (accented French names)
GLN = re.compile(r"^\d{13}$")


class EdifactError(ValueError):
    pass


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _num(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


def _nad(qualifier: str, gln: str, name: str, address: PostalAddress) -> Segment:
    # NAD+role+GLN::9++name+street+city++postcode+country  (35-character EDIFACT text fields)
    return Segment(
        "NAD",
        qualifier,
        [gln, "", "9"],
        "",
        name[:35],
        address.line_one[:35],
        address.city[:35],
        "",
        address.postcode[:9],
        address.country_code,
    )


def invoic_message(invoice: Invoice, message_reference: str = "1") -> Message:
    if not GLN.match(invoice.seller.gln or ""):
        raise EdifactError(f"invoice {invoice.number}: EDIFACT needs the seller's 13-digit GLN ([company].gln)")
    if not GLN.match(invoice.buyer.gln or ""):
        raise EdifactError(f"invoice {invoice.number}: customer {invoice.buyer.customer_id} has no 13-digit EDI GLN")
    message = Message(message_reference, MESSAGE_IDENTIFIER)
    add = message.add_segment
    add(Segment("BGM", invoice.type_code.value, invoice.number, "9"))  # 9 = original
    add(Segment("DTM", ["137", invoice.issue_date.strftime("%Y%m%d"), "102"]))
    if invoice.delivery.date:
        add(Segment("DTM", ["35", invoice.delivery.date.strftime("%Y%m%d"), "102"]))
    for note in invoice.notes:
        # Text subject qualifier (4451) is the note's subject code where D96A has it; C108 holds 5 x 70 chars.
        qualifier = note.subject_code if note.subject_code in ("PMD", "PMT", "AAB", "TXD") else "AAI"
        text = note.content if qualifier != "AAI" else f"{note.subject_code}: {note.content}"
        add(Segment("FTX", qualifier, "", "", [text[i : i + 70] for i in range(0, min(len(text), 350), 70)]))
    if invoice.purchase_order:
        add(Segment("RFF", ["ON", invoice.purchase_order]))
    if invoice.preceding_invoice:
        add(Segment("RFF", ["IV", invoice.preceding_invoice]))
        if invoice.preceding_invoice_date:
            add(Segment("DTM", ["171", invoice.preceding_invoice_date.strftime("%Y%m%d"), "102"]))
    seller, buyer = invoice.seller, invoice.buyer
    add(_nad("SU", seller.gln, seller.name, seller.address))
    add(Segment("RFF", ["VA", seller.vat_id]))
    add(Segment("RFF", ["XA", seller.siren]))
    add(_nad("BY", buyer.gln, buyer.name, buyer.address))
    if buyer.vat_id:
        add(Segment("RFF", ["VA", buyer.vat_id]))
    if buyer.siren:
        add(Segment("RFF", ["XA", buyer.siren]))
    if invoice.delivery.address:
        add(_nad("DP", buyer.gln, invoice.delivery.name or buyer.name, invoice.delivery.address))
    add(Segment("CUX", ["2", invoice.currency, "4"]))
    if invoice.due_date:
        add(Segment("PAT", "1"))
        add(Segment("DTM", ["13", invoice.due_date.strftime("%Y%m%d"), "102"]))
    for line in invoice.lines:
        add(Segment("LIN", line.line_id))
        add(Segment("IMD", "F", "", ["", "", "", line.name[:35]]))
        add(Segment("QTY", ["47", _num(line.quantity), "PCE"]))
        add(Segment("MOA", ["203", _amount(line.net_amount)]))
        add(Segment("PRI", ["AAA", _num(line.net_price)]))
        add(Segment("TAX", "7", "VAT", "", "", ["", "", "", f"{Decimal(line.vat_rate):.2f}"], line.vat_category))
    totals = invoice.totals
    add(Segment("UNS", "S"))
    add(Segment("CNT", ["2", str(len(invoice.lines))]))
    add(Segment("MOA", ["77", _amount(totals.grand_total)]))  # invoice amount
    add(Segment("MOA", ["79", _amount(totals.line_total)]))  # total line items amount
    add(Segment("MOA", ["125", _amount(totals.tax_basis_total)]))  # taxable amount
    add(Segment("MOA", ["176", _amount(totals.tax_total)]))  # total of all duty/tax/fee amounts
    for entry in invoice.vat_breakdown:
        add(Segment("TAX", "7", "VAT", "", "", ["", "", "", f"{entry.rate:.2f}"], entry.category))
        add(Segment("MOA", ["125", _amount(entry.taxable_amount)]))
        add(Segment("MOA", ["124", _amount(entry.tax_amount)]))
    return message


def write_invoic(
    invoice: Invoice,
    *,
    interchange_reference: str | int,
    timestamp: datetime | None = None,
    test_indicator: bool = False,
) -> bytes:
    """One interchange holding one INVOIC message; `interchange_reference` comes from the EDI channel."""
    reference = str(interchange_reference)
    if not re.fullmatch(r"[A-Za-z0-9]{1,14}", reference):
        raise EdifactError(f"interchange control reference {reference!r} must be 1-14 letters or digits")
    message = invoic_message(invoice, message_reference="1")
    extra = ["", "", "", "", "1"] if test_indicator else []
    interchange = Interchange(
        sender=[invoice.seller.gln, "14"],
        recipient=[invoice.buyer.gln, "14"],
        control_reference=reference,
        syntax_identifier=SYNTAX,
        timestamp=timestamp or datetime.now(timezone.utc),
        extra_header_elements=extra,
    )
    interchange.add_message(message)
    text = "UNA:+.? '\n" + interchange.serialize(break_lines=True)
    return text.encode("iso-8859-1", errors="replace")


def parse_interchange(data: bytes | str) -> Interchange:
    text = data.decode("iso-8859-1") if isinstance(data, bytes) else data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydifact warns that it ships no D96A directory to validate against
        return Interchange.from_str(text)


def check_invoic(data: bytes) -> ValidationResult:
    """Structural and arithmetic checks of a written interchange (segment counts, references, totals)."""
    issues: list[ValidationIssue] = []

    def fail(rule, message):
        issues.append(ValidationIssue("edifact", rule, "fatal", message))

    try:
        interchange = parse_interchange(data)
        messages = list(interchange.get_messages())
    except Exception as error:  # noqa: BLE001 - pydifact raises several types for syntax errors
        return ValidationResult("edifact", (ValidationIssue("edifact", "EDI-SYNTAX", "fatal", str(error)),))
    segments = interchange.segments
    unz = [s for s in segments if s.tag == "UNZ"] or [interchange.get_footer_segment()]
    if str(unz[-1].elements[0]) != str(len(messages)):
        fail("EDI-UNZ", f"UNZ counts {unz[-1].elements[0]} messages, interchange holds {len(messages)}")
    if len(messages) != 1 or messages[0].type != "INVOIC":
        fail("EDI-MSG", "expected exactly one INVOIC message")
    for message in messages:
        unh_at = next(i for i, s in enumerate(segments) if s.tag == "UNH" and s.elements[0] == message.reference_number)
        unt = next(s for s in segments[unh_at:] if s.tag == "UNT")
        if int(unt.elements[0]) != len(message.segments) + 2:
            fail("EDI-UNT", f"UNT counts {unt.elements[0]} segments, message has {len(message.segments) + 2}")
        line_total = sum(
            (Decimal(s.elements[0][1]) for s in message.segments if s.tag == "MOA" and s.elements[0][0] == "203"),
            Decimal("0"),
        )
        summary = {
            s.elements[0][0]: Decimal(s.elements[0][1])
            for s in message.segments
            if s.tag == "MOA" and s.elements[0][0] in ("77", "79", "176")
        }
        if summary.get("79") != line_total:
            fail("EDI-MOA79", f"MOA+79 {summary.get('79')} differs from the sum of line amounts {line_total}")
        if summary.get("77") != summary.get("79", Decimal(0)) + summary.get("176", Decimal(0)):
            fail("EDI-MOA77", "MOA+77 is not MOA+79 + MOA+176")
        if not any(s.tag == "NAD" and s.elements[0] == "SU" for s in message.segments):
            fail("EDI-NAD", "no supplier NAD+SU")
        if not any(s.tag == "NAD" and s.elements[0] == "BY" for s in message.segments):
            fail("EDI-NAD", "no buyer NAD+BY")
    return ValidationResult("edifact", tuple(issues), ("edifact-structure",))
