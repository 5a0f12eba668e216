"""Late-payment origins: why invoices are paid late, how much is on our side, and the proof for each."""

import streamlit as st

from dashboard import data, figures, ui

ui.page("Late-payment origins", caption="One primary cause per late invoice, with the evidence that assigned it.")
snap, filters = ui.snapshot(), ui.filters()

with ui.section():
    causes = data.late_cause_pareto(snap, filters)
    split = data.late_side_split(causes)
    pareto_col, side_col = st.columns([2, 1])
    pareto_col.plotly_chart(figures.pareto(causes), key="pareto_chart")
    side_col.plotly_chart(figures.side_split(split), key="side_chart")
    for row in split.to_dict("records"):
        side_col.metric(
            f"{str(row['side'] or 'undetermined').capitalize()} side",
            ui.percent(row["amount_share"]),
            help=f"share of late amount; {ui.percent(row['days_share'])} of days late",
        )

    st.subheader("Drill down")
    if causes.empty:
        st.info("No late invoice in this selection.")
    else:
        cause = st.selectbox("Cause", causes["cause"].tolist(), key="drill_cause")
        late = data.late_invoices_for_cause(snap, cause, filters)
        st.dataframe(
            late,
            hide_index=True,
            key="late_table",
            column_config={"evidence": st.column_config.JsonColumn("evidence", width="large")},
        )
        ui.download_buttons(late, "late-invoices", target={"cause": cause, "filters": filters.describe()})
