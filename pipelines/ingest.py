"""Dagster definitions for the ingest domain: raw -> staging -> marts assets, their checks, the job one
ERP export runs through, and the sensor starting that job for each new file dropped in RELANCE_HOME/inbox."""

import hashlib
import json
from pathlib import Path

import dagster as dg

from assets.ingest.defs import ASSETS, CHECKS
from pipelines.resources import RelanceResource

INGEST_JOB = "ingest_job"

# The serving snapshot (group "serving") is published at the end of every ingest run, so a file dropped
# in the inbox reaches the dashboard without waiting for a full materialization.
ingest_job = dg.define_asset_job(
    INGEST_JOB,
    selection=dg.AssetSelection.groups("ingest", "serving"),
    description="Ingest ERP export files into raw, rebuild staging and marts, publish the serving snapshot.",
)


def _is_candidate(path: Path) -> bool:
    # hidden files, editor leftovers and files still being copied are not exports yet
    return path.is_file() and not path.name.startswith((".", "~")) and not path.name.endswith((".part", ".tmp"))


@dg.sensor(
    job=ingest_job,
    minimum_interval_seconds=15,
    description="One ingest run per new file in RELANCE_HOME/inbox (run key: the file's SHA-256).",
)
def inbox_sensor(context: dg.SensorEvaluationContext, relance: RelanceResource):
    inbox = relance.paths.inbox
    # cursor: file name -> [mtime_ns, size, sha256], so unchanged files are not hashed again every tick
    seen: dict[str, list] = json.loads(context.cursor) if context.cursor else {}
    current: dict[str, list] = {}
    for path in sorted(inbox.iterdir()):
        if not _is_candidate(path):
            continue
        stat = path.stat()
        known = seen.get(path.name)
        if known and known[0] == stat.st_mtime_ns and known[1] == stat.st_size:
            current[path.name] = known
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        current[path.name] = [stat.st_mtime_ns, stat.st_size, digest]
        yield dg.RunRequest(
            run_key=digest,
            run_config={"ops": {"raw_ingest": {"config": {"paths": [str(path)]}}}},
            tags={"relance/file": path.name, "relance/sha256": digest},
        )
    context.update_cursor(json.dumps(current))


defs = dg.Definitions(
    assets=ASSETS,
    asset_checks=CHECKS,
    jobs=[ingest_job],
    sensors=[inbox_sensor],
    # the `relance` resource is bound once for the whole code location, in pipelines/definitions.py
)

__all__ = ["defs", "ingest_job", "inbox_sensor", "INGEST_JOB"]
