"""Overview: where receivables stand and what needs attention before it falls due."""

import streamlit as st

from dashboard import data, figures, ui

ui.page("Overview", caption="Receivables, aging, DSO, retrieval and the invoices to act on before their due date.")
snap, filters = ui.snapshot(), ui.filters()

with ui.section():
    kpis = data.overview_kpis(snap, filters)
    st.caption(f"As of {kpis['as_of']}; arrows compare with 30 days earlier.")
    open_col, overdue_col, dso_col, late_col, retrieval_col = st.columns(5)
    open_col.metric(
        "Open receivables",
        ui.money_short(kpis["open_amount"]),
        ui.money_delta(kpis["open_amount"], kpis["open_amount_30d_ago"]),
        delta_color="inverse",
        help=f"{ui.money(kpis['open_amount'])} in {kpis['open_count']} open invoices",
    )
    overdue_col.metric(
        "Overdue",
        ui.money_short(kpis["overdue_amount"]),
        ui.money_delta(kpis["overdue_amount"], kpis["overdue_amount_30d_ago"]),
        delta_color="inverse",
        help=f"{ui.money(kpis['overdue_amount'])} in {kpis['overdue_count']} overdue invoices",
    )
    dso_col.metric(
        "DSO, selection (days)",
        kpis["dso"] if kpis["dso"] is not None else "—",
        ui.delta(kpis["dso"], kpis["dso_30d_ago"]),
        delta_color="inverse",
        help="Open receivables / invoiced amount of the last 90 days × 90, for the invoices the "
        "filters select (credit notes not deducted: see the company-wide DSO below)",
    )
    late_col.metric(
        "Avg days late",
        f"{kpis['avg_days_late']:.1f}" if kpis["avg_days_late"] is not None else "—",
        ui.delta(kpis["avg_days_late"], kpis["avg_days_late_30d_ago"]),
        delta_color="inverse",
        help="Invoices settled in the last 90 days",
    )
    retrieval_col.metric(
        "Retrieval rate",
        ui.percent(kpis["retrieval_rate"]),
        help="Sent invoices the customer viewed, downloaded or fetched",
    )

summary = data.kpi_summary(snap)
if summary:
    with ui.section("Company-wide (analytics)"):
        st.caption(f"Over the {summary.get('period_days')} days to {summary.get('as_of')}, all customers.")
        cols = st.columns(5)
        for col, (label, key) in zip(
            cols,
            [
                ("DSO standard", "dso_standard"),
                ("DSO countback", "dso_countback"),
                ("Best possible DSO", "best_possible_dso"),
                ("Avg days delinquent", "average_days_delinquent"),
                ("Collection effectiveness", "collection_effectiveness_index"),
            ],
        ):
            value = summary.get(key)
            col.metric(
                label, "—" if value is None else f"{float(value):.1f}" + (" %" if key.startswith("coll") else "")
            )

aging_col, trend_col = st.columns(2)
with aging_col, ui.section():
    st.plotly_chart(figures.aging_bars(data.aging(snap, filters)), key="aging_chart")
with trend_col, ui.section():
    st.plotly_chart(figures.monthly_trend(data.monthly_trend(snap, filters)), key="trend_chart")

postage = data.postage(snap)
if postage:
    with ui.section("Postage saved by electronic delivery"):
        saved_col, avoided_col, spent_col = st.columns(3)
        saved_col.metric("Postage saved", ui.money(postage.get("postage_savings")))
        avoided_col.metric("Letters avoided", postage.get("letters_avoided"))
        spent_col.metric(
            "Postage spent",
            ui.money(postage.get("postage_spend")),
            help=f"{postage.get('paper_letters')} paper letters",
        )

with ui.section("Pre-due alerts"):
    horizon = st.slider("Falling due within (days)", 1, 60, 14, key="alert_horizon")
    alerts = data.pre_due_alerts(snap, filters, horizon_days=horizon)
    counts = {name: int(alerts[name].sum()) for name in ("not_retrieved", "bounced", "rejected", "disputed")}
    for col, (name, count) in zip(st.columns(4), counts.items()):
        col.metric(name.replace("_", " ").capitalize(), count)
    st.dataframe(
        alerts[["invoice_number", "customer_name", "channel", "due_date", "open_amount", "alerts"]],
        hide_index=True,
        key="alerts_table",
    )
