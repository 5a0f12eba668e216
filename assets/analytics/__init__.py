"""The analytics domain: its Dagster assets and checks in defs.py; the logic that is not set-based
(confidence intervals, reminder effectiveness, the overdue-risk model, the backtest) in plain-Python modules
that import neither Dagster nor Streamlit."""
