"""Portal settings, read from the environment (RELANCE_PORTAL_*) with defaults fit for the local demo."""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass, field

from stores.home import Home, relance_home

SECRET_ENV = "RELANCE_PORTAL_SECRET"
SECRET_FILE_NAME = "portal-secret"
MIN_SECRET_BYTES = 32


class PortalConfigError(RuntimeError):
    """Raised when the portal configuration cannot work (e.g. a secret that is too short)."""


def load_secret(home: Home) -> bytes:
    """The HMAC key of links, opaque ids and CSRF tokens.

    RELANCE_PORTAL_SECRET wins. Without it (the demo), a random secret is generated once and kept in
    RELANCE_HOME/portal-secret with 0600 permissions, so links survive restarts of the portal.
    """
    value = os.environ.get(SECRET_ENV)
    if value:
        raw = value.encode("utf-8")
        if len(raw) < MIN_SECRET_BYTES:
            raise PortalConfigError(
                f"{SECRET_ENV} is {len(raw)} bytes long; use at least {MIN_SECRET_BYTES} random bytes "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        return raw
    path = home.root / SECRET_FILE_NAME
    if not path.exists():
        home.root.mkdir(parents=True, exist_ok=True)
        # Written whole to a private temporary file, then linked into place: the secret file appears
        # complete or not at all (a crash mid-write cannot leave a short secret), and os.link fails if
        # another process got there first, so two processes starting together agree on one secret.
        fd, tmp = tempfile.mkstemp(dir=home.root, prefix=".portal-secret-")
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    os.chmod(path, 0o600)
    raw = path.read_text(encoding="utf-8").strip().encode("utf-8")
    if len(raw) < MIN_SECRET_BYTES:
        raise PortalConfigError(f"{path} holds a secret shorter than {MIN_SECRET_BYTES} bytes; delete it")
    return raw


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        parsed = int(value)
    except ValueError:
        raise PortalConfigError(f"{name} must be an integer, got {value!r}") from None
    if parsed < 0:
        raise PortalConfigError(f"{name} must be >= 0, got {parsed}")
    return parsed


@dataclass
class PortalSettings:
    home: Home
    operational_url: str
    secret: bytes = field(repr=False)
    base_url: str = "http://127.0.0.1:8070"
    # Token-bucket rate limits, in requests per minute with a burst; 0 disables a limit.
    rate_per_credential: int = 120
    burst_per_credential: int = 40
    rate_per_ip: int = 600
    burst_per_ip: int = 120
    # Events are written by one thread per process in small transactions; a request returns only after
    # its own event is committed.
    event_batch_size: int = 200
    promise_max_days: int = 180
    default_language: str = "fr"

    @classmethod
    def from_env(cls, home: Home | None = None, operational_url: str | None = None) -> PortalSettings:
        home = home or relance_home()
        return cls(
            home=home,
            operational_url=operational_url or home.operational_url,
            secret=load_secret(home),
            base_url=os.environ.get("RELANCE_PORTAL_BASE_URL", "http://127.0.0.1:8070").rstrip("/"),
            rate_per_credential=_int_env("RELANCE_PORTAL_RATE_PER_TOKEN", 120),
            burst_per_credential=_int_env("RELANCE_PORTAL_BURST_PER_TOKEN", 40),
            rate_per_ip=_int_env("RELANCE_PORTAL_RATE_PER_IP", 600),
            burst_per_ip=_int_env("RELANCE_PORTAL_BURST_PER_IP", 120),
            event_batch_size=max(1, _int_env("RELANCE_PORTAL_EVENT_BATCH", 200)),
            promise_max_days=_int_env("RELANCE_PORTAL_PROMISE_MAX_DAYS", 180),
        )
