"""Relance dashboard: `streamlit run dashboard/app.py` (or `relance dashboard serve`).

Reads only the published serving snapshot and the operational store. Pages live in dashboard/app_pages/.
"""

import sys
from pathlib import Path

# `streamlit run dashboard/app.py` puts dashboard/ on sys.path, not the project root the imports need.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import streamlit as st

from dashboard import ui

st.set_page_config(page_title="Relance", page_icon=":material/mail:", layout="wide")

PAGES = Path(__file__).parent / "app_pages"
user = ui.current_user()

if user is None:
    st.navigation([st.Page(ui.login_page, title="Sign in", icon=":material/login:")]).run()
    st.stop()

pages = {
    "Receivables": [
        st.Page(PAGES / "overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page(PAGES / "retrieval.py", title="Retrieval", icon=":material/mark_email_read:"),
        st.Page(PAGES / "late_origins.py", title="Late-payment origins", icon=":material/troubleshoot:"),
        st.Page(PAGES / "at_risk.py", title="At-risk invoices", icon=":material/warning:"),
        st.Page(PAGES / "customer_360.py", title="Customer 360", icon=":material/person_search:"),
    ],
    "Delivery": [st.Page(PAGES / "channels.py", title="Channels", icon=":material/cell_tower:")],
}
if user.can("campaign"):
    pages["Actions"] = [st.Page(PAGES / "campaigns.py", title="Campaigns", icon=":material/campaign:")]

navigation = st.navigation(pages)

with st.sidebar:
    st.markdown(f"**{user.display_name}** · {ui.ROLE_LABELS[user.role]}")
    if st.button("Sign out", key="logout"):
        ui.logout()

try:
    snap = ui.snapshot()
    ui.sidebar_filters(snap)
    published = ui.data.published_at(snap)
    if published is not None:
        st.sidebar.caption(f"Data published {published:%Y-%m-%d %H:%M} UTC")
except FileNotFoundError as missing:
    st.error(str(missing))
    st.stop()
except ui.data.MissingTable as missing:
    st.sidebar.info(f"Filters unavailable: {missing}")

navigation.run()
