"""Streamlit glue shared by the pages: sign-in, the current user and role checks, the snapshot and store
handles, the common sidebar filters, audit and small display helpers. Business logic lives in data.py,
campaigns.py, evidence.py, exports.py and figures.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import streamlit as st

from dashboard import auth, data
from dashboard.data import InvoiceFilters
from stores import operational as ops
from stores.home import relance_home

USER_KEY = "relance_user"
FILTERS_KEY = "relance_filters"
ROLE_LABELS = {"viewer": "Viewer", "credit_manager": "Credit manager", "finance_lead": "Finance lead"}


# ------------------------------------------------------------------------------------------- stores


@st.cache_resource(show_spinner=False)
def _engine(url: str):
    return ops.open_store(url)


def engine():
    """The operational store of RELANCE_HOME (or RELANCE_OPERATIONAL_URL), one engine per process."""
    return _engine(relance_home().operational_url)


def snapshot() -> data.Snapshot:
    return data.snapshot(relance_home().snapshot)


def audit(action: str, target: Any = None, item_count: int | None = None, **detail: Any) -> None:
    """Record who did what, on which target and how many items, in the operational audit log."""
    user = current_user()
    with engine().begin() as conn:
        ops.audit(
            conn,
            user.username if user else "anonymous",
            action,
            target=target,
            item_count=item_count,
            detail={"role": user.role if user else None, **detail},
        )


def audit_callback(action: str, target: Any = None, item_count: int | None = None, **detail: Any) -> Callable:
    return lambda: audit(action, target=target, item_count=item_count, **detail)


# -------------------------------------------------------------------------------------------- users


def oidc_configured() -> bool:
    """OIDC is on when .streamlit/secrets.toml has an [auth] section with a client id (see docs)."""
    try:
        section = st.secrets.get("auth")
    except Exception:  # noqa: BLE001 - no secrets file at all
        return False
    if not section:
        return False
    return bool(section.get("client_id") or any(isinstance(v, dict) and v.get("client_id") for v in section.values()))


def users_file() -> auth.UsersFile:
    return auth.load_users()


def current_user() -> auth.User | None:
    if USER_KEY in st.session_state:
        return st.session_state[USER_KEY]
    if oidc_configured() and getattr(st.user, "is_logged_in", False):
        email = st.user.get("email")
        if not email:
            st.error("The identity provider did not return an e-mail address; add the `email` scope.")
            st.stop()
        user = users_file().oidc_user(email, st.user.get("name"))
        st.session_state[USER_KEY] = user
        with engine().begin() as conn:
            ops.audit(conn, user.username, "login", detail={"method": "oidc", "role": user.role})
        return user
    return None


def login_page() -> None:
    """Sign in with the identity provider (production) or with a local account (demo users file)."""
    st.title("Relance — sign in")
    if oidc_configured():
        st.write("Sign in with your company account.")
        if st.button("Sign in", key="oidc_login", type="primary"):
            st.login()
        return
    accounts = users_file()
    if not accounts.users:
        st.error(
            f"No users in {accounts.path}. Create one with "
            "`relance dashboard user add NAME --role finance_lead` (or configure OIDC, see docs/dashboard.md)."
        )
        return
    with st.form("login"):
        username = st.text_input("User name", key="login_username")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        user = accounts.authenticate(username, password)
        with engine().begin() as conn:
            ops.audit(
                conn,
                user.username if user else (username.strip() or "anonymous"),
                "login" if user else "login_failed",
                detail={"method": "local"},
            )
        if user is None:
            st.error("Unknown user name or wrong password.")
            return
        st.session_state[USER_KEY] = user
        st.rerun()


def logout() -> None:
    user = st.session_state.pop(USER_KEY, None)
    if user:
        with engine().begin() as conn:
            ops.audit(conn, user.username, "logout")
    if oidc_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()
    st.rerun()


def page(title: str, permission: str = "view", caption: str | None = None) -> auth.User:
    """Start a page: title, and stop with an explanation unless the user may see it."""
    user = current_user()
    st.title(title)
    if caption:
        st.caption(caption)
    if user is None:
        st.warning("Sign in to see this page.")
        st.stop()
    if not user.can(permission):
        st.error(
            f"{title} is for the {permission_roles(permission)} role; you are signed in as "
            f"{ROLE_LABELS[user.role].lower()}."
        )
        st.stop()
    return user


def permission_roles(permission: str) -> str:
    return " or ".join(ROLE_LABELS[r].lower() for r in auth.ROLES if permission in auth.PERMISSIONS[r])


# ------------------------------------------------------------------------------------------ filters


def sidebar_filters(snap: data.Snapshot) -> InvoiceFilters:
    """Segment, channel and language filters shared by every page (kept while moving between pages)."""
    options = data.filter_options(snap)
    st.sidebar.subheader("Filters")
    segments = st.sidebar.multiselect("Segment", options["segments"], key="filter_segments")
    channels = st.sidebar.multiselect("Channel", options["channels"], key="filter_channels")
    languages = st.sidebar.multiselect("Language", options["languages"], key="filter_languages")
    filters = InvoiceFilters(segments=tuple(segments), channels=tuple(channels), languages=tuple(languages))
    st.session_state[FILTERS_KEY] = filters
    return filters


def filters() -> InvoiceFilters:
    return st.session_state.get(FILTERS_KEY, data.NO_FILTERS)


# ------------------------------------------------------------------------------------------ display


@contextmanager
def section(title: str | None = None) -> Iterator[None]:
    """A part of a page that shows a clear notice instead of failing when its table is not published yet."""
    if title:
        st.subheader(title)
    try:
        yield
    except data.MissingTable as missing:
        st.info(str(missing))


def require_tables(snap: data.Snapshot, *tables: str) -> None:
    """Stop the page with a notice when a table it cannot do without is not published yet."""
    try:
        snap.require(*tables)
    except data.MissingTable as missing:
        st.info(str(missing))
        st.stop()


def money(value: Any, currency: str = "EUR") -> str:
    if value is None:
        return "—"
    amount = Decimal(value).quantize(Decimal("0.01"))
    return f"{amount:,.2f} {currency}".replace(",", "\u202f")


def money_short(value: Any, currency: str = "EUR") -> str:
    """Amounts for headline metrics, where a full figure would not fit: 424.6 k EUR, 1.25 M EUR."""
    if value is None:
        return "—"
    amount = Decimal(value)
    for divisor, suffix in ((Decimal(1_000_000), "M"), (Decimal(1_000), "k")):
        if abs(amount) >= divisor:
            step = Decimal("0.01") if suffix == "M" else Decimal("0.1")
            return f"{(amount / divisor).quantize(step)} {suffix} {currency}"
    return money(amount, currency)


def percent(value: Any) -> str:
    return "—" if value is None else f"{Decimal(value) * 100:.1f} %"


def delta(now: Any, before: Any, places: int = 1) -> float | None:
    """The change shown under a metric, rounded for reading (money deltas use money_short instead)."""
    if now is None or before is None:
        return None
    return round(float(Decimal(str(now)) - Decimal(str(before))), places)


def money_delta(now: Any, before: Any, currency: str = "EUR") -> str | None:
    if now is None or before is None:
        return None
    change = Decimal(now) - Decimal(before)
    return ("+" if change >= 0 else "") + money_short(change, currency)


def download_buttons(df, name: str, *, target: Any = None) -> None:
    """CSV and XLSX downloads of a table, for users allowed to export; each download is audited."""
    from dashboard import exports

    user = current_user()
    if not user or not user.can("export"):
        return
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%MZ")
    left, right = st.columns(2)
    left.download_button(
        "Download CSV",
        exports.to_csv(df),
        file_name=f"{name}-{stamp}.csv",
        mime="text/csv",
        key=f"csv_{name}",
        on_click=audit_callback("export.csv", target, len(df), table=name),
    )
    right.download_button(
        "Download XLSX",
        exports.to_xlsx(df, sheet_name=name),
        file_name=f"{name}-{stamp}.xlsx",
        mime=exports.XLSX_MIME,
        key=f"xlsx_{name}",
        on_click=audit_callback("export.xlsx", target, len(df), table=name),
    )
