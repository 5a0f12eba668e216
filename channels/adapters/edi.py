"""EDI: EDIFACT INVOIC interchanges dropped in an outbox folder (RELANCE_HOME/outbox/edi), picked up by
the EDI gateway (VAN / AS2 client).

Each interchange gets a control reference (UNB 0020) from the operational store's sequence
`edi-interchange`, committed before the file is written: a crash can leave a gap in the numbering but a
number is never used twice, which is what partners check. The stored EDIFACT document is re-enveloped
with that number (UNB and UNZ), our sender GLN (RELANCE_EDI_SENDER_GLN, else the document's) and the
customer's GLN. File names carry the outbox row, so an interrupted send is settled by looking for it.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from channels.adapters.base import Delivery, PermanentError, Receipt
from channels.files import write_atomically
from stores.operational import next_sequence

SEQUENCE = "edi-interchange"
GLN = re.compile(r"^\d{13}$")


@dataclass(frozen=True)
class EdiConfig:
    sender_gln: str | None = None
    test_indicator: bool = False

    @classmethod
    def from_env(cls) -> EdiConfig:
        gln = os.environ.get("RELANCE_EDI_SENDER_GLN") or None
        if gln and not GLN.match(gln):
            raise ValueError(f"RELANCE_EDI_SENDER_GLN must be 13 digits, not {gln!r}")
        return cls(sender_gln=gln, test_indicator=os.environ.get("RELANCE_EDI_TEST", "") in ("1", "true", "yes"))


class EdiAdapter:
    channel = "edi"

    def __init__(self, outbox_dir: Path, config: EdiConfig, engine: Engine):
        self.outbox_dir = Path(outbox_dir)
        self.config = config
        self.engine = engine

    def _existing(self, outbox_id: int) -> Path | None:
        matches = sorted(self.outbox_dir.glob(f"*_{outbox_id:010d}.edi"))
        return matches[0] if matches else None

    def send(self, delivery: Delivery) -> Receipt:
        from channels.documents.edifact import parse_interchange

        item = delivery.first
        source = item.documents.get("edifact")
        if source is None:
            raise PermanentError(f"no EDIFACT document for {item.invoice_number}", code="document_missing")
        gln = delivery.recipient.edi_gln
        if not gln or not GLN.match(str(gln)):
            raise PermanentError(
                f"customer {delivery.recipient.customer_id} has no valid 13-digit GLN for EDI (got {gln!r})",
                code="no_gln",
            )
        try:
            interchange = parse_interchange(source.read_bytes())
        except Exception as exc:  # pydifact raises several types on bad input
            raise PermanentError(
                f"the EDIFACT document of {item.invoice_number} cannot be read: {exc}", code="edifact_invalid"
            ) from exc
        with self.engine.begin() as conn:
            control = next_sequence(conn, SEQUENCE)
        interchange.control_reference = str(control)
        sender = list(interchange.sender) if isinstance(interchange.sender, (list, tuple)) else [interchange.sender]
        if self.config.sender_gln:
            sender = [self.config.sender_gln, "14"]
        interchange.sender = sender
        interchange.recipient = [str(gln), "14"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydifact ships no service-segment directory to validate UNB/UNZ
            text = interchange.serialize(break_lines=True)
        if not text.startswith("UNA"):
            text = "UNA:+.? '\n" + text
        name = f"{control:014d}_{item.outbox_id:010d}.edi"
        write_atomically(self.outbox_dir / name, text.encode("iso-8859-1", errors="replace"))
        return Receipt(
            channel=self.channel,
            reference=str(control),
            evidence={"interchange_control_reference": control, "file": name, "recipient_gln": gln},
        )

    def lookup(self, delivery: Delivery) -> Receipt | None:
        found = self._existing(delivery.first.outbox_id)
        if found is None:
            return None
        control = int(found.name.split("_", 1)[0])
        return Receipt(
            channel=self.channel,
            reference=str(control),
            recovered=True,
            evidence={"interchange_control_reference": control, "file": found.name},
        )

    def close(self) -> None:
        return None
