"""The dashboard domain's warehouse side: the marts its screens read (defs.py; SQL in sql/marts/dashboard_*).
The Streamlit app itself is the top-level dashboard/ package."""
