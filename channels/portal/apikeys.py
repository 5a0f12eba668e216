"""Per-customer API keys for integrations (`Authorization: Bearer rlk_<key_id>_<secret>`).

The key is shown once at creation; the store keeps its SHA-256 only. A 256-bit random secret makes a
fast hash safe (nothing to brute-force), and verification compares hashes in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select, update

from stores import operational as ops

PREFIX = "rlk"
_KEY_SHAPE = re.compile(r"^rlk_([A-Za-z0-9]{16})_([A-Za-z0-9_-]{43})$")


class InvalidApiKey(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ApiKeyGrant:
    key_id: str
    customer_id: str


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_api_key(engine: Engine, customer_id: str, label: str | None = None) -> tuple[str, str]:
    """Create a key for `customer_id`; returns (key_id, full key). The full key is never stored."""
    if not customer_id or not str(customer_id).strip():
        raise ValueError("a customer id is required")
    key_id = secrets.token_hex(8)
    key = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    with engine.begin() as conn:
        conn.execute(
            insert(ops.api_keys).values(
                key_id=key_id,
                key_hash=_hash(key),
                customer_id=customer_id,
                label=label,
                created_at=ops.utcnow(),
                revoked_at=None,
            )
        )
        ops.audit(conn, "cli", "portal.create_api_key", target={"customer_id": customer_id, "key_id": key_id})
    return key_id, key


def verify_api_key(engine: Engine, key: str) -> ApiKeyGrant:
    match = _KEY_SHAPE.match(key or "")
    if not match:
        raise InvalidApiKey("malformed")
    key_id = match.group(1)
    with engine.connect() as conn:
        row = conn.execute(
            select(ops.api_keys.c.key_hash, ops.api_keys.c.customer_id, ops.api_keys.c.revoked_at).where(
                ops.api_keys.c.key_id == key_id
            )
        ).first()
    if row is None:
        raise InvalidApiKey("unknown")
    if not hmac.compare_digest(row.key_hash.encode("ascii"), _hash(key).encode("ascii")):
        raise InvalidApiKey("bad secret")
    if row.revoked_at is not None:
        raise InvalidApiKey("revoked")
    return ApiKeyGrant(key_id, row.customer_id)


def revoke_api_key(engine: Engine, key_id: str) -> bool:
    with engine.begin() as conn:
        result = conn.execute(
            update(ops.api_keys)
            .where(ops.api_keys.c.key_id == key_id, ops.api_keys.c.revoked_at.is_(None))
            .values(revoked_at=ops.utcnow())
        )
        ops.audit(conn, "cli", "portal.revoke_api_key", target={"key_id": key_id}, item_count=result.rowcount)
    return result.rowcount == 1
