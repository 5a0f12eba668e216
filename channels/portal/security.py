"""Portal protections: rate limits, CSRF tokens, security headers and a log filter that keeps tokens, keys
and personal data (client IPs, e-mail addresses) out of the logs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass

# ---------------------------------------------------------------- rate limiting


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets in memory (one process): `per_minute` sustained with bursts up to `burst`.

    0 disables the limit. Buckets idle long enough to be full again are dropped, so memory stays bounded
    by the number of active clients.
    """

    def __init__(self, per_minute: int, burst: int, clock=time.monotonic):
        self.rate = per_minute / 60.0
        self.burst = max(1, burst)
        self.enabled = per_minute > 0
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self._last_sweep = clock()

    def allow(self, key: str) -> tuple[bool, float]:
        """(allowed, seconds to wait before retrying)."""
        if not self.enabled:
            return True, 0.0
        now = self._clock()
        with self._lock:
            if now - self._last_sweep > 60:
                self._sweep(now)
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(float(self.burst), now)
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return True, 0.0
            return False, (1.0 - bucket.tokens) / self.rate

    def _sweep(self, now: float) -> None:
        full_after = self.burst / self.rate if self.rate else 0
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.updated < full_after}
        self._last_sweep = now


# ---------------------------------------------------------------- CSRF (signed double submit)

CSRF_COOKIE = "relance_csrf"
CSRF_FIELD = "csrf_token"


def new_csrf_nonce() -> str:
    return secrets.token_urlsafe(24)


def csrf_token_for(secret: bytes, nonce: str, token_id: str) -> str:
    """The form value bound to the browser's cookie nonce and to the link's token."""
    digest = hmac.new(secret, f"portal-csrf:v1|{nonce}|{token_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def csrf_valid(secret: bytes, nonce: str | None, token_id: str, submitted: str | None) -> bool:
    if not nonce or not submitted or len(nonce) > 64 or len(submitted) > 64:
        return False
    return hmac.compare_digest(
        csrf_token_for(secret, nonce, token_id).encode("ascii"), submitted.encode("ascii", "replace")
    )


# ---------------------------------------------------------------- security headers

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_BASE_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeadersMiddleware:
    """Adds the headers to every HTTP response (plain ASGI: no per-request Python objects)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        https = scope.get("scheme") == "https"

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _v in headers}
                headers.extend(h for h in _BASE_HEADERS if h[0] not in present)
                if https:
                    headers.append(_HSTS)
                if b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


# ---------------------------------------------------------------- log filter

_PATH_TOKEN = re.compile(r"(/p/)[^/?#\s\"']+")
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")
_API_KEY = re.compile(r"rlk_[A-Za-z0-9]+_[A-Za-z0-9_-]+")
_QUERY = re.compile(r"\?[^\s\"']*")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b")


def redact(text: str, addresses: bool = True) -> str:
    text = _PATH_TOKEN.sub(r"\1[token]", text)
    text = _BEARER.sub(r"\1[key]", text)
    text = _API_KEY.sub("[key]", text)
    text = _QUERY.sub("?[query]", text)
    text = _EMAIL.sub("[email]", text)
    return _IPV4.sub("[ip]", text) if addresses else text


class RedactingFilter(logging.Filter):
    """Rewrites records so link tokens, API keys, query strings, e-mail addresses and client IPs never
    reach a log handler. Attached to uvicorn's access and error loggers and to the portal's own."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            _client, method, path, version, status = record.args
            record.args = ("-", method, redact(str(path)), version, status)
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record: keep it out rather than risk leaking
            return False
        # uvicorn.error tells where the server listens; client addresses only appear in the access log
        record.msg, record.args = redact(message, addresses=record.name != "uvicorn.error"), None
        if record.exc_info and record.exc_text is None:
            # format the traceback now so the redaction covers it too
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


LOGGERS_TO_FILTER = ("uvicorn.access", "uvicorn.error", "relance.portal", "relance.portal.events")


def install_log_filter() -> RedactingFilter:
    """Attach one RedactingFilter to the loggers and their handlers (idempotent)."""
    flt = next((f for f in logging.getLogger("uvicorn.access").filters if isinstance(f, RedactingFilter)), None)
    flt = flt or RedactingFilter()
    for name in LOGGERS_TO_FILTER:
        logger = logging.getLogger(name)
        if flt not in logger.filters:
            logger.addFilter(flt)
        for handler in logger.handlers:
            if flt not in handler.filters:
                handler.addFilter(flt)
    return flt
