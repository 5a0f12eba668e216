"""Signed portal links: an HMAC token scoped to one customer, expiring and revocable.

A token reads `<token_id>.<signature>`:
- token_id: 16 random bytes (128 bits, base64url), recorded in the operational table portal_tokens with
  the customer and the expiry, so a link can be revoked and its use traced;
- signature: HMAC-SHA256(secret, token_id | customer_id | expiry) in base64url. A forged or altered
  token fails before any lookup matters, and a copy of the table alone does not yield working links.
Signatures are compared in constant time (hmac.compare_digest).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from sqlalchemy import Engine, insert, select, update

from channels.portal.config import PortalSettings
from stores import operational as ops

TOKEN_ID_BYTES = 16
MAX_LINK_DAYS = 366
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$")


class InvalidToken(Exception):
    """The token is malformed, forged, unknown, expired or revoked (the reason stays server-side)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TokenGrant:
    token_id: str
    customer_id: str
    expires_at: datetime


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _as_utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns; they were stored in UTC.
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _signature(secret: bytes, token_id: str, customer_id: str, expires_at: datetime) -> str:
    message = f"portal-link:v1|{token_id}|{customer_id}|{int(_as_utc(expires_at).timestamp())}"
    return _b64(hmac.new(secret, message.encode("utf-8"), hashlib.sha256).digest())


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    return ops.open_store(url)


def issue_token(
    engine: Engine, secret: bytes, customer_id: str, days: int = 30, now: datetime | None = None
) -> tuple[str, TokenGrant]:
    """Record a new token for `customer_id` valid `days` days; returns (token, grant)."""
    if not customer_id or not str(customer_id).strip():
        raise ValueError("a customer id is required")
    if not 1 <= int(days) <= MAX_LINK_DAYS:
        raise ValueError(f"link validity must be between 1 and {MAX_LINK_DAYS} days, got {days}")
    now = now or ops.utcnow()
    # whole seconds: the signature covers the expiry as an epoch second, whatever the store keeps
    expires_at = (now + timedelta(days=int(days))).replace(microsecond=0)
    token_id = _b64(secrets.token_bytes(TOKEN_ID_BYTES))
    with engine.begin() as conn:
        conn.execute(
            insert(ops.portal_tokens).values(
                token_id=token_id,
                customer_id=customer_id,
                created_at=now,
                expires_at=expires_at,
                revoked_at=None,
            )
        )
    token = f"{token_id}.{_signature(secret, token_id, customer_id, expires_at)}"
    return token, TokenGrant(token_id, customer_id, expires_at)


def verify_token(engine: Engine, secret: bytes, token: str, now: datetime | None = None) -> TokenGrant:
    """The grant a token carries, or InvalidToken (malformed, unknown, forged, expired or revoked)."""
    if not isinstance(token, str) or not _TOKEN_SHAPE.match(token):
        raise InvalidToken("malformed")
    token_id, signature = token.split(".", 1)
    with engine.connect() as conn:
        row = conn.execute(
            select(
                ops.portal_tokens.c.customer_id, ops.portal_tokens.c.expires_at, ops.portal_tokens.c.revoked_at
            ).where(ops.portal_tokens.c.token_id == token_id)
        ).first()
    if row is None:
        # still spend an HMAC so unknown and forged tokens take the same time
        _signature(secret, token_id, "", datetime(1970, 1, 1, tzinfo=timezone.utc))
        raise InvalidToken("unknown")
    expected = _signature(secret, token_id, row.customer_id, row.expires_at)
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii")):
        raise InvalidToken("bad signature")
    if row.revoked_at is not None:
        raise InvalidToken("revoked")
    if _as_utc(row.expires_at) <= (now or ops.utcnow()):
        raise InvalidToken("expired")
    return TokenGrant(token_id, row.customer_id, _as_utc(row.expires_at))


def _revoke_live(engine: Engine, which, action: str, target: dict[str, str], now: datetime | None) -> int:
    """Revoke the live tokens matching `which` and audit it in the same transaction; returns how many."""
    with engine.begin() as conn:
        result = conn.execute(
            update(ops.portal_tokens)
            .where(which, ops.portal_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now or ops.utcnow())
        )
        ops.audit(conn, "cli", action, target=target, item_count=result.rowcount)
    return result.rowcount


def revoke_customer(engine: Engine, customer_id: str, now: datetime | None = None) -> int:
    """Revoke every live token of a customer; returns how many were revoked."""
    return _revoke_live(
        engine,
        ops.portal_tokens.c.customer_id == customer_id,
        "portal.revoke_customer",
        {"customer_id": customer_id},
        now,
    )


def revoke_token(engine: Engine, token_id: str, now: datetime | None = None) -> bool:
    """Revoke one token by its id (the part of the link before the dot); False when unknown or revoked."""
    return (
        _revoke_live(
            engine, ops.portal_tokens.c.token_id == token_id, "portal.revoke_token", {"token_id": token_id}, now
        )
        == 1
    )


def link_for_token(base_url: str, token: str, via_email: bool = True) -> str:
    # `via=email` tells the portal the visit came from an e-mail (event source email-link)
    return f"{base_url.rstrip('/')}/p/{token}" + ("?via=email" if via_email else "")


def signed_link(
    customer_id: str,
    days: int = 30,
    base_url: str | None = None,
    *,
    settings: PortalSettings | None = None,
    via_email: bool = True,
) -> str:
    """A fresh signed portal link for one customer, as put in invoice e-mails and reminders.

    Settings come from the environment (RELANCE_HOME, RELANCE_OPERATIONAL_URL, RELANCE_PORTAL_SECRET,
    RELANCE_PORTAL_BASE_URL) unless given.
    """
    settings = settings or PortalSettings.from_env()
    token, _grant = issue_token(_engine(settings.operational_url), settings.secret, customer_id, days)
    return link_for_token(base_url or settings.base_url, token, via_email=via_email)
