"""The Celery application Relance's workers run: `celery -A pipelines.celery_app worker -Q dagster`.

Broker and result backend come from the environment (RELANCE_CELERY_BROKER, RELANCE_CELERY_BACKEND), the
same variables the Celery executor reads, so workers and runs always talk to the same queue.
"""

from __future__ import annotations

import os

from dagster_celery.make_app import make_app
from dagster_celery.tasks import create_task

from pipelines.executors import celery_settings

_broker = os.environ.get("RELANCE_CELERY_BROKER", "redis://127.0.0.1:6379/0")

app = make_app(
    {
        "broker": _broker,
        "backend": os.environ.get("RELANCE_CELERY_BACKEND", _broker),
        "include": ["pipelines.definitions"],
    }
)
app.conf.update(celery_settings())

execute_plan = create_task(app)
