"""The customer portal and its JSON API (Starlette).

Pages under /p/<token>/ are reached through a signed link; the API under /api/v1/ through a per-customer
API key. Each successful request records exactly one event (viewed, downloaded, fetched, disputed,
promised) in the operational store before its response is sent; refused requests record none.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import unicodedata
from collections import OrderedDict
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from channels.portal import apikeys, i18n, links
from channels.portal.config import PortalSettings
from channels.portal.data import CustomerView, Invoice, SnapshotReader, SnapshotUnavailable, opaque_id
from channels.portal.recorder import EventRecorder
from channels.portal.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    RateLimiter,
    SecurityHeadersMiddleware,
    csrf_token_for,
    csrf_valid,
    install_log_filter,
    new_csrf_nonce,
)
from stores import operational as ops
from stores.documents import DocumentStore

log = logging.getLogger("relance.portal")
HERE = Path(__file__).resolve().parent
MAX_FORM_BYTES = 16_384
MAX_COMMENT = 2000
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "cii": "application/xml",
    "ubl": "application/xml",
    "edifact": "application/EDIFACT",
}
_SAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


class Refused(Exception):
    """A request that ends without an event: bad credentials, unknown ids, rate limits, bad input."""

    def __init__(self, status: int, message_key: str, headers: dict[str, str] | None = None, detail: str = ""):
        super().__init__(message_key)
        self.status, self.message_key, self.headers, self.detail = status, message_key, headers or {}, detail


@dataclass(frozen=True)
class Access:
    """What a request proved before its handler does any work: who it is, their view, the invoice it names."""

    grant: links.TokenGrant | apikeys.ApiKeyGrant
    view: CustomerView
    invoice: Invoice | None = None
    form: dict[str, str] | None = None


class Portal:
    """Everything the handlers share: settings, stores, caches, limiter, event writer and templates."""

    def __init__(self, settings: PortalSettings):
        self.settings = settings
        # Requests wait on the pool while the thread pool runs their reads: size it like the thread pool.
        self.engine = ops.make_engine(settings.operational_url, pool_size=20, max_overflow=20)
        ops.init_schema(self.engine)
        # SQLite reads are in-process and take microseconds: cheaper inline than a hop to a thread. A
        # PostgreSQL read is a network round trip: it goes to the thread pool so the event loop keeps serving.
        self.inline_reads = self.engine.dialect.name == "sqlite"
        self.snapshot = SnapshotReader(settings.home.snapshot, settings.secret)
        self.documents = DocumentStore(settings.home.documents)
        self.recorder = EventRecorder(self.engine, batch_size=settings.event_batch_size)
        self.ip_limiter = RateLimiter(settings.rate_per_ip, settings.burst_per_ip)
        self.credential_limiter = RateLimiter(settings.rate_per_credential, settings.burst_per_credential)
        # Rendered invoice lists, keyed by everything they depend on (snapshot file, link, language and
        # the customer's disputes/promises): a busy list page is then one stat, two indexed reads and a copy.
        self._pages: OrderedDict[tuple, str] = OrderedDict()
        self._pages_lock = threading.Lock()
        self.page_cache_size = 4096
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    # ------------------------------------------------------------------ access checks
    def check_ip(self, request: Request) -> None:
        allowed, wait = self.ip_limiter.allow(client_ip(request))
        if not allowed:
            raise Refused(429, "error_rate", {"Retry-After": str(max(1, int(wait + 0.999)))})

    def check_credential(self, credential_id: str) -> None:
        allowed, wait = self.credential_limiter.allow(credential_id)
        if not allowed:
            raise Refused(429, "error_rate", {"Retry-After": str(max(1, int(wait + 0.999)))})

    async def read(self, fn, *args):
        """Run a blocking operational-store read inline (SQLite) or in the thread pool (PostgreSQL)."""
        return fn(*args) if self.inline_reads else await run_in_threadpool(fn, *args)

    async def grant_from_token(self, request: Request) -> links.TokenGrant:
        self.check_ip(request)
        try:
            grant = await self.read(links.verify_token, self.engine, self.settings.secret, request.path_params["token"])
        except links.InvalidToken as exc:
            log.info("portal link refused: %s", exc.reason)
            raise Refused(403, "error_link") from None
        self.check_credential("t:" + grant.token_id)
        return grant

    async def grant_from_api_key(self, request: Request) -> apikeys.ApiKeyGrant:
        self.check_ip(request)
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Refused(401, "error_link", {"WWW-Authenticate": 'Bearer realm="relance"'}, "missing API key")
        try:
            grant = await self.read(apikeys.verify_api_key, self.engine, key.strip())
        except apikeys.InvalidApiKey as exc:
            log.info("API key refused: %s", exc.reason)
            raise Refused(
                401, "error_link", {"WWW-Authenticate": 'Bearer error="invalid_token"'}, "invalid API key"
            ) from None
        self.check_credential("k:" + grant.key_id)
        return grant

    async def view(self, customer_id: str) -> CustomerView:
        try:
            # a cached view costs a stat(); a DuckDB read goes to the thread pool, off the event loop
            return self.snapshot.cached(customer_id) or await run_in_threadpool(self.snapshot.customer, customer_id)
        except SnapshotUnavailable as exc:
            log.warning("portal cannot read the snapshot: %s", exc)
            raise Refused(503, "error_unavailable", {"Retry-After": "60"}) from None

    def invoice_of(self, view: CustomerView, oid: str) -> Invoice:
        invoice = view.by_oid.get(oid)
        if invoice is None:
            raise Refused(404, "error_not_found", detail="unknown invoice")
        return invoice

    # ------------------------------------------------------------------ operational reads
    def files_of(self, customer_id: str, invoice_number: str) -> list[dict[str, Any]]:
        di = ops.document_index
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(di.c.format, di.c.sha256, di.c.filename, di.c.created_at)
                .where(di.c.customer_id == customer_id, di.c.invoice_number == invoice_number)
                .order_by(di.c.format, di.c.created_at, di.c.id)
            ).all()
        return [
            {
                "fid": opaque_id(self.settings.secret, "file", customer_id, f"{invoice_number}|{r.format}|{r.sha256}"),
                "format": r.format,
                "sha256": r.sha256,
                "filename": r.filename,
            }
            for r in rows
        ]

    def customer_states(self, customer_id: str) -> dict[str, dict[str, Any]]:
        """Per invoice number: open dispute and latest payment promise, from the event log."""
        ev = ops.events
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(ev.c.event_type, ev.c.invoice_number, ev.c.evidence)
                .where(
                    ev.c.customer_id == customer_id, ev.c.event_type.in_(("disputed", "dispute_resolved", "promised"))
                )
                .order_by(ev.c.id)
            ).all()
        states: dict[str, dict[str, Any]] = {}
        for event_type, invoice_number, evidence in rows:
            state = states.setdefault(invoice_number, {"disputed": False, "promised_date": None})
            if event_type == "disputed":
                state["disputed"] = True
            elif event_type == "dispute_resolved":
                state["disputed"] = False
            else:
                state["promised_date"] = (evidence or {}).get("promised_date")
        return states

    # ------------------------------------------------------------------ rendering
    def cached_page(self, key: tuple, build) -> str:
        with self._pages_lock:
            html = self._pages.get(key)
            if html is not None:
                self._pages.move_to_end(key)
                return html
        html = build()
        with self._pages_lock:
            self._pages[key] = html
            while len(self._pages) > self.page_cache_size:
                self._pages.popitem(last=False)
        return html

    def html_response(self, request: Request, html: str, lang: str, status: int = 200) -> HTMLResponse:
        response = HTMLResponse(html, status_code=status)
        if request.query_params.get("lang") in i18n.LANGUAGES:
            response.set_cookie(
                i18n.LANG_COOKIE,
                lang,
                max_age=365 * 86400,
                samesite="lax",
                secure=request.url.scheme == "https",
                httponly=True,
            )
        return response

    def render_text(self, template: str, lang: str, **context) -> str:
        context.update(
            t=i18n.translator(lang),
            lang=lang,
            money=lambda a, c: i18n.money(a, c, lang),
            day=lambda d: i18n.day(d, lang),
            languages=i18n.LANGUAGES,
        )
        return self.templates.get_template(template).render(**context)

    def render(self, request: Request, template: str, lang: str, status: int = 200, **context) -> HTMLResponse:
        return self.html_response(request, self.render_text(template, lang, **context), lang, status)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def evidence_of(request: Request, **extra: Any) -> dict[str, Any]:
    evidence = {"user_agent": request.headers.get("user-agent", "")[:512], "ip": client_ip(request)}
    evidence.update({k: v for k, v in extra.items() if v is not None})
    return evidence


def page_source(request: Request) -> str:
    return "email-link" if request.query_params.get("via") == "email" else "portal"


def language_for(request: Request, customer_lang: str | None, default: str) -> str:
    return i18n.negotiate(
        request.query_params.get("lang"),
        request.cookies.get(i18n.LANG_COOKIE),
        request.headers.get("accept-language"),
        customer_lang,
        default,
    )


def download_name(filename: str, fallback: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", filename or "").encode("ascii", "ignore").decode("ascii")
    cleaned = _SAFE_FILENAME.sub("_", ascii_name).strip("._")
    return cleaned[:120] or fallback


def customer_today(view: CustomerView) -> date:
    zone_name = (view.customer or {}).get("timezone") or "Europe/Paris"
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("Europe/Paris")
    return datetime.now(timezone.utc).astimezone(zone).date()


# ====================================================================== app factory


def create_app(settings: PortalSettings | None = None) -> Starlette:
    settings = settings or PortalSettings.from_env()
    portal = Portal(settings)
    install_log_filter()

    def refused_page(request: Request, exc: Refused, lang: str | None = None) -> Response:
        lang = lang or language_for(request, None, settings.default_language)
        response = portal.render(
            request, "error.html", lang, status=exc.status, message=i18n.translator(lang)(exc.message_key)
        )
        response.headers.update(exc.headers)
        return response

    def refused_json(exc: Refused) -> Response:
        messages = {
            401: "unauthorized",
            403: "forbidden",
            404: "not found",
            429: "rate limited",
            503: "snapshot unavailable",
            400: "invalid request",
            413: "request too large",
        }
        return JSONResponse(
            {"error": exc.detail or messages.get(exc.status, "error")}, status_code=exc.status, headers=exc.headers
        )

    async def files_of(invoice: Invoice, customer_id: str) -> list[dict[str, Any]]:
        return await portal.read(portal.files_of, customer_id, invoice.invoice_number)

    # -------------------------------------------------------------- steps every handler shares
    async def access(
        request: Request, *, api: bool = False, posted: bool = False, with_invoice: bool = False
    ) -> Access:
        """Check the credential, then a posted form, then load the view and the invoice of the URL.

        Each step raises Refused; handlers call this before recording anything, so a refused request
        never leaves an event. The order matters: credential and CSRF are checked before any data is read.
        """
        grant = await (portal.grant_from_api_key(request) if api else portal.grant_from_token(request))
        form = await _posted_form(request, grant) if posted else None
        view = await portal.view(grant.customer_id)
        invoice = portal.invoice_of(view, request.path_params["oid"]) if with_invoice else None
        return Access(grant, view, invoice, form)

    async def record_success(request: Request, granted: Access, event_type: str, **evidence: Any) -> None:
        """The one event of a successful request, tagged with the credential (link or API key) it used."""
        if isinstance(granted.grant, apikeys.ApiKeyGrant):
            source, credential = "api", {"key_id": granted.grant.key_id}
        else:
            source, credential = page_source(request), {"token_id": granted.grant.token_id}
        await portal.recorder.record(
            event_type,
            source=source,
            customer_id=granted.grant.customer_id,
            invoice_number=granted.invoice.invoice_number if granted.invoice else None,
            evidence=evidence_of(request, **evidence, **credential),
        )

    def page_language(request: Request, view: CustomerView) -> str:
        return language_for(request, view.language, settings.default_language)

    # -------------------------------------------------------------- pages
    async def invoice_list(request: Request) -> Response:
        try:
            granted = await access(request)
        except Refused as exc:
            return refused_page(request, exc)
        view = granted.view
        states = await portal.read(portal.customer_states, granted.grant.customer_id)
        lang = page_language(request, view)
        token = request.path_params["token"]
        key = (
            "invoices",
            view.version,
            view.customer_id,
            token,
            lang,
            tuple(sorted((k, v["disputed"], v["promised_date"]) for k, v in states.items())),
        )
        html = portal.cached_page(
            key,
            lambda: portal.render_text(
                "invoices.html", lang, view=view, token=token, states=states, totals=view.open_total()
            ),
        )
        response = portal.html_response(request, html, lang)
        await record_success(request, granted, "viewed", page="invoices")
        return response

    async def invoice_detail(request: Request) -> Response:
        try:
            granted = await access(request, with_invoice=True)
        except Refused as exc:
            return refused_page(request, exc)
        return await _render_invoice(request, granted, page_language(request, granted.view))

    async def _render_invoice(
        request: Request, granted: Access, lang: str, error_key: str | None = None, status: int = 200
    ) -> Response:
        view, invoice = granted.view, granted.invoice
        files = await files_of(invoice, granted.grant.customer_id)
        states = await portal.read(portal.customer_states, granted.grant.customer_id)
        nonce = request.cookies.get(CSRF_COOKIE)
        new_nonce = not nonce or len(nonce) > 64
        if new_nonce:
            nonce = new_csrf_nonce()
        t = i18n.translator(lang)
        today = customer_today(view)
        response = portal.render(
            request,
            "invoice.html",
            lang,
            status=status,
            view=view,
            invoice=invoice,
            files=files,
            token=request.path_params["token"],
            state=states.get(invoice.invoice_number, {}),
            csrf_field=CSRF_FIELD,
            csrf_token=csrf_token_for(settings.secret, nonce, granted.grant.token_id),
            reasons=i18n.DISPUTE_REASONS,
            done=request.query_params.get("done"),
            error=t(error_key, days=settings.promise_max_days) if error_key else None,
            form=granted.form or {},
            min_date=today.isoformat(),
            max_date=(today + timedelta(days=settings.promise_max_days)).isoformat(),
        )
        if new_nonce:
            response.set_cookie(
                CSRF_COOKIE, nonce, path="/p/", httponly=True, samesite="strict", secure=request.url.scheme == "https"
            )
        # a form shown again with its error is a refused submission, not a view: no event
        if status == 200:
            await record_success(request, granted, "viewed", page="invoice")
        return response

    async def download(request: Request) -> Response:
        try:
            granted = await access(request, with_invoice=True)
            file = await _file_of(granted.invoice, granted.grant.customer_id, request.path_params["fid"])
            body = await run_in_threadpool(_read_document, file)
        except Refused as exc:
            return refused_page(request, exc)
        await record_success(request, granted, "downloaded", format=file["format"], sha256=file["sha256"])
        return _file_response(file, body)

    async def _file_of(invoice: Invoice, customer_id: str, fid: str) -> dict[str, Any]:
        for file in await files_of(invoice, customer_id):
            if file["fid"] == fid:
                return file
        raise Refused(404, "error_not_found", detail="unknown file")

    def _read_document(file: dict[str, Any]) -> bytes:
        try:
            body = portal.documents.get(file["sha256"])
        except (FileNotFoundError, ValueError):
            log.error("indexed document missing from the document store (format %s)", file["format"])
            raise Refused(404, "error_not_found", detail="file unavailable") from None
        if hashlib.sha256(body).hexdigest() != file["sha256"]:
            log.error("document store file does not match its hash (format %s)", file["format"])
            raise Refused(404, "error_not_found", detail="file unavailable")
        return body

    def _file_response(file: dict[str, Any], body: bytes) -> Response:
        name = download_name(file["filename"], f"document-{file['format']}")
        media = CONTENT_TYPES.get(file["format"]) or (
            "application/pdf" if name.lower().endswith(".pdf") else "application/octet-stream"
        )
        return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    async def statement_page(request: Request) -> Response:
        try:
            granted = await access(request)
        except Refused as exc:
            return refused_page(request, exc)
        view = granted.view
        lang = page_language(request, view)
        response = portal.render(
            request,
            "statement.html",
            lang,
            view=view,
            token=request.path_params["token"],
            lines=view.statement(),
            as_of=customer_today(view),
        )
        await record_success(request, granted, "viewed", page="statement")
        return response

    def _statement_pdf(view: CustomerView, lang: str) -> bytes:
        from weasyprint import HTML

        t = i18n.translator(lang)
        html = portal.templates.get_template("statement_pdf.html").render(
            t=t,
            lang=lang,
            view=view,
            lines=view.statement(),
            as_of=customer_today(view),
            money=lambda a, c: i18n.money(a, c, lang),
            day=lambda d: i18n.day(d, lang),
        )
        return HTML(string=html).write_pdf()

    def _statement_pdf_response(body: bytes) -> Response:
        return Response(
            body, media_type="application/pdf", headers={"Content-Disposition": 'attachment; filename="statement.pdf"'}
        )

    async def statement_pdf(request: Request) -> Response:
        try:
            granted = await access(request)
        except Refused as exc:
            return refused_page(request, exc)
        body = await run_in_threadpool(_statement_pdf, granted.view, page_language(request, granted.view))
        await record_success(request, granted, "downloaded", format="statement_pdf")
        return _statement_pdf_response(body)

    async def _posted_form(request: Request, grant: links.TokenGrant) -> dict[str, str]:
        declared = request.headers.get("content-length")
        if declared is None or not declared.isdigit() or int(declared) > MAX_FORM_BYTES:
            raise Refused(413, "error_form", detail="form too large")
        form = await request.form(max_files=0, max_fields=10)
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        if not csrf_valid(settings.secret, request.cookies.get(CSRF_COOKIE), grant.token_id, values.get(CSRF_FIELD)):
            raise Refused(403, "error_form", detail="csrf")
        return values

    async def _answer_form(
        request: Request, granted: Access, problem: str | None, event_type: str, done_param: str, **evidence: Any
    ) -> Response:
        """Show a dispute or promise form again with its error (no event), or record it and redirect."""
        invoice = granted.invoice
        if not invoice.is_open or invoice.document_type == "credit_note":
            problem = "error_not_open"
        if problem:
            return await _render_invoice(request, granted, page_language(request, granted.view), problem, 400)
        await record_success(
            request, granted, event_type, **evidence, amount=str(invoice.open_amount), currency=invoice.currency
        )
        return RedirectResponse(
            f"/p/{request.path_params['token']}/invoices/{invoice.oid}?done={done_param}", status_code=303
        )

    async def dispute(request: Request) -> Response:
        try:
            granted = await access(request, posted=True, with_invoice=True)
        except Refused as exc:
            return refused_page(request, exc)
        reason = granted.form.get("reason", "")
        comment = granted.form.get("comment", "").strip()
        problem = None
        if reason not in i18n.DISPUTE_REASONS:
            problem = "error_reason"
        elif len(comment) > MAX_COMMENT:
            problem = "error_comment"
        return await _answer_form(request, granted, problem, "disputed", "dispute", reason=reason, comment=comment)

    async def promise(request: Request) -> Response:
        try:
            granted = await access(request, posted=True, with_invoice=True)
        except Refused as exc:
            return refused_page(request, exc)
        today = customer_today(granted.view)
        try:
            promised = date.fromisoformat(granted.form.get("promised_date", "").strip())
        except ValueError:
            promised = None
        if promised is None or not today <= promised <= today + timedelta(days=settings.promise_max_days):
            return await _answer_form(request, granted, "error_date", "promised", "promise")
        return await _answer_form(request, granted, None, "promised", "promise", promised_date=promised.isoformat())

    # -------------------------------------------------------------- JSON API
    def _file_json(invoice: Invoice, file: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": file["fid"],
            "format": file["format"],
            "filename": file["filename"],
            "sha256": file["sha256"],
            "url": f"/api/v1/invoices/{invoice.oid}/files/{file['fid']}",
        }

    async def api_invoices(request: Request) -> Response:
        try:
            grant = await portal.grant_from_api_key(request)
            # after the key, so a caller without a valid key gets 401 whatever its query; before the snapshot read
            status = request.query_params.get("status", "all")
            if status not in ("open", "settled", "all"):
                raise Refused(400, "error_invalid", detail="status must be open, settled or all")
            granted = Access(grant, await portal.view(grant.customer_id))
        except Refused as exc:
            return refused_json(exc)
        view = granted.view
        chosen = {"open": view.open_invoices, "settled": view.settled_invoices, "all": view.invoices}[status]
        body = {
            "customer_id": grant.customer_id,
            "status": status,
            "count": len(chosen),
            "invoices": [i.as_json() for i in chosen],
        }
        await record_success(request, granted, "fetched", page="invoices")
        return JSONResponse(body)

    async def api_invoice(request: Request) -> Response:
        try:
            granted = await access(request, api=True, with_invoice=True)
        except Refused as exc:
            return refused_json(exc)
        invoice, customer_id = granted.invoice, granted.grant.customer_id
        files = await files_of(invoice, customer_id)
        states = await portal.read(portal.customer_states, customer_id)
        state = states.get(invoice.invoice_number, {})
        body = invoice.as_json() | {
            "disputed": bool(state.get("disputed")),
            "promised_date": state.get("promised_date"),
            "files": [_file_json(invoice, f) for f in files],
        }
        await record_success(request, granted, "fetched", page="invoice")
        return JSONResponse(body)

    async def api_file(request: Request) -> Response:
        try:
            granted = await access(request, api=True, with_invoice=True)
            file = await _file_of(granted.invoice, granted.grant.customer_id, request.path_params["fid"])
            body = await run_in_threadpool(_read_document, file)
        except Refused as exc:
            return refused_json(exc)
        await record_success(request, granted, "fetched", format=file["format"], sha256=file["sha256"])
        return _file_response(file, body)

    async def api_statement(request: Request) -> Response:
        try:
            granted = await access(request, api=True)
        except Refused as exc:
            return refused_json(exc)
        view = granted.view
        statement = view.statement()
        lines = [
            {
                "date": line.entry_date.isoformat() if line.entry_date else None,
                "kind": line.kind,
                "reference": line.reference,
                "due_date": line.due_date.isoformat() if line.due_date else None,
                "currency": line.currency,
                "debit": str(line.debit),
                "credit": str(line.credit),
                "balance": str(line.balance),
            }
            for line in statement
        ]
        body = {
            "customer_id": granted.grant.customer_id,
            "as_of": customer_today(view).isoformat(),
            "balance": {cur: str(v) for cur, v in view.closing_balances(statement).items()},
            "lines": lines,
            "open_total": {cur: str(v) for cur, v in view.open_total().items()},
        }
        await record_success(request, granted, "fetched", page="statement")
        return JSONResponse(body)

    async def api_statement_pdf(request: Request) -> Response:
        try:
            granted = await access(request, api=True)
        except Refused as exc:
            return refused_json(exc)
        # API clients have no language cookie: only the query, their Accept-Language and the customer's own
        lang = i18n.negotiate(
            request.query_params.get("lang"),
            None,
            request.headers.get("accept-language"),
            granted.view.language,
            settings.default_language,
        )
        body = await run_in_threadpool(_statement_pdf, granted.view, lang)
        await record_success(request, granted, "fetched", format="statement_pdf")
        return _statement_pdf_response(body)

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    async def not_found(request: Request, _exc) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "not found"}, status_code=404)
        return refused_page(request, Refused(404, "error_not_found"))

    async def method_not_allowed(request: Request, _exc) -> Response:
        return PlainTextResponse("method not allowed", status_code=405)

    async def server_error(request: Request, exc) -> Response:
        log.error("portal error on %s: %s", request.url.path, type(exc).__name__)
        return PlainTextResponse("internal error", status_code=500)

    @asynccontextmanager
    async def lifespan(_app):
        portal.recorder.start()
        try:
            yield
        finally:
            portal.recorder.stop()
            portal.snapshot.close()

    routes = [
        Route("/healthz", healthz),
        Route("/p/{token}", invoice_list),
        Route("/p/{token}/statement", statement_page),
        Route("/p/{token}/statement.pdf", statement_pdf),
        Route("/p/{token}/invoices/{oid}", invoice_detail),
        Route("/p/{token}/invoices/{oid}/files/{fid}", download),
        Route("/p/{token}/invoices/{oid}/dispute", dispute, methods=["POST"]),
        Route("/p/{token}/invoices/{oid}/promise", promise, methods=["POST"]),
        Route("/api/v1/invoices", api_invoices),
        Route("/api/v1/invoices/{oid}", api_invoice),
        Route("/api/v1/invoices/{oid}/files/{fid}", api_file),
        Route("/api/v1/statement", api_statement),
        Route("/api/v1/statement.pdf", api_statement_pdf),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: not_found, 405: method_not_allowed, 500: server_error},
    )
    app.state.portal = portal
    app.add_middleware(SecurityHeadersMiddleware)
    return app


def create_app_from_env() -> Starlette:
    """Factory for `uvicorn --factory` (one portal per worker process)."""
    return create_app(PortalSettings.from_env())
