"""Run (or re-execute from failure) the dispatch job against the Dagster instance in DAGSTER_HOME.

A separate process, as a run launched by the daemon would be; prints one JSON line with the outcome.
Usage: python -m tests.pipelines.scale.run_dispatch CHUNKS [RUN_ID_TO_RETRY]
"""

import json
import sys

import dagster as dg

from pipelines.delivery import dispatch_run_config, resolved_dispatch_job


def main() -> None:
    chunks = int(sys.argv[1])
    instance = dg.DagsterInstance.get()
    job = dg.reconstructable(resolved_dispatch_job)
    if len(sys.argv) > 2:
        options = dg.ReexecutionOptions.from_failure(sys.argv[2], instance)
        result = dg.execute_job(job, instance=instance, reexecution_options=options, raise_on_error=False)
    else:
        config = dispatch_run_config(chunks, batch_size=20, lease_seconds=8.0, wait_for_leases=True)
        result = dg.execute_job(job, instance=instance, run_config=config, raise_on_error=False)
    with result:
        print(json.dumps({"run_id": result.run_id, "success": result.success}), flush=True)


if __name__ == "__main__":
    main()
