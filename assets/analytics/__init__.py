"""Analytics logic that is not set-based: confidence intervals, reminder effectiveness, the overdue-risk
model. Plain Python: imports neither Dagster nor Streamlit (pipelines/analytics.py wires it)."""
