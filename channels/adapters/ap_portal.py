"""Upload to a customer's accounts-payable portal over HTTP: a generic REST adapter and one modelled on
Chorus Pro's deposit-then-poll flow (OAuth client credentials + technical account header).

Configuration (environment): RELANCE_APPORTAL_KIND = rest | chorus (rest), RELANCE_APPORTAL_URL
(http://127.0.0.1:8090, the demo server), RELANCE_APPORTAL_TOKEN (REST bearer token),
RELANCE_CHORUS_CLIENT_ID / RELANCE_CHORUS_CLIENT_SECRET (OAuth), RELANCE_CHORUS_LOGIN /
RELANCE_CHORUS_PASSWORD (technical account), RELANCE_APPORTAL_TIMEOUT (20 s), RELANCE_APPORTAL_POLLS (10)
and RELANCE_APPORTAL_POLL_SECONDS (0.5): how long to wait for the portal's verdict before recording the
deposit as sent with its status still pending.

Exactly-once: the REST adapter sends the outbox idempotency key as `Idempotency-Key` (the portal replays
the first answer) and looks deposits up by it after a crash; the Chorus-like adapter names the file after
the outbox row and searches for that name, since Chorus Pro has no idempotency key.
"""

from __future__ import annotations

import base64
import os
import time
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx

from channels.adapters.base import Delivery, PermanentError, Receipt, TransientError
from channels.files import safe_name


@dataclass(frozen=True)
class ApPortalConfig:
    url: str = "http://127.0.0.1:8090"
    token: str = "demo-token"
    client_id: str = "demo-client"
    client_secret: str = "demo-secret"
    login: str = "demo@relance.example"
    password: str = "demo-password"
    timeout: float = 20.0
    polls: int = 10
    poll_seconds: float = 0.5

    @classmethod
    def from_env(cls) -> ApPortalConfig:
        env = os.environ
        return cls(
            url=(env.get("RELANCE_APPORTAL_URL") or cls.url).rstrip("/"),
            token=env.get("RELANCE_APPORTAL_TOKEN") or cls.token,
            client_id=env.get("RELANCE_CHORUS_CLIENT_ID") or cls.client_id,
            client_secret=env.get("RELANCE_CHORUS_CLIENT_SECRET") or cls.client_secret,
            login=env.get("RELANCE_CHORUS_LOGIN") or cls.login,
            password=env.get("RELANCE_CHORUS_PASSWORD") or cls.password,
            timeout=float(env.get("RELANCE_APPORTAL_TIMEOUT") or 20),
            polls=int(env.get("RELANCE_APPORTAL_POLLS") or 10),
            poll_seconds=float(env.get("RELANCE_APPORTAL_POLL_SECONDS") or 0.5),
        )


def _pdf(delivery: Delivery) -> bytes:
    item = delivery.first
    path = item.documents.get("pdf")
    if path is None:
        raise PermanentError(f"no PDF for {item.invoice_number} to upload", code="document_missing")
    data = path.read_bytes()
    if not data.startswith(b"%PDF-"):
        raise PermanentError(f"the document of {item.invoice_number} is not a PDF", code="not_pdf")
    return data


def _http_error(what: str, response: httpx.Response) -> Exception:
    try:
        detail: Any = response.json()
    except ValueError:
        detail = response.text[:300]
    evidence = {"http_status": response.status_code, "response": detail}
    message = f"{what}: HTTP {response.status_code} {detail}"
    if response.status_code in (401, 403):
        # our credentials, not the document: retry once the operator fixes them
        return TransientError(message, code=str(response.status_code), evidence=evidence)
    if response.status_code == 429 or response.status_code >= 500:
        return TransientError(message, code=str(response.status_code), evidence=evidence)
    return PermanentError(message, code=str(response.status_code), evidence=evidence, event_type="rejected")


