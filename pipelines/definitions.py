"""The Relance code location: definitions split by domain and merged here."""

import dagster as dg

from pipelines import analytics, dashboard, delivery, documents, dunning, ingest, portal, serving
from pipelines.resources import relance_resource

domain_defs = dg.Definitions.merge(
    ingest.defs,
    documents.defs,
    delivery.defs,
    portal.defs,
    dunning.defs,
    analytics.defs,
    dashboard.defs,
)

# the serving snapshot runs after every marts asset of every domain
defs = dg.Definitions.merge(
    domain_defs,
    serving.build_defs(serving.marts_keys(domain_defs)),
    # the `relance` resource is bound once here for every domain
    dg.Definitions(resources={"relance": relance_resource()}),
)
