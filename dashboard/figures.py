"""Plotly figures as pure functions of DataFrames: the same frame always gives the same figure, and no
function reads data or Streamlit state. Plain Python, unit-tested without a browser."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.data import AGING_BUCKETS, DELIVERY_EVENT_TYPES, FUNNEL_STAGES

ISSUER_COLOUR, CUSTOMER_COLOUR, OTHER_COLOUR = "#d62728", "#1f77b4", "#9e9e9e"
SIDE_COLOURS = {"issuer": ISSUER_COLOUR, "customer": CUSTOMER_COLOUR}
EVENT_COLOURS = {"sent": "#1f77b4", "delivered": "#2ca02c", "bounced": "#ff7f0e", "rejected": "#d62728"}
LAYOUT = dict(margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.2), template="plotly_white")


def _floats(series: pd.Series) -> list[float]:
    # Plotly serialises to JSON doubles anyway; converting here keeps Decimal out of the figure dict.
    return [float(v) if v is not None and v == v else 0.0 for v in series]


def aging_bars(aging: pd.DataFrame, currency: str = "EUR") -> go.Figure:
    """Open amount per aging bucket, buckets in their natural order, with invoice counts on hover."""
    frame = aging.set_index("bucket").reindex(list(AGING_BUCKETS)).reset_index()
    fig = go.Figure(
        go.Bar(
            x=frame["bucket"].tolist(),
            y=_floats(frame["open_amount"]),
            customdata=frame["invoice_count"].fillna(0).astype(int).tolist(),
            marker_color=["#2ca02c", "#ffbb78", "#ff7f0e", "#d62728", "#8c1c13"],
            hovertemplate="%{x} days: %{y:,.2f} " + currency + "<br>%{customdata} invoices<extra></extra>",
        )
    )
    fig.update_layout(
        title="Open amount by days past due",
        yaxis_title=f"open amount ({currency})",
        xaxis_title="days past due",
        **LAYOUT,
    )
    return fig


def monthly_trend(trend: pd.DataFrame) -> go.Figure:
    """Invoiced amount per due month (bars) and on-time rate (line, right axis)."""
    months = [str(m) for m in trend["month"]]
    fig = go.Figure()
    fig.add_bar(x=months, y=_floats(trend["invoiced_amount"]), name="invoiced amount", marker_color="#aec7e8")
    fig.add_scatter(
        x=months,
        y=[v * 100 for v in _floats(trend["on_time_rate"])],
        name="paid on time (%)",
        yaxis="y2",
        mode="lines+markers",
        line_color="#2ca02c",
    )
    fig.update_layout(
        title="Monthly trend by due month",
        yaxis_title="invoiced amount",
        yaxis2=dict(title="on time (%)", overlaying="y", side="right", range=[0, 100]),
        **LAYOUT,
    )
    return fig


def funnel(funnel_long: pd.DataFrame) -> go.Figure:
    """issued → sent → delivered → retrieved → paid, one funnel trace per group (channel or segment)."""
    fig = go.Figure()
    for group, rows in funnel_long.groupby("group", sort=False):
        rows = rows.set_index("stage").reindex(list(FUNNEL_STAGES)).reset_index()
        fig.add_trace(
            go.Funnel(
                name=str(group),
                y=rows["stage"].tolist(),
                x=rows["invoices"].fillna(0).astype(int).tolist(),
                textinfo="value+percent initial",
            )
        )
    fig.update_layout(title="From issue to payment", **LAYOUT)
    return fig


def retrieval_rates(by_customer: pd.DataFrame, top: int = 30) -> go.Figure:
    """The customers who retrieve least (lowest retrieval rate, largest open amount first)."""
    rows = by_customer.head(top)
    fig = go.Figure(
        go.Bar(
            x=[v * 100 for v in _floats(rows["retrieval_rate"])],
            y=rows["customer_name"].astype(str).tolist(),
            orientation="h",
            marker_color="#ff7f0e",
            customdata=rows[["invoices_sent", "never_retrieved"]].values.tolist(),
            hovertemplate="%{y}: %{x:.0f}% retrieved<br>%{customdata[0]} sent, %{customdata[1]} never retrieved"
            "<extra></extra>",
        )
    )
    fig.update_layout(
        title="Customers who retrieve least",
        xaxis_title="retrieval rate (%)",
        yaxis=dict(autorange="reversed"),
        **LAYOUT,
    )
    return fig


def pareto(causes: pd.DataFrame) -> go.Figure:
    """Late amount per cause (bars coloured by side) with the cumulative share line: the Pareto chart."""
    names = causes["cause"].astype(str).tolist()
    colours = [SIDE_COLOURS.get(side, OTHER_COLOUR) for side in causes["side"]]
    fig = go.Figure()
    fig.add_bar(
        x=names,
        y=_floats(causes["late_amount"]),
        marker_color=colours,
        name="late amount",
        customdata=causes[["side", "invoices"]].values.tolist(),
        hovertemplate="%{x} (%{customdata[0]} side)<br>%{y:,.2f}<br>%{customdata[1]} invoices<extra></extra>",
    )
    fig.add_scatter(
        x=names,
        y=[v * 100 for v in _floats(causes["cumulative_share"])],
        yaxis="y2",
        mode="lines+markers",
        name="cumulative share (%)",
        line_color="#444",
    )
    fig.update_layout(
        title="Causes of late payment (red: our side, blue: customer side, grey: undetermined)",
        yaxis_title="late amount",
        yaxis2=dict(title="cumulative (%)", overlaying="y", side="right", range=[0, 105]),
        **LAYOUT,
    )
    return fig


def side_split(split: pd.DataFrame) -> go.Figure:
    """Issuer-side vs customer-side share of late amount."""
    sides = split["side"].astype(str).tolist()
    fig = go.Figure(
        go.Pie(
            labels=sides,
            values=_floats(split["late_amount"]),
            hole=0.5,
            sort=False,
            marker_colors=[SIDE_COLOURS.get(s, OTHER_COLOUR) for s in sides],
        )
    )
    fig.update_layout(title="Late amount by side", **LAYOUT)
    return fig


def risk_exposure(at_risk: pd.DataFrame, top: int = 50) -> go.Figure:
    """Probability of late payment against open amount; the bubble is the exposure (probability × amount)."""
    rows = at_risk.head(top)
    exposure = _floats(rows["exposure"])
    biggest = max(exposure, default=1.0) or 1.0
    fig = go.Figure(
        go.Scatter(
            x=_floats(rows["open_amount"]),
            y=[v * 100 for v in _floats(rows["probability_late"])],
            mode="markers",
            marker=dict(size=[8 + 30 * e / biggest for e in exposure], color="#d62728", opacity=0.6),
            text=rows["invoice_number"].astype(str).tolist(),
            hovertemplate="%{text}<br>open %{x:,.2f}<br>%{y:.0f}% likely late<extra></extra>",
        )
    )
    fig.update_layout(
        title="Open invoices at risk", xaxis_title="open amount", yaxis_title="probability late (%)", **LAYOUT
    )
    return fig


def channel_activity(activity: pd.DataFrame) -> go.Figure:
    """Events per period, one line per (channel, event type); event types keep the same colour."""
    fig = go.Figure()
    dashes = ["solid", "dash", "dot", "dashdot", "longdash"]
    channels = sorted(activity["channel"].dropna().unique().tolist())
    for c_index, channel in enumerate(channels):
        for event_type in DELIVERY_EVENT_TYPES:
            rows = activity[(activity["channel"] == channel) & (activity["event_type"] == event_type)]
            if rows.empty:
                continue
            fig.add_scatter(
                x=[str(p) for p in rows["period"]],
                y=rows["events"].astype(int).tolist(),
                mode="lines",
                name=f"{channel} · {event_type}",
                line=dict(color=EVENT_COLOURS[event_type], dash=dashes[c_index % len(dashes)]),
            )
    fig.update_layout(title="Sends, deliveries, bounces and rejections per channel", yaxis_title="events", **LAYOUT)
    return fig


def channel_totals(activity: pd.DataFrame) -> go.Figure:
    """Total events per channel, stacked by event type."""
    totals = activity.groupby(["channel", "event_type"], as_index=False)["events"].sum()
    fig = go.Figure()
    for event_type in DELIVERY_EVENT_TYPES:
        rows = totals[totals["event_type"] == event_type]
        fig.add_bar(
            x=rows["channel"].tolist(),
            y=rows["events"].astype(int).tolist(),
            name=event_type,
            marker_color=EVENT_COLOURS[event_type],
        )
    fig.update_layout(title="Events per channel", barmode="group", **LAYOUT)
    return fig
