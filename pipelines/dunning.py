"""Dagster definitions for the dunning domain."""

import dagster as dg

defs = dg.Definitions()
