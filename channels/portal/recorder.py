"""Access events, written in small batches by one thread while each request waits for its own commit.

A request is answered only after the transaction holding its event has committed, so every successful
response has exactly one event; under load, concurrent requests share a transaction (group commit)
instead of each paying for its own fsync and fighting for SQLite's single writer lock.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from sqlalchemy import Engine, insert

from stores import operational as ops

log = logging.getLogger("relance.portal.events")
_STOP = object()


class EventRecorder:
    def __init__(self, engine: Engine, batch_size: int = 200):
        self.engine = engine
        self.batch_size = batch_size
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def start(self) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="portal-event-writer", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        with self._start_lock:
            thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive():
            self._queue.put(_STOP)
            thread.join(timeout)

    def submit(self, event_type: str, **fields: Any) -> Future:
        # Build (and validate) the row in the caller so a bad event fails its own request only.
        row = ops.event_row(event_type, **fields)
        future: Future = Future()
        self.start()
        self._queue.put((row, future))
        return future

    async def record(self, event_type: str, **fields: Any) -> str:
        """Record one event and return its event_id once committed."""
        return await asyncio.wrap_future(self.submit(event_type, **fields))

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            batch = [item]
            stop_after = False
            while len(batch) < self.batch_size:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stop_after = True
                    break
                batch.append(nxt)
            self._write(batch)
            if stop_after:
                return

    def _write(self, batch: list[tuple[Mapping[str, Any], Future]]) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(ops.events), [row for row, _f in batch])
        except Exception as exc:  # noqa: BLE001 - the requests fail (no response without its event), the writer lives on
            log.error("could not record %d portal events: %s", len(batch), type(exc).__name__)
            for _row, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for row, future in batch:
            if not future.done():
                future.set_result(row["event_id"])
