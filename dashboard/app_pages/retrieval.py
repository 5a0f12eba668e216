"""Retrieval: which customers fetched their invoices and which did not, and the issue-to-payment funnel."""

import streamlit as st

from dashboard import data, figures, ui

ui.page("Retrieval", caption="Who viewed, downloaded or fetched their invoices — and who never did.")
snap, filters = ui.snapshot(), ui.filters()

with ui.section("Funnel"):
    split = st.radio("Split by", ["all", "channel", "segment"], horizontal=True, key="funnel_split")
    st.plotly_chart(
        figures.funnel(data.funnel(snap, filters, by=None if split == "all" else split)), key="funnel_chart"
    )

with ui.section("Customers"):
    only_never = st.checkbox("Only customers with invoices never retrieved", key="only_never_retrieved")
    customers = data.retrieval_by_customer(snap, filters, only_never_retrieved=only_never)
    st.caption(f"{len(customers)} customers, lowest retrieval rate first.")
    st.plotly_chart(figures.retrieval_rates(customers), key="retrieval_chart")
    st.dataframe(
        customers,
        hide_index=True,
        key="retrieval_table",
        column_config={"retrieval_rate": st.column_config.NumberColumn(format="percent")},
    )
    ui.download_buttons(
        customers, "retrieval-by-customer", target={"filters": filters.describe(), "only_never_retrieved": only_never}
    )
