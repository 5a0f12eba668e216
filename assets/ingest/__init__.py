"""The ingest domain: ERP export readers, kind and layout recognition, mapping profiles, row validation and
the raw load (plain Python), and its Dagster assets and checks in defs.py (SQL in sql/staging, sql/marts)."""
