"""The three stores of the design: warehouse (DuckDB), serving snapshot, operational store (SQLAlchemy),
plus the content-addressed document folder. Plain Python: no Dagster, no Streamlit."""
