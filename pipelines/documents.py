"""Dagster definitions for the documents domain."""

import dagster as dg

defs = dg.Definitions()
