"""Choose where job steps run from configuration, so the same jobs run in-process, on local processes or
on Celery workers on other hosts without a code change.

RELANCE_EXECUTOR = in_process | multiprocess (default) | celery
RELANCE_MAX_CONCURRENT = processes for the multiprocess executor (default: CPU count)
RELANCE_CELERY_BROKER / RELANCE_CELERY_BACKEND = Celery broker and result backend URLs (e.g. redis://...)
RELANCE_CELERY_VISIBILITY_TIMEOUT = seconds after which a step taken by a worker that died is handed to
    another worker (Redis broker; default 3600)
"""

from __future__ import annotations

import os

import dagster as dg


def executor_from_env() -> dg.ExecutorDefinition:
    kind = os.environ.get("RELANCE_EXECUTOR", "multiprocess")
    if kind == "in_process":
        return dg.in_process_executor
    if kind == "multiprocess":
        limit = int(os.environ.get("RELANCE_MAX_CONCURRENT") or os.cpu_count() or 2)
        return dg.multiprocess_executor.configured({"max_concurrent": limit}, name="relance_multiprocess")
    if kind == "celery":
        from dagster_celery import celery_executor

        broker = os.environ.get("RELANCE_CELERY_BROKER")
        if not broker:
            raise RuntimeError("RELANCE_EXECUTOR=celery needs RELANCE_CELERY_BROKER (e.g. redis://host:6379/0)")
        return celery_executor.configured(
            {
                "broker": broker,
                "backend": os.environ.get("RELANCE_CELERY_BACKEND", broker),
                "include": ["pipelines.definitions"],
                # a step whose worker dies is re-queued to another worker, not lost
                "config_source": celery_settings(),
            },
            name="relance_celery",
        )
    raise RuntimeError(f"RELANCE_EXECUTOR={kind!r}: use in_process, multiprocess or celery")


def celery_settings() -> dict:
    """Celery settings shared by the executor (run side) and pipelines.celery_app (worker side)."""
    return {
        # a step is acknowledged only once done, so the step of a worker that died goes to another worker
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_transport_options": {
            "visibility_timeout": int(os.environ.get("RELANCE_CELERY_VISIBILITY_TIMEOUT", "3600")),
        },
        "result_backend_transport_options": {
            "visibility_timeout": int(os.environ.get("RELANCE_CELERY_VISIBILITY_TIMEOUT", "3600")),
        },
    }
