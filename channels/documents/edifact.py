"""EDIFACT INVOIC D96A (EANCOM 1997, EAN008) interchanges written with pydifact.

The interchange control reference (UNB 0020) must never repeat between interchanges sent to a partner, so
it is not chosen here: the EDI channel passes in a number drawn from the operational store's sequence.
Parties are identified by GS1 GLN (code list qualifier 9). Every message is re-read after writing and
checked (`check_invoic`), as EDIFACT has no XSD or schematron to validate against: structure and totals,
and every text read back against the invoice's own.

Text: the interchange is UNOC (ISO 8859-1). Every text goes through edifact_text.to_unoc first (’ -> ',
“ ” -> ", € -> EUR...; a character with no equivalent stops the document with its name), pydifact escapes
+ : ' ? with the release character, and the result is encoded strictly. Long texts are spread over the
repeated components EDIFACT gives them (names 5 x 35, street 4 x 35, descriptions 2 x 35 in IMD and the
whole text in a line FTX when longer), never cut.

Allowances and charges: ALC groups (document level with their TAX, line level after the line's TAX), MOA
204 (allowance) / 23 (charge), PCD 1 / 2 (percentage); the summary gives MOA 79 (lines), 260 (document
allowances), 259 (document charges), 125 (taxable), 176 (VAT), 77 (invoice total). A foreign-currency
invoice gives CUX 2:<currency>:4 + 3:EUR:11 (+ the rate when one gave the euro amount) and its VAT total in
euros as a second MOA 176 with currency EUR (BT-111).
"""

from __future__ import annotations

import re
import warnings
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from pydifact.segmentcollection import Interchange, Message
from pydifact.segments import Segment

from channels.documents.allowances import AllowanceCharge
from channels.documents.edifact_text import EdifactTextError, chunks, compare_texts, to_unoc
from channels.documents.frames import ZERO_RATE_CATEGORIES
from channels.documents.model import Invoice, PostalAddress
from channels.documents.validation import ValidationIssue, ValidationResult

MESSAGE_IDENTIFIER = ["INVOIC", "D", "96A", "UN", "EAN008"]
SYNTAX = ("UNOC", 3)  # ISO 8859-1 (accented French names)
CODEC = {"UNOA": "ascii", "UNOB": "ascii", "UNOC": "iso-8859-1", "UNOD": "iso-8859-2", "UNOW": "utf-8", "UNOY": "utf-8"}
GLN = re.compile(r"^\d{13}$")
RULE_SET = "edifact-structure"


