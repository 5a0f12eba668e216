"""Running the portal under uvicorn (httptools, uvloop; one portal per worker process)."""

from __future__ import annotations

import logging
import os


def serve(
    host: str = "127.0.0.1",
    port: int = 8070,
    workers: int = 1,
    access_log: bool = True,
    proxy_headers: bool = False,
    forwarded_allow_ips: str | None = None,
) -> None:
    import uvicorn

    # Fail fast in the parent on a bad configuration (short secret, bad integers) rather than in each worker.
    from channels.portal.config import PortalSettings

    PortalSettings.from_env()
    logging.getLogger("relance.portal").info("portal starting with %d worker(s)", workers)
    # The app factory installs the log filter in every worker, after uvicorn has configured logging.
    uvicorn.run(
        "channels.portal.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http="httptools",
        loop="uvloop",
        access_log=access_log,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
        date_header=True,
        log_level=os.environ.get("RELANCE_PORTAL_LOG_LEVEL", "info"),
    )
