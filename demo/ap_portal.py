"""A local customer AP-portal (Starlette): a generic REST deposit API and a Chorus Pro-like flow.

Used by the tests and the demo (`relance apportal serve`) in place of a customer's accounts-payable
portal. Deposited files are kept in memory and, when a storage folder is given, on disk.

Generic REST (`/api/v1`, `Authorization: Bearer <token>`):
  POST /api/v1/invoices          multipart: file (PDF), invoice_number, buyer_id, optional ubl; header
                                 Idempotency-Key (required). 201 new, 200 replay of the same key,
                                 415 not a PDF, 422 missing field.
  GET  /api/v1/invoices/{id}     {"id", "status": received|accepted|rejected, "reason"}
  GET  /api/v1/invoices?idempotency_key=K   {"items": [...]}

Chorus Pro-like (OAuth client credentials, then `Authorization: Bearer` plus `cpro-account:
base64(login:password)` on every call, JSON bodies, `codeRetour` 0 on success):
  POST /api/oauth/token                              grant_type=client_credentials, client_id, client_secret
  POST /cpro/factures/v1/deposer/flux                {fichierFlux (base64), nomFichier, syntaxeFlux, ...}
                                                     -> {numeroFluxDepot, dateDepot, codeRetour, libelle}
  POST /cpro/transverses/v1/consulter/cr             {numeroFluxDepot} -> {etatCourantFlux, ...}
  POST /cpro/factures/v1/rechercher/fournisseur      {nomFichier} -> {listeFactures: [...]}
Statuses move from received (IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP) to accepted (IN_INTEGRE)
after `processing_seconds`; a document whose PDF has no pages-tree marker is rejected (IN_REJETE).
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

CHORUS_RECEIVED = "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP"
CHORUS_ACCEPTED = "IN_INTEGRE"
CHORUS_REJECTED = "IN_REJETE"
CHORUS_SYNTAXES = ("IN_DP_E1_PDF_SIGNE", "IN_DP_E2_CII_FACTURX", "IN_DP_E2_UBL_INVOICE_MIN", "IN_DP_E2_PDF")


@dataclass
class Deposit:
    id: str
    file_name: str
    data: bytes
    received_at: float
    api: str
    invoice_number: str | None = None
    buyer_id: str | None = None
    idempotency_key: str | None = None
    syntax: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def status(self, processing_seconds: float) -> tuple[str, str | None]:
        if time.monotonic() - self.received_at < processing_seconds:
            return "received", None
        if b"/Pages" not in self.data:
            return "rejected", "the PDF has no page tree"
        return "accepted", None

    def describe(self, processing_seconds: float) -> dict[str, Any]:
        status, reason = self.status(processing_seconds)
        return {
            "id": self.id,
            "status": status,
            "reason": reason,
            "invoice_number": self.invoice_number,
            "buyer_id": self.buyer_id,
            "file_name": self.file_name,
            "size": len(self.data),
        }


@dataclass
class ApPortalSettings:
    tokens: tuple[str, ...] = ("demo-token",)
    chorus_clients: dict[str, str] = field(default_factory=lambda: {"demo-client": "demo-secret"})
    chorus_accounts: dict[str, str] = field(default_factory=lambda: {"demo@relance.example": "demo-password"})
    processing_seconds: float = 0.3
    storage: Path | None = None
    max_bytes: int = 20 * 1024 * 1024


class ApPortalState:
    def __init__(self, settings: ApPortalSettings):
        self.settings = settings
        self.deposits: dict[str, Deposit] = {}
        self.by_key: dict[str, str] = {}
        self.oauth_tokens: set[str] = set()
        self.lock = threading.Lock()

    def add(self, deposit: Deposit) -> Deposit:
        with self.lock:
            if deposit.idempotency_key and deposit.idempotency_key in self.by_key:
                return self.deposits[self.by_key[deposit.idempotency_key]]
            self.deposits[deposit.id] = deposit
            if deposit.idempotency_key:
                self.by_key[deposit.idempotency_key] = deposit.id
        if self.settings.storage:
            folder = Path(self.settings.storage) / deposit.api
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{deposit.id}-{Path(deposit.file_name).name}").write_bytes(deposit.data)
        return deposit


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def create_app(settings: ApPortalSettings | None = None) -> Starlette:
    state = ApPortalState(settings or ApPortalSettings())
    cfg = state.settings

    def bearer(request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        return header[7:].strip() if header.lower().startswith("bearer ") else None

    # --- generic REST --------------------------------------------------------------------------------
    async def rest_create(request: Request):
        if bearer(request) not in cfg.tokens:
            return _error(401, "missing or invalid bearer token")
        key = request.headers.get("idempotency-key")
        if not key:
            return _error(422, "the Idempotency-Key header is required")
        with state.lock:
            existing = state.by_key.get(key)
        if existing:
            return JSONResponse(state.deposits[existing].describe(cfg.processing_seconds), status_code=200)
        async with request.form() as form:  # closes the spooled upload files when done
            upload = form.get("file")
            missing = [name for name in ("invoice_number", "buyer_id") if not form.get(name)]
            if upload is None or isinstance(upload, str):
                missing.append("file")
            if missing:
                return _error(422, f"missing fields: {', '.join(missing)}")
            data = await upload.read()
            invoice_number, buyer_id = str(form.get("invoice_number")), str(form.get("buyer_id"))
            file_name = upload.filename or "invoice.pdf"
        if len(data) > cfg.max_bytes:
            return _error(413, f"file over {cfg.max_bytes} bytes")
        if not data.startswith(b"%PDF-"):
            return _error(415, "the invoice file must be a PDF")
        deposit = state.add(
            Deposit(
                id=uuid.uuid4().hex[:16],
                file_name=file_name,
                data=data,
                received_at=time.monotonic(),
                api="rest",
                invoice_number=invoice_number,
                buyer_id=buyer_id,
                idempotency_key=key,
            )
        )
        return JSONResponse(deposit.describe(cfg.processing_seconds), status_code=201)

    async def rest_get(request: Request):
        if bearer(request) not in cfg.tokens:
            return _error(401, "missing or invalid bearer token")
        deposit = state.deposits.get(request.path_params["deposit_id"])
        if deposit is None or deposit.api != "rest":
            return _error(404, "no such invoice")
        return JSONResponse(deposit.describe(cfg.processing_seconds))

    async def rest_list(request: Request):
        if bearer(request) not in cfg.tokens:
            return _error(401, "missing or invalid bearer token")
        key = request.query_params.get("idempotency_key")
        items = [
            d.describe(cfg.processing_seconds)
            for d in state.deposits.values()
            if d.api == "rest" and (key is None or d.idempotency_key == key)
        ]
        return JSONResponse({"items": items})

    # --- Chorus Pro-like ------------------------------------------------------------------------------
    async def oauth_token(request: Request):
        async with request.form() as form:
            grant, client_id, secret = form.get("grant_type"), form.get("client_id"), form.get("client_secret")
        if grant != "client_credentials":
            return _error(400, "unsupported_grant_type")
        if cfg.chorus_clients.get(str(client_id)) != secret:
            return _error(401, "invalid_client")
        token = secrets.token_urlsafe(24)
        with state.lock:
            state.oauth_tokens.add(token)
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    def chorus_auth(request: Request) -> JSONResponse | None:
        if bearer(request) not in state.oauth_tokens:
            return _error(401, "invalid or expired access token")
        try:
            login, password = base64.b64decode(request.headers.get("cpro-account", "")).decode().split(":", 1)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return _error(401, "missing or malformed cpro-account header")
        if cfg.chorus_accounts.get(login) != password:
            return _error(403, "unknown Chorus Pro technical account")
        return None

    async def chorus_json(request: Request) -> dict[str, Any] | JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"codeRetour": 20000, "libelle": "corps JSON invalide"}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"codeRetour": 20000, "libelle": "corps JSON invalide"}, status_code=400)
        return body

    async def chorus_deposit(request: Request):
        if (denied := chorus_auth(request)) is not None:
            return denied
        body = await chorus_json(request)
        if isinstance(body, JSONResponse):
            return body
        name, syntax = body.get("nomFichier"), body.get("syntaxeFlux")
        if not name or syntax not in CHORUS_SYNTAXES:
            return JSONResponse(
                {
                    "codeRetour": 20001,
                    "libelle": f"nomFichier et syntaxeFlux ({', '.join(CHORUS_SYNTAXES)}) sont obligatoires",
                },
                status_code=400,
            )
        try:
            data = base64.b64decode(body.get("fichierFlux") or "", validate=True)
        except binascii.Error:
            return JSONResponse({"codeRetour": 20002, "libelle": "fichierFlux n'est pas du base64"}, status_code=400)
        if not data.startswith(b"%PDF-"):
            return JSONResponse({"codeRetour": 20003, "libelle": "le fichier déposé n'est pas un PDF"}, status_code=400)
        deposit = state.add(
            Deposit(
                id=str(int(time.time() * 1000) % 10**12).zfill(12) + uuid.uuid4().hex[:4],
                file_name=str(name),
                data=data,
                received_at=time.monotonic(),
                api="chorus",
                syntax=syntax,
            )
        )
        return JSONResponse(
            {
                "codeRetour": 0,
                "libelle": "GCU_MSG_01_000",
                "numeroFluxDepot": deposit.id,
                "dateDepot": datetime.now(timezone.utc).date().isoformat(),
                "syntaxeFlux": syntax,
            }
        )

    async def chorus_status(request: Request):
        if (denied := chorus_auth(request)) is not None:
            return denied
        body = await chorus_json(request)
        if isinstance(body, JSONResponse):
            return body
        deposit = state.deposits.get(str(body.get("numeroFluxDepot")))
        if deposit is None or deposit.api != "chorus":
            return JSONResponse({"codeRetour": 20004, "libelle": "flux inconnu"}, status_code=404)
        status, reason = deposit.status(cfg.processing_seconds)
        etat = {"received": CHORUS_RECEIVED, "accepted": CHORUS_ACCEPTED, "rejected": CHORUS_REJECTED}[status]
        return JSONResponse(
            {"codeRetour": 0, "libelle": reason or "", "numeroFluxDepot": deposit.id, "etatCourantFlux": etat}
        )

    async def chorus_search(request: Request):
        if (denied := chorus_auth(request)) is not None:
            return denied
        body = await chorus_json(request)
        if isinstance(body, JSONResponse):
            return body
        name = body.get("nomFichier")
        found = [
            {"numeroFluxDepot": d.id, "nomFichier": d.file_name}
            for d in state.deposits.values()
            if d.api == "chorus" and d.file_name == name
        ]
        return JSONResponse({"codeRetour": 0, "listeFactures": found})

    async def health(_request: Request):
        return JSONResponse({"status": "ok", "deposits": len(state.deposits)})

    app = Starlette(
        routes=[
            Route("/health", health),
            Route("/api/v1/invoices", rest_create, methods=["POST"]),
            Route("/api/v1/invoices", rest_list, methods=["GET"]),
            Route("/api/v1/invoices/{deposit_id}", rest_get, methods=["GET"]),
            Route("/api/oauth/token", oauth_token, methods=["POST"]),
            Route("/cpro/factures/v1/deposer/flux", chorus_deposit, methods=["POST"]),
            Route("/cpro/transverses/v1/consulter/cr", chorus_status, methods=["POST"]),
            Route("/cpro/factures/v1/rechercher/fournisseur", chorus_search, methods=["POST"]),
        ]
    )
    app.state.ap_portal = state
    return app


class BackgroundServer:
    """Run the app with uvicorn in a thread (tests, and the demo when started in-process)."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 8090):
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://{host}:{port}"

    def start(self) -> BackgroundServer:
        self.thread.start()
        deadline = time.time() + 10
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"AP portal server did not start on {self.url}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