class EdifactError(ValueError):
    pass


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _num(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


class _Text:
    """Texts as written, keyed by where they are, so the check compares what a partner reads back."""

    def __init__(self, number: str):
        self.number = number
        self.written: dict[str, str] = {}

    def __call__(self, where: str, text: str) -> str:
        try:
            carried = to_unoc(text)
        except EdifactTextError as error:
            raise EdifactError(f"invoice {self.number}, {where}: {error}") from error
        if carried:
            self.written[where] = carried
        return carried

    def pieces(self, where: str, text: str, size: int, count: int) -> list[str]:
        carried = self(where, text)
        try:
            return chunks(carried, size, count)
        except EdifactTextError as error:
            raise EdifactError(f"invoice {self.number}, {where}: {error}") from error


def _nad(texts: _Text, qualifier: str, gln: str, name: str, address: PostalAddress) -> Segment:
    # NAD+role+GLN::9++name(5x35)+street(4x35)+city+region+postcode+country
    street = " ".join(x for x in (address.line_one, address.line_two) if x)
    return Segment(
        "NAD",
        qualifier,
        [gln, "", "9"],
        "",
        texts.pieces(f"NAD+{qualifier} name", name, 35, 5),
        texts.pieces(f"NAD+{qualifier} street", street, 35, 4) if street else "",
        texts.pieces(f"NAD+{qualifier} city", address.city, 35, 1)[0] if address.city else "",
        "",
        texts.pieces(f"NAD+{qualifier} postcode", address.postcode, 9, 1)[0] if address.postcode else "",
        address.country_code,
    )


def _ftx(qualifier: str, text: str) -> Segment:
    return Segment("FTX", qualifier, "", "", chunks(text, 70, 5))


def _alc(add, texts: _Text, entry: AllowanceCharge, where: str, *, document_level: bool) -> None:
    reason = texts.pieces(f"{where} reason", entry.reason, 35, 2) if entry.reason else []
    if entry.charge:
        add(Segment("ALC", "C", "", "", "1", [entry.reason_code, "", "", *reason]))
    else:
        add(Segment("ALC", "A", ["", entry.reason_code], "", "1", ["", "", "", *reason] if reason else ""))
    if entry.percent is not None:
        add(Segment("PCD", ["2" if entry.charge else "1", _num(entry.percent)]))
    add(Segment("MOA", ["23" if entry.charge else "204", _amount(entry.amount)]))
    if entry.base_amount is not None:
        add(Segment("MOA", ["25", _amount(entry.base_amount)]))
    if document_level:
        add(Segment("TAX", "7", "VAT", "", "", ["", "", "", f"{Decimal(entry.vat_rate):.2f}"], entry.vat_category))


def invoic_message(invoice: Invoice, message_reference: str = "1") -> tuple[Message, dict[str, str]]:
    """The INVOIC message and the texts it carries, by where they are."""
    if not GLN.match(invoice.seller.gln or ""):
        raise EdifactError(f"invoice {invoice.number}: EDIFACT needs the seller's 13-digit GLN ([company].gln)")
    if not GLN.match(invoice.buyer.gln or ""):
        raise EdifactError(f"invoice {invoice.number}: customer {invoice.buyer.customer_id} has no 13-digit EDI GLN")
    texts = _Text(invoice.number)
    message = Message(message_reference, MESSAGE_IDENTIFIER)
    add = message.add_segment
    add(Segment("BGM", invoice.type_code.value, texts("BGM number", invoice.number), "9"))  # 9 = original
    add(Segment("DTM", ["137", invoice.issue_date.strftime("%Y%m%d"), "102"]))
    if invoice.delivery.date:
        add(Segment("DTM", ["35", invoice.delivery.date.strftime("%Y%m%d"), "102"]))
    header_texts = []
    for note in invoice.notes:
        # Text subject qualifier (4451) is the note's subject code where D96A has it; C108 holds 5 x 70 chars.
        qualifier = note.subject_code if note.subject_code in ("PMD", "PMT", "AAB", "TXD") else "AAI"
        header_texts.append((qualifier, note.content if qualifier != "AAI" else f"{note.subject_code}: {note.content}"))
    for entry in invoice.vat_breakdown:
        if entry.category in ZERO_RATE_CATEGORIES and entry.exemption_reason:
            header_texts.append(("TXD", entry.exemption_reason))  # the exemption's legal mention
    for position, (qualifier, text) in enumerate(header_texts, start=1):
        add(_ftx(qualifier, texts.pieces(f"FTX {position} ({qualifier})", text, 70 * 5, 1)[0]))
    if invoice.purchase_order:
        add(Segment("RFF", ["ON", texts("RFF+ON", invoice.purchase_order)]))
    if invoice.preceding_invoice:
        add(Segment("RFF", ["IV", texts("RFF+IV", invoice.preceding_invoice)]))
        if invoice.preceding_invoice_date:
            add(Segment("DTM", ["171", invoice.preceding_invoice_date.strftime("%Y%m%d"), "102"]))
    seller, buyer = invoice.seller, invoice.buyer
    add(_nad(texts, "SU", seller.gln, seller.name, seller.address))
    add(Segment("RFF", ["VA", seller.vat_id]))
    add(Segment("RFF", ["XA", seller.siren]))
    add(_nad(texts, "BY", buyer.gln, buyer.name, buyer.address))
    if buyer.vat_id:
        add(Segment("RFF", ["VA", buyer.vat_id]))
    if buyer.siren:
        add(Segment("RFF", ["XA", buyer.siren]))
    if invoice.delivery.address is not None and invoice.delivery.exported:
        add(_nad(texts, "DP", buyer.gln, invoice.delivery.name or buyer.name, invoice.delivery.address))
    euros = invoice.accounting_currency
    if euros is None:
        add(Segment("CUX", ["2", invoice.currency, "4"]))
    else:
        add(
            Segment(
                "CUX", ["2", invoice.currency, "4"], ["3", euros.code, "11"], _num(euros.rate) if euros.rate else ""
            )
        )
    if invoice.due_date:
        add(Segment("PAT", "1"))
        add(Segment("DTM", ["13", invoice.due_date.strftime("%Y%m%d"), "102"]))
    for index, entry in enumerate(invoice.allowances, start=1):
        _alc(add, texts, entry, f"ALC {index}", document_level=True)
    for line in invoice.lines:
        add(Segment("LIN", line.line_id))
        name = texts(f"LIN {line.line_id} description", line.name)
        add(Segment("IMD", "F", "", ["", "", "", *chunks(name[:70], 35, 2)]))
        if len(name) > 70:
            add(_ftx("AAA", name[:350]))
        add(Segment("QTY", ["47", _num(line.quantity), "PCE"]))
        add(Segment("MOA", ["203", _amount(line.net_amount)]))
        add(Segment("PRI", ["AAA", _num(line.net_price)]))
        add(Segment("TAX", "7", "VAT", "", "", ["", "", "", f"{Decimal(line.vat_rate):.2f}"], line.vat_category))
        for index, entry in enumerate(line.allowances, start=1):
            _alc(add, texts, entry, f"LIN {line.line_id} ALC {index}", document_level=False)
    totals = invoice.totals
    add(Segment("UNS", "S"))
    add(Segment("CNT", ["2", str(len(invoice.lines))]))
    add(Segment("MOA", ["77", _amount(totals.grand_total)]))  # invoice amount
    add(Segment("MOA", ["79", _amount(totals.line_total)]))  # total line items amount
    if invoice.document_allowances:
        add(Segment("MOA", ["260", _amount(totals.allowance_total)]))  # allowances total
    if invoice.document_charges:
        add(Segment("MOA", ["259", _amount(totals.charge_total)]))  # charges total
    add(Segment("MOA", ["125", _amount(totals.tax_basis_total)]))  # taxable amount
    add(Segment("MOA", ["176", _amount(totals.tax_total)]))  # total of all duty/tax/fee amounts
    if euros is not None:
        add(Segment("MOA", ["176", _amount(euros.tax_total), euros.code, "3"]))  # BT-111
    for entry in invoice.vat_breakdown:
        add(Segment("TAX", "7", "VAT", "", "", ["", "", "", f"{entry.rate:.2f}"], entry.category))
        add(Segment("MOA", ["125", _amount(entry.taxable_amount)]))
        add(Segment("MOA", ["124", _amount(entry.tax_amount)]))
    return message, texts.written


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
    message, _texts = invoic_message(invoice, message_reference="1")
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
    try:
        return text.encode("iso-8859-1")  # strict: every text went through to_unoc
    except UnicodeEncodeError as error:
        raise EdifactError(f"invoice {invoice.number}: {error}") from error


def _syntax_identifier(data: bytes) -> str:
    match = re.search(rb"UNB\+([A-Z]{4})", data[:400])
    return match.group(1).decode("ascii") if match else ""


def parse_interchange(data: bytes | str) -> Interchange:
    text = data.decode(CODEC.get(_syntax_identifier(data), "iso-8859-1")) if isinstance(data, bytes) else data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydifact warns that it ships no D96A directory to validate against
        return Interchange.from_str(text)


def _joined(value) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value if v is not None)
    return "" if value is None else str(value)