class _HttpAdapter:
    channel = "ap_portal"

    def __init__(self, config: ApPortalConfig, client: httpx.Client | None = None):
        self.config = config
        self.client = client or httpx.Client(base_url=config.url, timeout=config.timeout)

    def _request(self, method: str, path: str, what: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise TransientError(f"{what}: the portal at {self.config.url} timed out", code="timeout") from exc
        except httpx.TransportError as exc:
            raise TransientError(
                f"{what}: cannot reach the portal at {self.config.url}: {exc}", code="connect"
            ) from exc
        if response.status_code >= 400:
            raise _http_error(what, response)
        return response

    def close(self) -> None:
        self.client.close()


class RestApPortalAdapter(_HttpAdapter):
    def send(self, delivery: Delivery) -> Receipt:
        item = delivery.first
        data = _pdf(delivery)
        buyer = delivery.recipient.ap_portal_id
        if not buyer:
            raise PermanentError(f"customer {delivery.recipient.customer_id} has no AP-portal id", code="no_portal_id")
        files = {"file": (f"{safe_name(item.invoice_number or 'invoice')}.pdf", data, "application/pdf")}
        if "ubl" in item.documents:
            files["ubl"] = ("invoice.xml", item.documents["ubl"].read_bytes(), "application/xml")
        response = self._request(
            "POST",
            "/api/v1/invoices",
            "upload refused",
            headers={"Authorization": f"Bearer {self.config.token}", "Idempotency-Key": item.idempotency_key},
            data={"invoice_number": item.invoice_number or "", "buyer_id": buyer},
            files=files,
        )
        deposit = response.json()
        final = self._poll(deposit)
        return Receipt(
            channel=self.channel,
            reference=deposit["id"],
            evidence={
                "api": "rest",
                "deposit_id": deposit["id"],
                "ap_portal_status": final["status"],
                "replayed": response.status_code == 200,
            },
        )

    def _poll(self, deposit: dict[str, Any]) -> dict[str, Any]:
        current = deposit
        for _ in range(self.config.polls):
            if current["status"] != "received":
                break
            time.sleep(self.config.poll_seconds)
            current = self._request(
                "GET",
                f"/api/v1/invoices/{deposit['id']}",
                "status check failed",
                headers={"Authorization": f"Bearer {self.config.token}"},
            ).json()
        if current["status"] == "rejected":
            raise PermanentError(
                f"the portal rejected deposit {deposit['id']}: {current.get('reason')}",
                code="ap_portal_rejected",
                event_type="rejected",
                evidence={"deposit_id": deposit["id"], "ap_portal_status": "rejected"},
            )
        return current

    def lookup(self, delivery: Delivery) -> Receipt | None:
        response = self._request(
            "GET",
            "/api/v1/invoices",
            "lookup failed",
            headers={"Authorization": f"Bearer {self.config.token}"},
            params={"idempotency_key": delivery.first.idempotency_key},
        )
        items = response.json()["items"]
        if not items:
            return None
        return Receipt(
            channel=self.channel,
            reference=items[0]["id"],
            recovered=True,
            evidence={"api": "rest", "deposit_id": items[0]["id"], "ap_portal_status": items[0]["status"]},
        )


class ChorusLikeAdapter(_HttpAdapter):
    """Deposit a PDF (`deposer/flux`), get a `numeroFluxDepot`, poll `consulter/cr` for its state."""

    FINAL: ClassVar[dict[str, str]] = {"IN_INTEGRE": "accepted", "IN_REJETE": "rejected"}

    def __init__(self, config: ApPortalConfig, client: httpx.Client | None = None):
        super().__init__(config, client)
        self._token: str | None = None

    def _headers(self) -> dict[str, str]:
        if self._token is None:
            response = self._request(
                "POST",
                "/api/oauth/token",
                "OAuth token refused",
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.config.client_id,
                    "client_secret": self.config.client_secret,
                },
            )
            self._token = response.json()["access_token"]
        account = base64.b64encode(f"{self.config.login}:{self.config.password}".encode()).decode()
        return {"Authorization": f"Bearer {self._token}", "cpro-account": account}

    @staticmethod
    def file_name(delivery: Delivery) -> str:
        item = delivery.first
        return f"{item.outbox_id:010d}-{safe_name(item.invoice_number or 'invoice')}.pdf"

    def _call(self, path: str, what: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self._request("POST", path, what, headers=self._headers(), json=body)
        except TransientError as exc:
            if exc.code == "401":  # token expired: fetch a new one once
                self._token = None
                response = self._request("POST", path, what, headers=self._headers(), json=body)
            else:
                raise
        return response.json()

    def send(self, delivery: Delivery) -> Receipt:
        data = _pdf(delivery)
        syntax = "IN_DP_E2_CII_FACTURX" if delivery.first.payload.get("facturx", True) else "IN_DP_E2_PDF"
        answer = self._call(
            "/cpro/factures/v1/deposer/flux",
            "deposit refused",
            {
                "idUtilisateurCourant": 0,
                "fichierFlux": base64.b64encode(data).decode(),
                "nomFichier": self.file_name(delivery),
                "syntaxeFlux": syntax,
                "avecSignature": False,
            },
        )
        flux = answer["numeroFluxDepot"]
        state = "IN_DEPOT_PORTAIL_EN_ATTENTE_TRAITEMENT_SE_CPP"
        for _ in range(self.config.polls):
            status = self._call("/cpro/transverses/v1/consulter/cr", "status check failed", {"numeroFluxDepot": flux})
            state = status["etatCourantFlux"]
            if state in self.FINAL:
                break
            time.sleep(self.config.poll_seconds)
        if self.FINAL.get(state) == "rejected":
            raise PermanentError(
                f"Chorus-like portal rejected deposit {flux}",
                code="IN_REJETE",
                event_type="rejected",
                evidence={"numeroFluxDepot": flux, "etatCourantFlux": state},
            )
        return Receipt(
            channel=self.channel,
            reference=flux,
            evidence={
                "api": "chorus",
                "numeroFluxDepot": flux,
                "etatCourantFlux": state,
                "dateDepot": answer.get("dateDepot"),
                "nomFichier": self.file_name(delivery),
            },
        )

    def lookup(self, delivery: Delivery) -> Receipt | None:
        found = self._call(
            "/cpro/factures/v1/rechercher/fournisseur", "search failed", {"nomFichier": self.file_name(delivery)}
        )["listeFactures"]
        if not found:
            return None
        return Receipt(
            channel=self.channel,
            reference=found[0]["numeroFluxDepot"],
            recovered=True,
            evidence={"api": "chorus", "numeroFluxDepot": found[0]["numeroFluxDepot"]},
        )


def adapter_from_env() -> _HttpAdapter:
    kind = (os.environ.get("RELANCE_APPORTAL_KIND") or "rest").lower()
    config = ApPortalConfig.from_env()
    if kind == "rest":
        return RestApPortalAdapter(config)
    if kind == "chorus":
        return ChorusLikeAdapter(config)
    raise ValueError(f"RELANCE_APPORTAL_KIND must be rest or chorus, not {kind!r}")
