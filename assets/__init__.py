"""One folder per domain (ingest, documents, events, dunning, analytics, dashboard, serving): each holds its
Dagster assets and asset checks in `defs.py`, next to the plain-Python modules they call (which import
neither Dagster nor Streamlit). Every warehouse SQL asset comes from `sql_assets.sql_asset`; every asset,
check and command computes as of `business_date.business_date`."""
