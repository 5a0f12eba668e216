"""The Relance code location: definitions split by domain and merged here."""

import dagster as dg

from pipelines import analytics, dashboard, delivery, documents, dunning, events, ingest, serving
from pipelines.resources import relance_resource


def _build_definitions() -> dg.Definitions:
    # Built in a function so the module holds exactly one Definitions object, as Dagster's loaders expect.
    domains = dg.Definitions.merge(
        ingest.defs,
        documents.defs,
        delivery.defs,
        events.defs,
        dunning.defs,
        analytics.defs,
        dashboard.defs,
    )
    return dg.Definitions.merge(
        domains,
        # the serving snapshot runs after every marts asset of every domain
        serving.build_defs(serving.marts_keys(domains)),
        # the `relance` resource is bound once here for every domain
        dg.Definitions(resources={"relance": relance_resource()}),
    )


defs = _build_definitions()
