"""The events domain: the operational event log copied into the warehouse (copy.py, plain Python) and the
access and delivery metrics built on it (defs.py: the Dagster assets and checks; SQL in sql/)."""