def texts_read_back(interchange: Interchange) -> dict[str, str]:
    """The texts of an INVOIC as a partner reads them, keyed as invoic_message writes them."""
    found: dict[str, str] = {}
    line = None
    alc_index = {"doc": 0}
    header_ftx = 0
    for segment in interchange.segments:
        e = segment.elements
        tag = segment.tag
        if tag == "BGM" and len(e) > 1:
            found["BGM number"] = _joined(e[1])
        elif tag == "NAD" and e:
            role = e[0]
            for index, key in ((3, "name"), (4, "street"), (5, "city"), (7, "postcode")):
                if len(e) > index and _joined(e[index]):
                    found[f"NAD+{role} {key}"] = _joined(e[index])
        elif tag == "RFF" and e and isinstance(e[0], list) and e[0][0] in ("ON", "IV") and len(e[0]) > 1:
            found[f"RFF+{e[0][0]}"] = e[0][1]
        elif tag == "FTX" and e:
            text = _joined(e[3]) if len(e) > 3 else ""
            if line is not None:
                if e[0] == "AAA":
                    found[f"LIN {line} description"] = text
            else:
                header_ftx += 1
                found[f"FTX {header_ftx} ({e[0]})"] = text
        elif tag == "LIN" and e:
            line = e[0]
            alc_index[line] = 0
        elif tag == "IMD" and line is not None and len(e) > 2 and isinstance(e[2], list):
            found.setdefault(f"LIN {line} description", "".join(e[2][3:5]))
        elif tag == "ALC" and e:
            scope = "doc" if line is None else line
            alc_index[scope] = alc_index.get(scope, 0) + 1
            where = f"ALC {alc_index[scope]}" if line is None else f"LIN {line} ALC {alc_index[scope]}"
            reason = e[4] if len(e) > 4 and isinstance(e[4], list) else []
            text = "".join(reason[3:5]) if len(reason) > 3 else ""
            if text:
                found[f"{where} reason"] = text
    return found


