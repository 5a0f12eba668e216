"""PDF invoices: Jinja2 HTML templates (sandboxed, autoescaped) rendered by WeasyPrint as PDF/A-3b, then made
Factur-X EN 16931 by embedding the CII XML (factur-x package) together with the supporting documents.

Amounts and dates are formatted with babel for the invoice's language (fr: "1 234,56 €", en: "€1,234.56").
The template can fetch nothing but its own folder's files and the configured logo.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from channels.documents.model import Invoice

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGUAGES = ("fr", "en")
PDF_VARIANT = "pdf/a-3b"


def format_money(value: Decimal, currency: str, locale: str, decimals: int = 2) -> str:
    amount = Decimal(value)
    if decimals > 2 and amount == amount.quantize(Decimal("0.01")):
        decimals = 2  # unit prices show extra decimals only when they have them
    pattern = None
    if decimals != 2:
        pattern = "#,##0." + "0" * 2 + "#" * (decimals - 2)
        return format_currency(amount, currency, locale=locale, format=_currency_pattern(locale, pattern),
                               currency_digits=False)
    return format_currency(amount, currency, locale=locale)


def _currency_pattern(locale: str, number_pattern: str) -> str:
    return f"{number_pattern}\u00a0¤" if locale.startswith("fr") else f"¤{number_pattern}"


def format_day(value: date, locale: str) -> str:
    return format_date(value, format="long", locale=locale)


def format_number(value: Decimal, locale: str) -> str:
    return format_decimal(Decimal(value), locale=locale)


def format_percent(value: Decimal, locale: str) -> str:
    text = format_decimal(Decimal(value).normalize(), locale=locale)
    return f"{text}\u00a0%" if locale.startswith("fr") else f"{text}%"


def format_iban(value: str) -> str:
    return " ".join(value[i:i + 4] for i in range(0, len(value), 4))


@lru_cache(maxsize=1)
def environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(money=format_money, date=format_day, number=format_number, percent=format_percent,
                       iban=format_iban)
    return env


class _Document:
    """What the template sees for one invoice."""

    def __init__(self, invoice: Invoice, logo_url: str | None):
        if invoice.language not in LANGUAGES:
            raise ValueError(f"invoice {invoice.number}: no template for language {invoice.language!r}")
        self.invoice = invoice
        self.labels_template = f"labels.{invoice.language}.html"
        self.logo_url = logo_url


def render_html(invoices: Sequence[Invoice], logo: Path | None = None) -> str:
    """HTML of one or several invoices (several: one page sequence per invoice, for a batched document)."""
    if not invoices:
        raise ValueError("nothing to render")
    logo_url = logo.resolve().as_uri() if logo else None
    documents = [_Document(inv, logo_url) for inv in invoices]
    title = invoices[0].number if len(invoices) == 1 else f"{len(invoices)} invoices"
    return environment().get_template("invoice.html").render(documents=documents, title=title)


def _url_fetcher_for(logo: Path | None):
    """A WeasyPrint fetcher that serves only the template folder and the configured logo, from disk."""
    from urllib.parse import unquote, urlparse

    from weasyprint.urls import URLFetcher

    templates = TEMPLATES.resolve()
    logo_path = logo.resolve() if logo else None

    class LocalOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            parsed = urlparse(url)
            path = Path(unquote(parsed.path)).resolve() if parsed.scheme == "file" else None
            if path is None or not (path == logo_path or path.is_relative_to(templates)):
                raise ValueError(f"the invoice template may not fetch {url}")
            return super().fetch(url, headers)

    # fail_on_errors: a missing stylesheet or logo stops the rendering instead of giving an unstyled invoice.
    return LocalOnlyFetcher(allowed_protocols=("file",), fail_on_errors=True)


@lru_cache(maxsize=1)
def font_configuration():
    """One Pango/fontconfig font map per process: building it per document costs about a quarter of a page."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@lru_cache(maxsize=1)
def stylesheet():
    """invoice.css parsed once per process (parsing it per invoice costs more than laying out a page)."""
    from weasyprint import CSS

    return CSS(filename=str(TEMPLATES / "invoice.css"), url_fetcher=_url_fetcher_for(None),
               font_config=font_configuration())


