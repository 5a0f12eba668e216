"""At-risk invoices: open invoices ranked by probability of late payment × open amount, with why."""

import streamlit as st

from dashboard import data, figures, ui
from dashboard.campaigns import Target

user = ui.page("At-risk invoices", caption="Ranked by exposure (probability of paying late × open amount).")
snap, filters = ui.snapshot(), ui.filters()

with ui.section():
    min_probability = st.slider("Minimum probability of paying late (%)", 0, 100, 0, step=5, key="min_probability")
    ranked = data.at_risk(snap, filters)
    ranked = ranked[ranked["probability_late"] * 100 >= min_probability]
    st.plotly_chart(figures.risk_exposure(ranked), key="risk_chart")
    selection = st.dataframe(
        ranked,
        hide_index=True,
        key="risk_table",
        on_select="rerun",
        selection_mode="multi-row",
        column_config={
            "probability_late": st.column_config.ProgressColumn(
                "probability late", min_value=0, max_value=1, format="percent"
            ),
            "top_factors": st.column_config.ListColumn(
                "top factors", width="large", help="what moves the probability most"
            ),
        },
    )
    chosen = ranked.iloc[selection.selection.rows]["invoice_number"].tolist() if selection.selection.rows else []
    st.caption(f"{len(chosen)} selected.")
    if user.can("campaign"):
        if st.button("Remind selected invoices", disabled=not chosen, key="remind_selected", type="primary"):
            st.session_state["campaign_target"] = Target(invoices=tuple(chosen))
            st.switch_page("app_pages/campaigns.py")
    else:
        st.caption("Reminding is for finance leads: share the selection with one.")
    ui.download_buttons(ranked, "at-risk-invoices", target={"filters": filters.describe()})
