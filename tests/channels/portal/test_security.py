"""No customer reaches another's data, on every endpoint; bad credentials, CSRF and floods are refused,
without leaving an access event behind."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from channels.portal import apikeys, links
from channels.portal.app import create_app
from stores import operational as ops
from tests.channels.portal.helpers import api_key_for, csrf_of, event_count, file_oid, invoice_oid, token_for

# (method, path under /p/{token}, needs an invoice id, needs a file id)
PAGE_ENDPOINTS = [
    ("GET", "", False, False),
    ("GET", "/statement", False, False),
    ("GET", "/statement.pdf", False, False),
    ("GET", "/invoices/{oid}", True, False),
    ("GET", "/invoices/{oid}/files/{fid}", True, True),
    ("POST", "/invoices/{oid}/dispute", True, False),
    ("POST", "/invoices/{oid}/promise", True, False),
]
API_ENDPOINTS = [
    ("/api/v1/invoices", False, False),
    ("/api/v1/statement", False, False),
    ("/api/v1/statement.pdf", False, False),
    ("/api/v1/invoices/{oid}", True, False),
    ("/api/v1/invoices/{oid}/files/{fid}", True, True),
]
C001_NUMBERS = ("F-2026-0001", "F-2026-0002", "F-2026-0004", "AV-2026-0001")


def c001_ids(settings, world):
    return {
        "oid": invoice_oid(settings, "C001", "F-2026-0001"),
        "fid": file_oid(settings, "C001", "F-2026-0001", "pdf", world.files["c001_pdf"]),
    }


def form_for(client, token, settings, own_customer="C002", own_invoice="F-2026-0003"):
    """A CSRF-valid form for `token` (taken from one of its own invoice pages)."""
    page = client.get(f"/p/{token}/invoices/{invoice_oid(settings, own_customer, own_invoice)}")
    return {
        "csrf_token": csrf_of(page.text),
        "reason": "other",
        "comment": "x",
        "promised_date": (datetime.now(timezone.utc).date() + timedelta(days=3)).isoformat(),
    }


@pytest.mark.parametrize("method,path,with_invoice,with_file", PAGE_ENDPOINTS)
def test_foreign_token_never_sees_another_customers_data(
    world, settings, client, method, path, with_invoice, with_file
):
    foreign = token_for(world, settings, "C002")
    url = f"/p/{foreign}" + path.format(**c001_ids(settings, world))
    data = form_for(client, foreign, settings) if method == "POST" else None
    before = event_count(world.engine)
    answer = client.request(method, url, data=data, follow_redirects=False)
    if with_invoice:
        assert answer.status_code == 404
        assert event_count(world.engine) == before
    else:
        assert answer.status_code == 200  # C002's own list/statement ...
        body = answer.text if "pdf" not in path else answer.content.decode("latin-1")
        assert not any(number in body for number in C001_NUMBERS)  # ... with nothing of C001
    assert "F-2026-0001" not in answer.text


@pytest.mark.parametrize("method,path,with_invoice,with_file", [e for e in PAGE_ENDPOINTS if e[2]])
def test_foreign_invoice_id_is_not_found_even_with_own_token(
    world, settings, client, method, path, with_invoice, with_file
):
    own = token_for(world, settings, "C001")
    data = form_for(client, own, settings, "C001", "F-2026-0001") if method == "POST" else None
    foreign_ids = [
        # C002's invoice id and file id
        {
            "oid": invoice_oid(settings, "C002", "F-2026-0003"),
            "fid": file_oid(settings, "C002", "F-2026-0003", "pdf", world.files["c002_pdf"]),
        },
        # C002's invoice number dressed as a C001 id (ids are scoped: the number alone proves nothing)
        {
            "oid": invoice_oid(settings, "C001", "F-2026-0003"),
            "fid": file_oid(settings, "C001", "F-2026-0003", "pdf", world.files["c002_pdf"]),
        },
        # raw invoice numbers are not ids
        {"oid": "F-2026-0003", "fid": "pdf"},
        # own invoice, foreign file
        {
            "oid": invoice_oid(settings, "C001", "F-2026-0001"),
            "fid": file_oid(settings, "C002", "F-2026-0003", "pdf", world.files["c002_pdf"]),
        },
    ]
    before = event_count(world.engine)
    for ids in foreign_ids if with_file else foreign_ids[:3]:
        answer = client.request(method, f"/p/{own}" + path.format(**ids), data=data, follow_redirects=False)
        assert answer.status_code == 404, ids
        assert "F-2026-0003" not in answer.text
    assert event_count(world.engine) == before


@pytest.mark.parametrize("path,with_invoice,with_file", API_ENDPOINTS)
def test_foreign_api_key_never_sees_another_customers_data(world, settings, client, path, with_invoice, with_file):
    foreign_key = api_key_for(world, "C002")
    before = event_count(world.engine)
    answer = client.get(path.format(**c001_ids(settings, world)), headers={"Authorization": f"Bearer {foreign_key}"})
    if with_invoice:
        assert answer.status_code == 404 and answer.json() == {"error": "unknown invoice"}
        assert event_count(world.engine) == before
    else:
        assert answer.status_code == 200
        body = answer.text if "pdf" not in path else answer.content.decode("latin-1")
        assert not any(number in body for number in C001_NUMBERS)


@pytest.mark.parametrize("path,with_invoice,with_file", [e for e in API_ENDPOINTS if e[1]])
def test_foreign_invoice_id_through_the_api_is_not_found(world, settings, client, path, with_invoice, with_file):
    own_key = api_key_for(world, "C001")
    cases = [
        {
            "oid": invoice_oid(settings, "C002", "F-2026-0003"),
            "fid": file_oid(settings, "C002", "F-2026-0003", "pdf", world.files["c002_pdf"]),
        },
        {"oid": "F-2026-0003", "fid": "pdf"},
        # own invoice, another customer's file
        {
            "oid": invoice_oid(settings, "C001", "F-2026-0001"),
            "fid": file_oid(settings, "C002", "F-2026-0003", "pdf", world.files["c002_pdf"]),
        },
    ]
    for ids in cases if with_file else cases[:2]:
        answer = client.get(path.format(**ids), headers={"Authorization": f"Bearer {own_key}"})
        assert answer.status_code == 404, ids
    assert event_count(world.engine) == 0


def _expired(world, settings):
    token, _grant = links.issue_token(
        world.engine, settings.secret, "C001", 1, now=datetime.now(timezone.utc) - timedelta(days=2)
    )
    return token


def _revoked(world, settings):
    token = token_for(world, settings, "C001")
    links.revoke_token(world.engine, token.split(".")[0])
    return token


def _customer_revoked(world, settings):
    token = token_for(world, settings, "C001")
    links.revoke_customer(world.engine, "C001")
    return token


def _tampered_signature(world, settings):
    token = token_for(world, settings, "C001")
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def _moved_to_other_customer(world, settings):
    # an attacker with write access to the table re-assigns a token: the signature no longer matches
    token = token_for(world, settings, "C002")
    with world.engine.begin() as conn:
        conn.execute(
            update(ops.portal_tokens)
            .where(ops.portal_tokens.c.token_id == token.split(".")[0])
            .values(customer_id="C001")
        )
    return token


def _extended_expiry(world, settings):
    token = _expired(world, settings)
    with world.engine.begin() as conn:
        conn.execute(
            update(ops.portal_tokens)
            .where(ops.portal_tokens.c.token_id == token.split(".")[0])
            .values(expires_at=datetime.now(timezone.utc) + timedelta(days=30))
        )
    return token


def _signed_with_other_secret(world, settings):
    token, _ = links.issue_token(world.engine, b"another-secret-of-sufficient-length!!", "C001", 30)
    return token


BAD_TOKENS = {
    "expired": _expired,
    "revoked": _revoked,
    "customer revoked": _customer_revoked,
    "tampered": _tampered_signature,
    "moved": _moved_to_other_customer,
    "extended": _extended_expiry,
    "other secret": _signed_with_other_secret,
    "unknown": lambda w, s: "AAAAAAAAAAAAAAAAAAAAAA." + "A" * 43,
    "malformed": lambda w, s: "not-a-token",
}


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
def test_bad_tokens_are_refused_on_every_page(world, settings, client, kind):
    token = BAD_TOKENS[kind](world, settings)
    ids = c001_ids(settings, world)
    for method, path, _i, _f in PAGE_ENDPOINTS:
        answer = client.request(
            method, f"/p/{token}" + path.format(**ids), data={"reason": "other"}, follow_redirects=False
        )
        assert answer.status_code == 403, (kind, path)
        assert "F-2026" not in answer.text
    assert event_count(world.engine) == 0


def test_bad_api_keys_are_refused_on_every_endpoint(world, settings, client):
    revoked_id, revoked = apikeys.create_api_key(world.engine, "C001")
    apikeys.revoke_api_key(world.engine, revoked_id)
    _good_id, good = apikeys.create_api_key(world.engine, "C001")
    wrong_secret = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    ids = c001_ids(settings, world)
    for headers in (
        {},
        {"Authorization": "Basic Zm9vOmJhcg=="},
        {"Authorization": "Bearer "},
        {"Authorization": f"Bearer {revoked}"},
        {"Authorization": f"Bearer {wrong_secret}"},
        {"Authorization": "Bearer rlk_0000000000000000_" + "A" * 43},
    ):
        for path, _i, _f in API_ENDPOINTS:
            answer = client.get(path.format(**ids), headers=headers)
            assert answer.status_code == 401, (headers, path)
            assert answer.headers["www-authenticate"].startswith("Bearer")
    assert event_count(world.engine) == 0


def test_api_key_is_stored_hashed(world):
    key_id, key = apikeys.create_api_key(world.engine, "C001", "extranet")
    with world.engine.connect() as conn:
        row = conn.execute(ops.select(ops.api_keys).where(ops.api_keys.c.key_id == key_id)).one()
    assert key not in str(tuple(row)) and key.split("_", 2)[2] not in str(tuple(row))
    assert row.customer_id == "C001" and row.label == "extranet"


def test_forms_need_the_csrf_token_bound_to_cookie_and_link(world, settings, client):
    token = token_for(world, settings, "C001")
    oid = invoice_oid(settings, "C001", "F-2026-0001")
    good = csrf_of(client.get(f"/p/{token}/invoices/{oid}").text)
    url = f"/p/{token}/invoices/{oid}/dispute"
    assert client.post(url, data={"reason": "other"}).status_code == 403
    assert client.post(url, data={"reason": "other", "csrf_token": "forged"}).status_code == 403
    # a token minted for another link does not work on this one
    other = token_for(world, settings, "C001")
    other_csrf = csrf_of(client.get(f"/p/{other}/invoices/{oid}").text)
    assert other_csrf != good
    assert client.post(url, data={"reason": "other", "csrf_token": other_csrf}).status_code == 403
    # the right value without the browser's cookie (a cross-site form) is refused too
    cookie = client.cookies.get("relance_csrf")
    client.cookies.clear()
    assert client.post(url, data={"reason": "other", "csrf_token": good}).status_code == 403
    assert event_count(world.engine) == 2  # the two page views only
    client.cookies.set("relance_csrf", cookie, path="/p/")
    assert client.post(url, data={"reason": "other", "csrf_token": good}, follow_redirects=False).status_code == 303


def test_security_headers_on_pages_api_and_errors(world, settings, client):
    token = token_for(world, settings, "C001")
    key = api_key_for(world, "C001")
    for answer in (
        client.get(f"/p/{token}"),
        client.get("/api/v1/invoices", headers={"Authorization": f"Bearer {key}"}),
        client.get("/p/nope"),
        client.get("/nothing-here"),
    ):
        h = answer.headers
        assert "default-src 'none'" in h["content-security-policy"]
        assert "frame-ancestors 'none'" in h["content-security-policy"]
        assert h["x-frame-options"] == "DENY"
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "no-referrer"
        assert h["cache-control"] == "no-store"
        assert "strict-transport-security" not in h  # plain http: HSTS would be ignored and misleading
    with TestClient(create_app(settings), base_url="https://portal.test") as tls:
        assert tls.get(f"/p/{token}").headers["strict-transport-security"].startswith("max-age=31536000")


def test_rate_limits_per_token_and_per_ip(world, settings):
    settings.rate_per_credential, settings.burst_per_credential = 60, 3
    settings.rate_per_ip, settings.burst_per_ip = 60, 5
    first, second = token_for(world, settings, "C001"), token_for(world, settings, "C001")
    with TestClient(create_app(settings)) as client:
        assert [client.get(f"/p/{first}").status_code for _ in range(4)] == [200, 200, 200, 429]
        limited = client.get(f"/p/{first}")
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        # another link has its own bucket, but the address has used its five
        assert client.get(f"/p/{second}").status_code == 429
        # garbage tokens are counted against the address too: no free guessing
        assert client.get("/p/guess").status_code == 429
    assert event_count(world.engine) == 3


def test_tokens_and_ids_are_unguessable_and_distinct(world, settings):
    tokens = {token_for(world, settings, "C001") for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        token_id, signature = token.split(".")
        assert len(token_id) == 22 and len(signature) == 43  # 128-bit id, 256-bit HMAC
    assert invoice_oid(settings, "C001", "F-2026-0001") != invoice_oid(settings, "C002", "F-2026-0001")
    assert "2026" not in invoice_oid(settings, "C001", "F-2026-0001")
