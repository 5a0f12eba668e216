"""Channels: sends, deliveries, bounces and rejections per channel over time."""

import streamlit as st

from dashboard import data, figures, ui

ui.page("Channels", caption="What each delivery channel did, day by day.")
snap, filters = ui.snapshot(), ui.filters()

with ui.section():
    days_col, grain_col = st.columns(2)
    days = days_col.select_slider("Period (days)", [7, 30, 90, 180, 365], value=90, key="channel_days")
    grain = grain_col.radio("Per", ["day", "week", "month"], horizontal=True, key="channel_grain")
    activity = data.channel_activity(snap, days=days, channels=filters.channels, grain=grain)
    if activity.empty:
        st.info("No delivery event in this period.")
    else:
        st.plotly_chart(figures.channel_activity(activity), key="channel_activity_chart")
        st.plotly_chart(figures.channel_totals(activity), key="channel_totals_chart")
        totals = activity.pivot_table(
            index="channel", columns="event_type", values="events", aggfunc="sum", fill_value=0
        ).reset_index()
        st.dataframe(totals, hide_index=True, key="channel_totals_table")

with ui.section("Delivery rate, bounce rate and time to retrieval"):
    st.dataframe(data.channel_performance(snap), hide_index=True, key="channel_performance_table")
