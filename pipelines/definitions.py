"""The Relance code location: definitions split by domain and merged here."""

import dagster as dg

from pipelines import analytics, delivery, documents, dunning, ingest, portal, serving

defs = dg.Definitions.merge(
    ingest.defs,
    documents.defs,
    delivery.defs,
    portal.defs,
    dunning.defs,
    analytics.defs,
    serving.defs,
)
