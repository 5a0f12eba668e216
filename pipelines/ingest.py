"""Dagster definitions for the ingest domain."""

import dagster as dg

defs = dg.Definitions()