def _release_problems(data: bytes) -> list[str]:
    """Release characters that escape no service character: what a '?' put in place of an unknown
    character does (it silently eats the next one)."""
    head = data[:9]
    una = head.startswith(b"UNA") and len(head) == 9
    # UNA: component, element, decimal mark, release, repetition (a space before syntax version 4), terminator
    release = chr(head[6]) if una else "?"
    service = {chr(head[i]) for i in (3, 4, 6, 7, 8)} - {" "} if una else set(":+?'*")
    body = data[9:] if una else data
    text = body.decode("iso-8859-1")
    problems = []
    i = 0
    while i < len(text):
        if text[i] == release:
            following = text[i + 1] if i + 1 < len(text) else ""
            if following not in service:
                offset = i + (9 if una else 0)
                problems.append(f"release character before {following!r} at byte {offset}: it escapes nothing")
            i += 2
            continue
        i += 1
    return problems


def check_invoic(data: bytes, invoice: Invoice | None = None) -> ValidationResult:
    """Structural, character and arithmetic checks of an interchange; with the `invoice` it was written
    from, every text read back must equal the invoice's (transliterated) text."""
    issues: list[ValidationIssue] = []

    def fail(rule, message):
        issues.append(ValidationIssue(RULE_SET, rule, "fatal", message))

    syntax = _syntax_identifier(data)
    codec = CODEC.get(syntax)
    if not syntax:
        return ValidationResult(
            "edifact", (ValidationIssue(RULE_SET, "EDI-SYNTAX", "fatal", "no UNB segment"),), (RULE_SET,)
        )
    if codec is None:
        fail("EDI-CHARSET", f"syntax identifier {syntax} is not one this check knows (UNOA, UNOB, UNOC, UNOW...)")
    else:
        try:
            decoded = data.decode(codec)
        except UnicodeDecodeError as error:
            fail("EDI-CHARSET", f"bytes that are not {syntax} ({codec}): {error}")
        else:
            controls = sorted(
                {f"U+{ord(c):04X}" for c in decoded if (ord(c) < 0x20 and c not in "\r\n") or 0x7F <= ord(c) < 0xA0}
            )
            if controls:
                fail("EDI-CHARSET", f"control characters in the text: {', '.join(controls)}")
    for problem in _release_problems(data):
        fail("EDI-RELEASE", problem)
    try:
        interchange = parse_interchange(data)
        messages = list(interchange.get_messages())
    except Exception as error:  # noqa: BLE001 - pydifact raises several types for syntax errors
        fail("EDI-SYNTAX", str(error))
        return ValidationResult("edifact", tuple(issues), (RULE_SET,))
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
        if message.type == "INVOIC" and list(message.identifier)[:3] == ["INVOIC", "D", "96A"]:
            _check_amounts(message, fail)
        if not any(s.tag == "NAD" and s.elements[0] in ("SU", "SE") for s in message.segments):
            fail("EDI-NAD", "no supplier NAD+SU")
        if not any(s.tag == "NAD" and s.elements[0] == "BY" for s in message.segments):
            fail("EDI-NAD", "no buyer NAD+BY")
    if invoice is not None:
        _message, expected = invoic_message(invoice)
        for _where, problem in compare_texts(expected, texts_read_back(interchange)):
            fail("EDI-TEXT", problem)
    return ValidationResult("edifact", tuple(issues), (RULE_SET,))


def _check_amounts(message: Message, fail) -> None:
    def amount(segment) -> Decimal | None:
        try:
            return Decimal(segment.elements[0][1])
        except (InvalidOperation, IndexError, TypeError):
            fail("EDI-MOA", f"MOA {segment.elements} has no readable amount")
            return None

    in_summary = False
    line_total = Decimal("0")
    summary: dict[str, Decimal] = {}
    for segment in message.segments:
        if segment.tag == "UNS":
            in_summary = True
        if segment.tag != "MOA":
            continue
        qualifier = segment.elements[0][0]
        value = amount(segment)
        if value is None:
            continue
        if not in_summary and qualifier == "203":
            line_total += value
        elif in_summary and qualifier in ("77", "79", "125", "176", "259", "260"):
            currency = segment.elements[0][2] if len(segment.elements[0]) > 2 else ""
            if qualifier == "176" and currency and "176" in summary:
                continue  # the VAT total in the VAT accounting currency (BT-111)
            if qualifier == "125" and "125" in summary:
                continue  # taxable amounts of the VAT breakdown
            summary.setdefault(qualifier, value)
    zero = Decimal("0")
    if summary.get("79") != line_total:
        fail("EDI-MOA79", f"MOA+79 {summary.get('79')} differs from the sum of line amounts {line_total}")
    basis = summary.get("79", zero) - summary.get("260", zero) + summary.get("259", zero)
    if "125" in summary and summary["125"] != basis:
        fail("EDI-MOA125", f"MOA+125 {summary['125']} is not MOA+79 - MOA+260 + MOA+259 = {basis}")
    if summary.get("77") != summary.get("125", basis) + summary.get("176", zero):
        fail("EDI-MOA77", "MOA+77 is not MOA+125 + MOA+176")