@lru_cache(maxsize=1)
def user_agent_stylesheet():
    """user-agent.css, parsed once per process: the few HTML defaults the invoice templates rely on."""
    from weasyprint import CSS

    return CSS(filename=str(TEMPLATES / "user-agent.css"), url_fetcher=_url_fetcher_for(None),
               font_config=font_configuration())


@lru_cache(maxsize=1)
def _invoice_html_class():
    """WeasyPrint's HTML read with a C parser, with the invoices' small user-agent stylesheet instead of the
    full HTML5 one.

    Matching WeasyPrint's ~250 user-agent rules against every element is about a tenth of an invoice's
    rendering time. The hook is WeasyPrint's own (HTML._ua_stylesheets); should a WeasyPrint release
    drop it, the subclass is a no-op and the full stylesheet applies, giving the same page.
    """
    from xml.etree import ElementTree

    import cssselect2
    from weasyprint import HTML

    class InvoiceHTML(HTML):
        def __init__(self, *, string: str, base_url: str, url_fetcher):
            # The templates write well-formed XHTML (void elements closed, explicit tbody), which the C XML
            # parser reads into the same tree as WeasyPrint's pure-Python HTML5 parser, ~40x faster (about
            # 3 ms an invoice). Anything that is not well-formed goes through the HTML5 parser as before.
            try:
                root = ElementTree.fromstring(string)
            except ElementTree.ParseError:
                root = None
            if root is None or root.tag != "html" or root.find("base") is not None:
                super().__init__(string=string, base_url=base_url, url_fetcher=url_fetcher)
                return
            self.base_url = base_url
            self.url_fetcher = url_fetcher
            self.media_type = "print"
            self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
            self.etree_element = self.wrapper_element.etree_element

        def _ua_stylesheets(self, forms=False):
            return [user_agent_stylesheet()]

    return InvoiceHTML


class RenderError(RuntimeError):
    pass


def html_to_pdf(html: str, logo: Path | None = None, variant: str | None = PDF_VARIANT) -> bytes:
    from weasyprint.urls import FatalURLFetchingError

    document = _invoice_html_class()(string=html, base_url=str(TEMPLATES) + "/", url_fetcher=_url_fetcher_for(logo))
    options = {"stylesheets": [stylesheet()], "font_config": font_configuration()}
    if variant:
        options["pdf_variant"] = variant
    try:
        return document.write_pdf(**options)
    except FatalURLFetchingError as error:  # a BaseException in WeasyPrint: made an ordinary error here
        raise RenderError(f"{error} ({error.__cause__})") from error


def render_pdf(invoice: Invoice, logo: Path | None = None) -> bytes:
    """The visual PDF/A-3b of one invoice (no XML embedded yet)."""
    return html_to_pdf(render_html([invoice], logo), logo)


def facturx_pdf(invoice: Invoice, cii_xml: bytes, logo: Path | None = None) -> bytes:
    """Factur-X EN 16931: the PDF/A-3b with factur-x.xml and the supporting documents embedded."""
    from facturx import generate_from_binary

    visual = render_pdf(invoice, logo)
    attachments = {
        a.filename: {
            "filedata": a.data,
            "description": a.description,
            "modification_datetime": datetime.now(timezone.utc),
            "afrelationship": "supplement",
        }
        for a in invoice.attachments
    }
    kind = "Avoir" if invoice.is_credit_note else "Facture"
    if invoice.language == "en":
        kind = "Credit note" if invoice.is_credit_note else "Invoice"
    return generate_from_binary(
        visual, cii_xml, flavor="factur-x", level="en16931",
        check_xsd=False,  # the XML was validated (XSD + rules) just before, by channels.documents.validation
        pdf_metadata={
            "author": invoice.seller.name,
            "keywords": "Factur-X, " + kind,
            "title": f"{invoice.seller.name}: {kind} {invoice.number}",
            "subject": f"{kind} {invoice.number} {invoice.issue_date.isoformat()} - {invoice.buyer.name}",
        },
        lang="fr-FR" if invoice.language == "fr" else "en-GB",
        attachments=attachments or None,
    )


def harfbuzz_subsetting_in_use() -> bool:
    """True when WeasyPrint subsets fonts with libharfbuzz-subset (fast) rather than fontTools (slow)."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    return bool(harfbuzz_subset) and bool(harfbuzz.hb_version_atleast(4, 1, 0))
