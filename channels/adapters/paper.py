"""Paper: letters for a print house, batched into one merged PDF with a CSV manifest, postage costed.

Each send composes one letter (an address sheet rendered with WeasyPrint, then the reminder letter
`payload["letter_html"]` if any, then the invoice PDF) and writes it atomically to the open batch
(RELANCE_HOME/outbox/paper/open/<outbox id>.pdf + .json). `close()` seals the open letters into
`batches/<batch id>/batch.pdf` (pypdf) and `manifest.csv` (one line per letter: address, page range in the
batch, sheets, weight, service, postage, print cost). Sealing moves the letters into a `.sealing-*` folder
first and renames it when complete, and an interrupted seal is undone on the next one, so a letter is
printed in exactly one batch.

Costs come from a tariff (config/postage.toml, RELANCE_POSTAGE_TARIFF to use another): postage by
service class and weight bracket, plus print cost per page and enveloping; all Decimal.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tomllib
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape
from pypdf import PdfReader, PdfWriter

from channels.adapters.base import Delivery, PermanentError, Receipt
from channels.files import write_atomically
from stores.home import CONFIG_ROOT

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Bracket:
    max_grams: Decimal
    price: Decimal


@dataclass(frozen=True)
class Tariff:
    currency: str
    default_service: str
    services: dict[str, tuple[str, tuple[Bracket, ...]]]
    grams_per_sheet: Decimal
    envelope_grams: Decimal
    duplex: bool
    print_cost_per_page: Decimal
    enveloping_cost: Decimal

    def sheets(self, pages: int) -> int:
        return (pages + 1) // 2 if self.duplex else pages

    def weight(self, pages: int) -> Decimal:
        return self.grams_per_sheet * self.sheets(pages) + self.envelope_grams

    def postage(self, service: str, weight: Decimal) -> Decimal:
        if service not in self.services:
            raise PermanentError(
                f"unknown postal service {service!r}; tariff has {', '.join(self.services)}", code="unknown_service"
            )
        for bracket in self.services[service][1]:
            if weight <= bracket.max_grams:
                return bracket.price
        raise PermanentError(f"a {weight} g letter is over the heaviest {service} bracket", code="too_heavy")

    def print_cost(self, pages: int) -> Decimal:
        return (self.print_cost_per_page * pages + self.enveloping_cost).quantize(CENT)


def load_tariff(path: Path | None = None) -> Tariff:
    path = Path(path or os.environ.get("RELANCE_POSTAGE_TARIFF") or CONFIG_ROOT / "postage.toml")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read the postage tariff {path}: {exc}") from exc

    def money(value: Any, where: str) -> Decimal:
        if isinstance(value, float):
            raise ValueError(f"{path}: {where} must be a quoted decimal string, not the float {value}")
        try:
            return Decimal(str(value))
        except Exception as exc:
            raise ValueError(f"{path}: {where} is not a number: {value!r}") from exc

    services = {}
    for name, spec in (data.get("services") or {}).items():
        brackets = tuple(
            sorted(
                (
                    Bracket(Decimal(str(b["max_grams"])), money(b["price"], f"services.{name} price"))
                    for b in spec.get("brackets", [])
                ),
                key=lambda b: b.max_grams,
            )
        )
        if not brackets:
            raise ValueError(f"{path}: service {name} has no weight brackets")
        services[name] = (spec.get("label", name), brackets)
    letter = data.get("letter") or {}
    default = data.get("default_service") or next(iter(services), None)
    if default not in services:
        raise ValueError(f"{path}: default_service {default!r} is not one of the services")
    return Tariff(
        currency=data.get("currency", "EUR"),
        default_service=default,
        services=services,
        grams_per_sheet=money(letter.get("grams_per_sheet", "5"), "letter.grams_per_sheet"),
        envelope_grams=money(letter.get("envelope_grams", "5"), "letter.envelope_grams"),
        duplex=bool(letter.get("duplex", False)),
        print_cost_per_page=money(letter.get("print_cost_per_page", "0"), "letter.print_cost_per_page"),
        enveloping_cost=money(letter.get("enveloping_cost", "0"), "letter.enveloping_cost"),
    )


ADDRESS_SHEET = """<!doctype html>
<html><head><meta charset="utf-8"><style>
@page { size: A4; margin: 0 }
body { font-family: sans-serif; font-size: 10.5pt; margin: 0 }
.sender { position: absolute; left: 20mm; top: 15mm; width: 80mm; font-size: 9pt; color: #333 }
/* the window of a French DL/C5 envelope: 100 x 45 mm, 20 mm from the right, 45 mm from the top */
.window { position: absolute; right: 20mm; top: 50mm; width: 95mm; height: 40mm; line-height: 1.3 }
.ref { position: absolute; left: 20mm; top: 110mm; font-size: 9pt; color: #555 }
</style></head><body>
<div class="sender">{% for line in sender %}{{ line }}<br>{% endfor %}</div>
<div class="window">{% for line in address %}{{ line }}<br>{% endfor %}</div>
<div class="ref">{{ reference }}</div>
</body></html>"""

_jinja = Environment(autoescape=select_autoescape(default=True, default_for_string=True))


def render_letter_pdf(html: str) -> bytes:
    """A letter's HTML as a PDF. The HTML comes from templates a finance lead edits (rendered in a sandbox):
    it may not pull a file or a URL into the PDF; the one kind of resource it may carry is one embedded in the
    letter itself, a data: URL (the company logo). Anything else is left out."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()


def _sender_lines() -> list[str]:
    configured = os.environ.get("RELANCE_PAPER_SENDER")
    if configured:
        return [line.strip() for line in configured.split("|") if line.strip()]
    path = Path(os.environ.get("RELANCE_COMPANY_CONFIG") or CONFIG_ROOT / "company.toml")
    try:
        company = tomllib.loads(path.read_text(encoding="utf-8")).get("company", {})
    except (OSError, tomllib.TOMLDecodeError):
        return []
    address = company.get("address", {})
    return [
        x
        for x in (
            company.get("name"),
            address.get("line_one"),
            address.get("line_two"),
            f"{address.get('postcode', '')} {address.get('city', '')}".strip(),
        )
        if x
    ]


class PaperAdapter:
    channel = "paper"

    def __init__(self, root: Path, tariff: Tariff):
        self.root = Path(root)
        self.tariff = tariff
        self.open_dir = self.root / "open"
        self.batches_dir = self.root / "batches"
        self._sender = _sender_lines()

    def _letter_pdf(self, delivery: Delivery) -> tuple[bytes, int]:
        recipient = delivery.recipient
        address = recipient.postal_lines()
        if not recipient.address_line1 or not recipient.postcode or not recipient.city:
            raise PermanentError(
                f"customer {recipient.customer_id} has no complete postal address "
                "(line 1, postcode and city are needed)",
                code="no_address",
            )
        item = delivery.first
        # what the customer reads under the window: the payload's reference (a reminder's invoice numbers),
        # else the invoice number; never internal codes such as the dunning step
        reference = str(item.payload.get("reference") or item.invoice_number or "")
        parts = [
            render_letter_pdf(
                _jinja.from_string(ADDRESS_SHEET).render(sender=self._sender, address=address, reference=reference)
            )
        ]
        if item.payload.get("letter_html"):
            parts.append(render_letter_pdf(str(item.payload["letter_html"])))
        pdf = item.documents.get("pdf")
        if pdf is not None:
            data = pdf.read_bytes()
            if not data.startswith(b"%PDF-"):
                raise PermanentError(f"{item.invoice_number}: the document to print is not a PDF", code="not_pdf")
            parts.append(data)
        if len(parts) == 1:
            raise PermanentError(
                f"nothing to print for outbox row {item.outbox_id}: no PDF and no letter", code="document_missing"
            )
        writer = PdfWriter()
        for part in parts:
            writer.append(PdfReader(io.BytesIO(part)))
        buffer = io.BytesIO()
        writer.write(buffer)
        return buffer.getvalue(), len(writer.pages)

    def send(self, delivery: Delivery) -> Receipt:
        item = delivery.first
        service = str(item.payload.get("postal_service") or self.tariff.default_service)
        letter, pages = self._letter_pdf(delivery)
        weight = self.tariff.weight(pages)
        postage = self.tariff.postage(service, weight)
        print_cost = self.tariff.print_cost(pages)
        recipient = delivery.recipient
        meta = {
            "outbox_id": item.outbox_id,
            "invoice_number": item.invoice_number,
            "customer_id": recipient.customer_id,
            "kind": item.kind,
            "address": recipient.postal_lines(),
            "pages": pages,
            "sheets": self.tariff.sheets(pages),
            "weight_grams": str(weight),
            "service": service,
            "postage": str(postage),
            "print_cost": str(print_cost),
            "currency": self.tariff.currency,
            "queued_at": datetime.now(timezone.utc).isoformat(),
        }
        name = f"{item.outbox_id:010d}"
        # the PDF first, the metadata last: sealing only takes letters whose .json exists
        write_atomically(self.open_dir / f"{name}.pdf", letter)
        write_atomically(self.open_dir / f"{name}.json", json.dumps(meta, ensure_ascii=False).encode("utf-8"))
        return Receipt(
            channel=self.channel,
            reference=name,
            cost=postage + print_cost,
            evidence={
                "letter": name,
                "pages": pages,
                "weight_grams": str(weight),
                "service": service,
                "postage": str(postage),
                "print_cost": str(print_cost),
                "currency": self.tariff.currency,
            },
        )

    def lookup(self, delivery: Delivery) -> Receipt | None:
        name = f"{delivery.first.outbox_id:010d}"
        found = self.open_dir / f"{name}.json"
        if not found.exists():
            matches = list(self.batches_dir.glob(f"*/letters/{name}.json"))
            found = matches[0] if matches else None
        if found is None:
            return None
        meta = json.loads(found.read_text(encoding="utf-8"))
        return Receipt(
            channel=self.channel,
            reference=name,
            recovered=True,
            cost=Decimal(meta["postage"]) + Decimal(meta["print_cost"]),
            evidence={k: meta[k] for k in ("pages", "weight_grams", "service", "postage", "print_cost")},
        )

    def close(self) -> None:
        self.seal()

    def _undo_interrupted_seals(self) -> None:
        if not self.batches_dir.exists():
            return
        for sealing in self.batches_dir.glob(".sealing-*"):
            letters = sealing / "letters"
            if letters.exists():
                self.open_dir.mkdir(parents=True, exist_ok=True)
                for path in letters.iterdir():
                    os.replace(path, self.open_dir / path.name)
            shutil.rmtree(sealing, ignore_errors=True)

    def seal(self) -> Path | None:
        """Merge every complete open letter into a new batch; None when there is nothing to print.

        Dispatch chunks run in parallel processes and each seals when it ends: a lock file makes them
        seal one after the other (the second finds the letters gone and has nothing to do)."""
        import fcntl

        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".seal.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return self._seal_locked()

    def _seal_locked(self) -> Path | None:
        self._undo_interrupted_seals()
        if not self.open_dir.exists():
            return None
        ready = sorted(p.with_suffix("") for p in self.open_dir.glob("*.json") if p.with_suffix(".pdf").exists())
        if not ready:
            return None
        batch_id = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        sealing = self.batches_dir / f".sealing-{batch_id}"
        letters_dir = sealing / "letters"
        letters_dir.mkdir(parents=True)
        for stem in ready:
            os.replace(stem.with_suffix(".pdf"), letters_dir / f"{stem.name}.pdf")
            os.replace(stem.with_suffix(".json"), letters_dir / f"{stem.name}.json")
        writer = PdfWriter()
        rows = []
        for number, stem in enumerate(ready, start=1):
            meta = json.loads((letters_dir / f"{stem.name}.json").read_text(encoding="utf-8"))
            first_page = len(writer.pages) + 1
            writer.append(PdfReader(letters_dir / f"{stem.name}.pdf"))
            address = meta["address"] + [""] * (5 - len(meta["address"]))
            rows.append(
                {
                    "letter": number,
                    "outbox_id": meta["outbox_id"],
                    "invoice_number": meta["invoice_number"] or "",
                    "customer_id": meta["customer_id"],
                    "kind": meta["kind"],
                    **{f"address_{i + 1}": address[i] for i in range(5)},
                    "first_page": first_page,
                    "last_page": len(writer.pages),
                    "pages": meta["pages"],
                    "sheets": meta["sheets"],
                    "weight_grams": meta["weight_grams"],
                    "service": meta["service"],
                    "postage": meta["postage"],
                    "print_cost": meta["print_cost"],
                    "currency": meta["currency"],
                }
            )
        with open(sealing / "batch.pdf", "wb") as fh:
            writer.write(fh)
        buffer = io.StringIO()
        out = csv.DictWriter(buffer, fieldnames=list(rows[0]), delimiter=";", lineterminator="\n")
        out.writeheader()
        out.writerows(rows)
        total_postage = sum(Decimal(r["postage"]) for r in rows)
        total_print = sum(Decimal(r["print_cost"]) for r in rows)
        (sealing / "manifest.csv").write_text(buffer.getvalue(), encoding="utf-8")
        (sealing / "summary.json").write_text(
            json.dumps(
                {
                    "batch": batch_id,
                    "letters": len(rows),
                    "pages": len(writer.pages),
                    "postage": str(total_postage),
                    "print_cost": str(total_print),
                    "currency": self.tariff.currency,
                },
                indent=2,
            ),
            encoding="utf-8",
        )
        final = self.batches_dir / batch_id
        os.replace(sealing, final)
        return final
