"""Running the portal under uvicorn, with the log filter in place before the first request."""

from __future__ import annotations

import logging
import os

from channels.portal.security import install_log_filter


def serve(host: str = "127.0.0.1", port: int = 8070, workers: int = 1, access_log: bool = True,
          proxy_headers: bool = False, forwarded_allow_ips: str | None = None) -> None:
    import uvicorn

    # Fail fast in the parent on a bad configuration (short secret, bad integers) rather than in each worker.
    from channels.portal.config import PortalSettings

    PortalSettings.from_env()
    config = uvicorn.Config(
        "channels.portal.app:create_app_from_env", factory=True, host=host, port=port, workers=workers,
        http="httptools", loop="uvloop", access_log=access_log, proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips, server_header=False, date_header=True,
        log_level=os.environ.get("RELANCE_PORTAL_LOG_LEVEL", "info"),
    )
    install_log_filter()
    logging.getLogger("relance.portal").info("portal listening on http://%s:%d (%d worker(s))", host, port, workers)
    server = uvicorn.Server(config)
    if workers > 1:
        from uvicorn.supervisors import Multiprocess

        sock = config.bind_socket()
        Multiprocess(config, target=server.run, sockets=[sock]).run()
    else:
        server.run()
