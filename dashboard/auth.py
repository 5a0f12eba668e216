"""Who may use the dashboard and what each role may do. Plain Python: no Streamlit.

Two sources of identity:
- production: OIDC through Streamlit's `st.login`; the e-mail of the signed-in user is mapped to a role by
  the `[roles]` table of the users file (or RELANCE_DASHBOARD_DEFAULT_ROLE, viewer when unset);
- demo: a local users file (config/users.toml by default, RELANCE_DASHBOARD_USERS to override) whose
  passwords are stored as salted scrypt hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

from stores.home import CONFIG_ROOT

ROLES = ("viewer", "credit_manager", "finance_lead")

# What each role may do; a role includes everything of the roles before it.
PERMISSIONS = {
    "viewer": {"view"},
    "credit_manager": {"view", "export", "evidence_pack"},
    "finance_lead": {"view", "export", "evidence_pack", "campaign"},
}

# scrypt cost: n=2**14, r=8, p=1 is the interactive-login setting recommended by the scrypt paper (~16 MiB).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
HASH_PREFIX = "scrypt"


class UsersFileError(ValueError):
    """The users file is missing, unreadable or holds an invalid entry."""


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    role: str
    email: str | None = None

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, set())


def default_users_path() -> Path:
    return Path(os.environ.get("RELANCE_DASHBOARD_USERS") or CONFIG_ROOT / "users.toml")


def hash_password(
    password: str, *, salt: bytes | None = None, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P
) -> str:
    """`scrypt$n$r$p$salt$hash` (base64): everything needed to verify it later, parameters included."""
    if not password:
        raise ValueError("a password cannot be empty")
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return f"{HASH_PREFIX}${n}${r}${p}${b64(salt)}${b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        prefix, n, r, p, salt, digest = stored.split("$")
        if prefix != HASH_PREFIX:
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@dataclass(frozen=True)
class UsersFile:
    """The parsed users file: local accounts and the e-mail → role map for OIDC users."""

    path: Path
    users: dict[str, dict]
    oidc_roles: dict[str, str]

    def authenticate(self, username: str, password: str) -> User | None:
        entry = self.users.get(username.strip())
        if entry is None:
            # Spend the same time as a real check so response times do not reveal which names exist.
            verify_password(password, _DUMMY_HASH)
            return None
        if not verify_password(password, entry["password_hash"]):
            return None
        return User(
            username=username.strip(),
            display_name=entry.get("name", username),
            role=entry["role"],
            email=entry.get("email"),
        )

    def oidc_user(self, email: str, name: str | None = None) -> User:
        role = self.oidc_roles.get(email.lower()) or os.environ.get("RELANCE_DASHBOARD_DEFAULT_ROLE", "viewer")
        if role not in ROLES:
            raise UsersFileError(f"RELANCE_DASHBOARD_DEFAULT_ROLE={role!r} is not a role; use one of {ROLES}")
        return User(username=email, display_name=name or email, role=role, email=email)


_DUMMY_HASH = hash_password("not-a-real-password", salt=b"0" * 16)


def load_users(path: Path | None = None) -> UsersFile:
    path = Path(path or default_users_path())
    if not path.exists():
        return UsersFile(path=path, users={}, oidc_roles={})
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UsersFileError(f"{path}: not valid TOML ({exc})") from exc
    users = data.get("users", {})
    for name, entry in users.items():
        role = entry.get("role")
        if role not in ROLES:
            raise UsersFileError(f"{path}: user {name!r} has role {role!r}; use one of {', '.join(ROLES)}")
        if not str(entry.get("password_hash", "")).startswith(HASH_PREFIX + "$"):
            raise UsersFileError(
                f"{path}: user {name!r} needs a password_hash made by `relance dashboard user add` (scrypt)"
            )
    oidc_roles = {}
    for email, role in data.get("roles", {}).items():
        if role not in ROLES:
            raise UsersFileError(f"{path}: [roles] {email!r} = {role!r}; use one of {', '.join(ROLES)}")
        oidc_roles[email.lower()] = role
    return UsersFile(path=path, users=dict(users), oidc_roles=oidc_roles)


def save_user(
    path: Path, username: str, password: str, role: str, display_name: str | None = None, email: str | None = None
) -> None:
    """Add or replace one local account in the users file, keeping the others."""
    import tomli_w

    if role not in ROLES:
        raise UsersFileError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if not username or any(c.isspace() for c in username):
        raise UsersFileError(f"user name {username!r} must be non-empty without spaces")
    path = Path(path)
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    entry = {"name": display_name or username, "role": role, "password_hash": hash_password(password)}
    if email:
        entry["email"] = email
    data.setdefault("users", {})[username] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_header(path) + tomli_w.dumps(data), encoding="utf-8")


def _header(path: Path) -> str:
    """The comment lines at the top of the file, kept when the file is rewritten."""
    if not path.exists():
        return ""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line + "\n")
    return "".join(lines)
