"""Dagster definitions for the documents domain: the asset building each new invoice's documents and a
job to run it on demand (it also runs by itself, eagerly, after staging.invoices is rebuilt)."""

import dagster as dg

from assets.documents.defs import ASSETS, CHECKS, GROUP
from pipelines.executors import executor_from_env
from pipelines.resources import RelanceResource

DOCUMENTS_JOB = "documents_job"

documents_job = dg.define_asset_job(
    DOCUMENTS_JOB,
    selection=dg.AssetSelection.groups(GROUP),
    description="Render, validate, store and queue the documents of newly issued invoices.",
)

RENDER_JOB = "render_job"


class RenderConfig(dg.Config):
    chunks: int = 2  # render steps; each takes a disjoint share of the pending invoices
    chunk_size: int = 10
    issued_since: str | None = None
    company_file: str | None = None


@dg.op(out=dg.DynamicOut(int), description="One dynamic output per share of the pending invoices.")
def render_shares(config: RenderConfig):
    if config.chunks < 1:
        raise dg.Failure(f"chunks must be at least 1, not {config.chunks}")
    for index in range(config.chunks):
        yield dg.DynamicOutput(index, mapping_key=f"share_{index}")


@dg.op(description="Render, validate, store, index and queue one share of the pending invoices.")
def render_share(context: dg.OpExecutionContext, config: RenderConfig, relance: RelanceResource, share: int) -> dict:
    from datetime import date

    from channels.documents.company import load_company
    from channels.documents.production import prepare_batch, render_batch
    from stores import snapshot
    from stores.documents import DocumentStore

    home = relance.paths
    company = load_company(config.company_file, home.root)
    engine = relance.opstore()
    since = date.fromisoformat(config.issued_since) if config.issued_since else None
    # On a worker host the serving snapshot is the local copy of the invoices; on the warehouse host either works.
    source = home.snapshot if home.snapshot.exists() else home.warehouse
    con = snapshot.open_snapshot(source)
    try:
        batch = prepare_batch(con, engine, company, issued_since=since, chunk=(share, config.chunks))
    finally:
        con.close()
    summary = render_batch(
        batch, engine, company, DocumentStore(home.documents), workers=1, chunk_size=config.chunk_size
    )
    engine.dispose()
    context.log.info(f"share {share}/{config.chunks}: {summary.as_dict()}")
    return summary.as_dict()


@dg.op(description="Add up the shares' results.")
def render_summary(context: dg.OpExecutionContext, results: list) -> dict:
    totals = {key: sum(r[key] for r in results) for key in ("candidates", "valid", "invalid", "enqueued")}
    context.add_output_metadata(totals)
    return totals


@dg.job(
    name=RENDER_JOB,
    executor_def=executor_from_env(),
    tags={"relance/reads-warehouse": "true"},
    description="Documents of newly issued invoices, rendered in shares spread over processes or Celery "
    "workers (RELANCE_EXECUTOR); the same work as the documents asset, for large backlogs.",
)
def render_job():
    render_summary(render_shares().map(render_share).collect())


def render_run_config(chunks: int, chunk_size: int = 10) -> dict:
    config = {"chunks": chunks, "chunk_size": chunk_size}
    return {"ops": {"render_shares": {"config": config}, "render_share": {"config": config}}}


def resolved_render_job() -> dg.JobDefinition:
    """The render job with the `relance` resource bound, reconstructable in worker processes."""
    from pipelines.resources import relance_resource

    return dg.Definitions(jobs=[render_job], resources={"relance": relance_resource()}).get_job_def(RENDER_JOB)


defs = dg.Definitions(
    assets=ASSETS,
    asset_checks=CHECKS,
    jobs=[documents_job, render_job],
    # the `relance` resource is bound once for every domain in pipelines/definitions.py
)

__all__ = ["defs", "documents_job", "DOCUMENTS_JOB", "render_job", "RENDER_JOB", "render_run_config"]
