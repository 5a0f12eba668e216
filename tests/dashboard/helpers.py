"""Operational events of the hand-written invoice F-EVIDENCE-1 (customer in America/New_York)."""

from datetime import datetime, timezone

from stores import operational as ops

EVIDENCE_INVOICE = "F-EVIDENCE-1"
SMTP_REPLY = "250 2.0.0 Ok: queued as 4Xq1"
DOWNLOAD_IP = "203.0.113.7"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


def record_evidence_events(engine) -> None:
    utc = lambda *a: datetime(*a, tzinfo=timezone.utc)  # noqa: E731
    rows = [
        dict(event_type="issued", source="erp", occurred_at=utc(2026, 5, 4, 8, 0)),
        dict(
            event_type="sent",
            source="dispatch",
            channel="email",
            occurred_at=utc(2026, 5, 4, 13, 0),
            status_code="250",
            evidence={"smtp_reply": SMTP_REPLY, "message_id": "<f-ev-1@relance>", "recipient": "ap@evidence.example"},
        ),
        dict(
            event_type="delivered",
            source="dsn",
            channel="email",
            occurred_at=utc(2026, 5, 4, 13, 1),
            evidence={"remote_host": "mx.evidence.example"},
        ),
        dict(
            event_type="downloaded",
            source="portal",
            channel="email",
            occurred_at=utc(2026, 5, 6, 14, 30),
            evidence={"ip": DOWNLOAD_IP, "user_agent": USER_AGENT, "via": "e-mail link"},
        ),
        dict(
            event_type="reminded",
            source="dunning",
            channel="email",
            occurred_at=utc(2026, 6, 4, 9, 0),
            reminder_step="D+1",
        ),
        dict(
            event_type="promised",
            source="portal",
            occurred_at=utc(2026, 6, 10, 15, 0),
            evidence={"promised_date": "2026-07-15"},
        ),
    ]
    with engine.begin() as conn:
        for row in rows:
            ops.record_event(conn, invoice_number=EVIDENCE_INVOICE, customer_id="C-EVIDENCE", **row)
