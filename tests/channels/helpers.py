"""Test helpers for the channels: real PDFs in a document store, invoices queued in a real outbox."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from pypdf import PdfWriter

from channels import outbox as ob
from channels.recipients import Recipient, RecipientDirectory
from stores.documents import DocumentStore
from stores.home import Home


def pdf_bytes(pages: int = 1, pad_to: int = 0, title: str = "invoice") -> bytes:
    """A real PDF (pypdf), optionally padded with an embedded file to reach about `pad_to` bytes."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    if pad_to:
        import os

        writer.add_attachment("padding.bin", os.urandom(pad_to))  # random: does not compress away
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def queue_invoices(
    engine,
    home: Home,
    numbers: list[str],
    *,
    customer_id: str = "C1",
    channel: str = "email",
    pdf: bytes | None = None,
    payload_extra: dict | None = None,
    formats: dict | None = None,
) -> list[int]:
    store = DocumentStore(home.documents)
    ids = []
    with engine.begin() as conn:
        for number in numbers:
            documents = {"pdf": store.put(pdf if pdf is not None else pdf_bytes(title=number))}
            for fmt, data in (formats or {}).items():
                documents[fmt] = store.put(data)
            new_id = ob.enqueue(
                conn,
                idempotency_key=f"invoice:{number}:{channel}",
                kind="invoice",
                customer_id=customer_id,
                channel=channel,
                invoice_number=number,
                payload={"documents": documents, "language": "fr", **(payload_extra or {})},
            )
            ids.append(new_id)
    return ids


def directory(**overrides) -> RecipientDirectory:
    base = dict(
        customer_id="C1",
        name="Dupont SA",
        email="compta@dupont.example",
        language="fr",
        preferred_channel="email",
        fallback_channels=(),
        address_line1="1 rue de la Paix",
        postcode="75002",
        city="Paris",
        country="FR",
        edi_gln="3012345000004",
        platform_id="PLAT-C1",
        ap_portal_id="AP-C1",
    )
    base.update(overrides)
    return RecipientDirectory([Recipient(**base)])


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key
