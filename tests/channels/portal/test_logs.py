"""No link token, API key, e-mail address or client address reaches the logs of a running portal."""

from __future__ import annotations

import logging

import httpx

from tests.channels.portal.helpers import api_key_for, invoice_oid, token_for


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


def test_access_and_error_logs_hold_no_tokens_keys_or_personal_data(world, settings, live_portal):
    capture = Capture()
    capture.setFormatter(logging.Formatter("%(name)s %(message)s"))
    watched = [logging.getLogger(n) for n in ("uvicorn.access", "uvicorn.error", "relance.portal")]
    for logger in watched:
        logger.addHandler(capture)
    try:
        token = token_for(world, settings, "C001")
        key = api_key_for(world, "C001")
        oid = invoice_oid(settings, "C001", "F-2026-0001")
        with httpx.Client(base_url=live_portal) as http:
            assert http.get(f"/p/{token}?via=email&email=compta@martin.example").status_code == 200
            assert http.get(f"/p/{token}/invoices/{oid}").status_code == 200
            assert http.get("/api/v1/invoices", headers={"Authorization": f"Bearer {key}"}).status_code == 200
            assert http.get(f"/p/{token[:-2]}xx").status_code == 403
            assert http.get("/api/v1/invoices", headers={"Authorization": f"Bearer {key[:-2]}xx"}).status_code == 401
            # something that is logged with its own text: a warning about the snapshot
            world.home.snapshot.rename(world.home.snapshot.with_suffix(".away"))
            assert http.get(f"/p/{token}").status_code == 503
        logging.getLogger("relance.portal").warning("reminder for %s at %s", "compta@martin.example", "10.1.2.3")
    finally:
        for logger in watched:
            logger.removeHandler(capture)
    text = "\n".join(capture.lines)
    access = [line for line in capture.lines if line.startswith("uvicorn.access")]
    assert len(access) == 6  # the requests were logged ...
    assert any("/p/[token]/invoices/" + oid in line and " 200" in line for line in access)
    assert any("/api/v1/invoices" in line and " 401" in line for line in access)
    # ... without what would let a reader of the logs act as the customer or identify a person
    for secret in (
        token,
        token.split(".")[0],
        token.split(".")[1],
        key,
        key.split("_", 2)[2],
        "compta@martin.example",
        "127.0.0.1",
        "10.1.2.3",
    ):
        assert secret not in text, secret
    assert "[email]" in text and "[ip]" in text
