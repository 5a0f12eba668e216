"""Dagster definitions for the documents domain: the asset building each new invoice's documents and a
job to run it on demand (it also runs by itself, eagerly, after staging.invoices is rebuilt)."""

import dagster as dg

from assets.documents import GROUP, documents_assets, documents_checks

DOCUMENTS_JOB = "documents_job"

documents_job = dg.define_asset_job(
    DOCUMENTS_JOB,
    selection=dg.AssetSelection.groups(GROUP),
    description="Render, validate, store and queue the documents of newly issued invoices.",
)

defs = dg.Definitions(
    assets=documents_assets,
    asset_checks=documents_checks,
    jobs=[documents_job],
    # the `relance` resource is bound once for every domain in pipelines/definitions.py
)

__all__ = ["defs", "documents_job", "DOCUMENTS_JOB"]
