"""PDF invoices: Jinja2 HTML templates (sandboxed, autoescaped) rendered by WeasyPrint as PDF/A-3b, made
Factur-X EN 16931 by embedding the CII XML and the supporting documents in the same pass (see facturx_pdf).

Amounts and dates are formatted with babel for the invoice's language (fr: "1 234,56 €", en: "€1,234.56").
The template can fetch nothing but its own folder's files and the configured logo.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from channels.documents.model import Invoice

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGUAGES = ("fr", "en")
PDF_VARIANT = "pdf/a-3b"
FACTURX_FILENAME = "factur-x.xml"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def format_money(value: Decimal, currency: str, locale: str, decimals: int = 2) -> str:
    amount = Decimal(value)
    if decimals > 2 and amount == amount.quantize(Decimal("0.01")):
        decimals = 2  # unit prices show extra decimals only when they have them
    pattern = None
    if decimals != 2:
        pattern = "#,##0." + "0" * 2 + "#" * (decimals - 2)
        return format_currency(
            amount, currency, locale=locale, format=_currency_pattern(locale, pattern), currency_digits=False
        )
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
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def format_country(code: str, locale: str) -> str:
    """The country's name in the document's language (US -> United States / États-Unis)."""
    from babel import Locale

    return Locale.parse(locale).territories.get(code.upper(), code)


def allowance_row(entry, labels) -> tuple[str, Decimal]:
    """(label, signed amount) of a document allowance or charge in the totals column."""
    label = entry.reason or (labels.charge if entry.charge else labels.discount)
    return label, entry.signed


@lru_cache(maxsize=1)
def environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        allowance_row=allowance_row,
        country=format_country,
        money=format_money,
        date=format_day,
        number=format_number,
        percent=format_percent,
        iban=format_iban,
    )
    return env


# The lines table's description column (invoice.css): A4 width less the 14 mm side margins, 42 % of it, less
# 1 mm of padding each side, in points; the text is 9 pt DejaVu Sans. A tenth is kept spare for kerning.
DESCRIPTION_COLUMN_PT = ((210 - 2 * 14) * 0.42 - 2) / 25.4 * 72 * 0.9
DESCRIPTION_FONT = ("DejaVu Sans", 9.0)
MAX_COLUMN_LINES = 10  # above this the invoice may need a second page: lines are then table rows


@lru_cache(maxsize=1)
def _advance_widths() -> tuple[dict[int, int], int] | None:
    """Character -> advance width (font units) and units per em of the description font, or None if it cannot
    be read (then every invoice gets the row-per-line table, which needs no measuring)."""
    import subprocess

    from fontTools.ttLib import TTFont

    try:
        path = subprocess.run(
            ["fc-match", "-f", "%{file}", DESCRIPTION_FONT[0]], capture_output=True, text=True, timeout=10, check=True
        ).stdout
        font = TTFont(path, lazy=True)
        if font["name"].getDebugName(1) != DESCRIPTION_FONT[0]:
            return None  # fontconfig substituted another family: its metrics would not be the page's
        metrics = font["hmtx"].metrics
        widths = {code: metrics[glyph][0] for code, glyph in font.getBestCmap().items()}
        return widths, font["head"].unitsPerEm
    except (OSError, subprocess.SubprocessError, KeyError):
        return None


def fits_on_one_line(text: str, width_pt: float = DESCRIPTION_COLUMN_PT) -> bool:
    """True when `text` set in the description font is surely narrower than `width_pt`."""
    font = _advance_widths()
    if font is None or "\n" in text:
        return False
    widths, units_per_em = font
    try:
        advance = sum(widths[ord(character)] for character in text)
    except KeyError:  # a character the font lacks: drawn with a fallback font whose width is unknown here
        return False
    return advance / units_per_em * DESCRIPTION_FONT[1] <= width_pt


class _Document:
    """What the template sees for one invoice."""

    def __init__(self, invoice: Invoice, logo_url: str | None):
        if invoice.language not in LANGUAGES:
            raise ValueError(f"invoice {invoice.number}: no template for language {invoice.language!r}")
        self.invoice = invoice
        self.labels_template = f"labels.{invoice.language}.html"
        self.logo_url = logo_url
        # Lines that each fit on one text line are laid out as five columns of text (one table row) rather than
        # a row of five cells per line: a cell is ~0.5 ms of WeasyPrint's work, a tenth of a typical page.
        # Lines with a discount print it under their description: those take a row each.
        self.lines_as_columns = (
            len(invoice.lines) <= MAX_COLUMN_LINES
            and not any(line.allowances for line in invoice.lines)
            and all(fits_on_one_line(line.name) for line in invoice.lines)
        )


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

    return CSS(
        filename=str(TEMPLATES / "invoice.css"), url_fetcher=_url_fetcher_for(None), font_config=font_configuration()
    )


@lru_cache(maxsize=1)
def user_agent_stylesheet():
    """user-agent.css, parsed once per process: the few HTML defaults the invoice templates rely on."""
    from weasyprint import CSS

    return CSS(
        filename=str(TEMPLATES / "user-agent.css"), url_fetcher=_url_fetcher_for(None), font_config=font_configuration()
    )


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


def html_to_pdf(
    html: str,
    logo: Path | None = None,
    variant: str | None = PDF_VARIANT,
    *,
    metadata: Callable | None = None,
    attachments: Sequence = (),
    finisher: Callable | None = None,
) -> bytes:
    """The PDF of `html`; `metadata` may complete the laid-out document's metadata before it is written,
    `attachments` are WeasyPrint Attachments embedded in the same pass, `finisher` edits the PDF objects last."""
    from weasyprint.urls import FatalURLFetchingError

    document = _invoice_html_class()(string=html, base_url=str(TEMPLATES) + "/", url_fetcher=_url_fetcher_for(logo))
    options = {"pdf_variant": variant} if variant else {}
    try:
        laid_out = document.render(font_config=font_configuration(), stylesheets=[stylesheet()], **options)
        if metadata is not None:
            metadata(laid_out)
        return laid_out.write_pdf(attachments=list(attachments) or None, finisher=finisher, **options)
    except FatalURLFetchingError as error:  # a BaseException in WeasyPrint: made an ordinary error here
        raise RenderError(f"{error} ({error.__cause__})") from error


def render_pdf(invoice: Invoice, logo: Path | None = None) -> bytes:
    """The visual PDF/A-3b of one invoice (no XML embedded)."""
    return html_to_pdf(render_html([invoice], logo), logo)


def facturx_pdf(invoice: Invoice, cii_xml: bytes, logo: Path | None = None) -> bytes:
    """Factur-X EN 16931: the PDF/A-3b with factur-x.xml (relationship Data) and the supporting documents
    (Supplement) embedded, and the Factur-X XMP extension schema in its metadata.

    WeasyPrint embeds the files and writes the metadata in the pass that writes the PDF: factur-x's
    generate_from_binary would read the finished PDF back with pypdf and write it a second time, which cost
    about 7 ms an invoice (8 % of rendering). What makes the PDF Factur-X still comes from the factur-x package:
    its XMP generator (`facturx.generate_xmp_bytes`) gives the extension schema and fx: properties, and tests
    read every PDF back with factur-x (`get_xml_from_pdf`, XSD checked).
    """
    from weasyprint import Attachment

    kind = "Avoir" if invoice.is_credit_note else "Facture"
    if invoice.language == "en":
        kind = "Credit note" if invoice.is_credit_note else "Invoice"
    now = datetime.now(timezone.utc).replace(microsecond=0)

    def describe(document) -> None:
        document.metadata = _metadata_class()(
            title=f"{invoice.seller.name}: {kind} {invoice.number}",
            authors=[invoice.seller.name],
            description=f"{kind} {invoice.number} {invoice.issue_date.isoformat()} - {invoice.buyer.name}",
            keywords=["Factur-X", kind],
            generator="Relance",
            created=now.isoformat(),
            modified=now.isoformat(),
            lang="fr-FR" if invoice.language == "fr" else "en-GB",
            attachments=document.metadata.attachments,
        )

    files = [
        Attachment(
            file_obj=io.BytesIO(cii_xml),
            name=FACTURX_FILENAME,
            description="Factur-X XML file",
            relationship="Data",
            created=now,
            modified=now,
        )
    ]
    files += [
        Attachment(
            file_obj=io.BytesIO(a.data),
            name=a.filename,
            description=a.description,
            relationship="Supplement",
            created=now,
            modified=now,
        )
        for a in invoice.attachments
    ]
    # The EmbeddedFiles name tree must list its names in order (ISO 32000-1, 7.9.6).
    files.sort(key=lambda attachment: attachment.name)
    return html_to_pdf(
        render_html([invoice], logo), logo, metadata=describe, attachments=files, finisher=_open_on_attachments
    )


def _open_on_attachments(document, pdf) -> None:
    """Readers open the attachments panel (as factur-x does); each file is listed once in the catalog's /AF.

    WeasyPrint 70's PDF/A-3 step lists every embedded file twice in /AF (once from the EmbeddedFiles names,
    once from the file specifications)."""
    pdf.catalog["PageMode"] = "/UseAttachments"
    if "AF" in pdf.catalog:
        pdf.catalog["AF"][:] = list(dict.fromkeys(pdf.catalog["AF"]))


def _facturx_descriptions(level: str = "en16931") -> list:
    """The rdf:Description elements of factur-x's XMP that a Factur-X reader looks for: the PDF/A extension
    schema declaring the fx: namespace, and the fx: properties (document type, file name, version, level)."""
    from xml.etree import ElementTree

    from facturx.facturx import generate_xmp_bytes

    packet = generate_xmp_bytes("factur-x", level, None, {})
    start, end = packet.index(b"<x:xmpmeta"), packet.rindex(b"</x:xmpmeta>") + len(b"</x:xmpmeta>")
    rdf = ElementTree.fromstring(packet[start:end]).find(f"{{{RDF_NS}}}RDF")
    wanted = [
        description
        for description in rdf
        if any(
            child.tag.startswith(("{http://www.aiim.org/pdfa/ns/extension/}", "{urn:factur-x:"))
            for child in description
        )
    ]
    for description in wanted:
        description.set(f"{{{RDF_NS}}}about", "")  # as XMP asks, and as WeasyPrint's own descriptions have it
    return wanted


@lru_cache(maxsize=1)
def _facturx_xmp_fragment() -> bytes:
    from xml.etree import ElementTree

    for prefix, uri in (
        ("pdfaExtension", "http://www.aiim.org/pdfa/ns/extension/"),
        ("pdfaSchema", "http://www.aiim.org/pdfa/ns/schema#"),
        ("pdfaProperty", "http://www.aiim.org/pdfa/ns/property#"),
        ("fx", "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"),
    ):
        ElementTree.register_namespace(prefix, uri)
    return b"".join(ElementTree.tostring(d, encoding="utf-8") for d in _facturx_descriptions())


@lru_cache(maxsize=1)
def _metadata_class():
    from weasyprint.document import DocumentMetadata

    class _FacturXMetadata(DocumentMetadata):
        """WeasyPrint's PDF/A metadata (pdfaid, dc:, xmp:, matching the Info dictionary) plus factur-x's."""

        def generate_rdf_metadata(self, variant, version, conformance):
            rdf = super().generate_rdf_metadata(variant, version, conformance)
            closing = rdf.rindex(b"</rdf:RDF>")
            return rdf[:closing] + _facturx_xmp_fragment() + rdf[closing:]

    return _FacturXMetadata


def harfbuzz_subsetting_in_use() -> bool:
    """True when WeasyPrint subsets fonts with libharfbuzz-subset (fast) rather than fontTools (slow)."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    return bool(harfbuzz_subset) and bool(harfbuzz.hb_version_atleast(4, 1, 0))
