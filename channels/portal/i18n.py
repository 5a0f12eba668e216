"""French and English texts of the portal, language negotiation and money/date formatting (Babel)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency

LANGUAGES = ("fr", "en")
LANG_COOKIE = "relance_lang"

MESSAGES: dict[str, dict[str, str]] = {
    "portal_title": {"fr": "Espace client", "en": "Customer portal"},
    "invoices": {"fr": "Factures", "en": "Invoices"},
    "open_invoices": {"fr": "Factures à régler", "en": "Open invoices"},
    "settled_invoices": {"fr": "Factures réglées", "en": "Paid invoices"},
    "statement": {"fr": "Relevé de compte", "en": "Statement of account"},
    "statement_pdf": {"fr": "Télécharger le relevé (PDF)", "en": "Download the statement (PDF)"},
    "no_open": {"fr": "Aucune facture à régler.", "en": "No open invoices."},
    "no_settled": {"fr": "Aucune facture réglée.", "en": "No paid invoices."},
    "number": {"fr": "N°", "en": "Number"},
    "issue_date": {"fr": "Date", "en": "Date"},
    "due_date": {"fr": "Échéance", "en": "Due date"},
    "amount_incl_tax": {"fr": "Montant TTC", "en": "Amount incl. tax"},
    "amount_excl_tax": {"fr": "Montant HT", "en": "Amount excl. tax"},
    "tax_amount": {"fr": "TVA", "en": "VAT"},
    "open_amount": {"fr": "Reste à payer", "en": "Amount due"},
    "paid_amount": {"fr": "Payé", "en": "Paid"},
    "status": {"fr": "Statut", "en": "Status"},
    "total_due": {"fr": "Total à régler\u00a0:", "en": "Total due:"},
    "status_open": {"fr": "À régler", "en": "Open"},
    "status_partially_paid": {"fr": "Partiellement réglée", "en": "Partially paid"},
    "status_paid": {"fr": "Réglée", "en": "Paid"},
    "status_credited": {"fr": "Avoir imputé", "en": "Credited"},
    "late": {"fr": "En retard", "en": "Overdue"},
    "disputed": {"fr": "Contestée", "en": "Disputed"},
    "promised_on": {"fr": "Paiement promis le", "en": "Payment promised on"},
    "invoice": {"fr": "Facture", "en": "Invoice"},
    "credit_note": {"fr": "Avoir", "en": "Credit note"},
    "payment": {"fr": "Règlement", "en": "Payment"},
    "back": {"fr": "Retour aux factures", "en": "Back to invoices"},
    "details": {"fr": "Détail", "en": "Details"},
    "purchase_order": {"fr": "N° de commande", "en": "Purchase order"},
    "description": {"fr": "Libellé", "en": "Description"},
    "documents": {"fr": "Documents", "en": "Documents"},
    "no_documents": {"fr": "Aucun document disponible pour le moment.", "en": "No document available yet."},
    "format_pdf": {"fr": "PDF (Factur-X)", "en": "PDF (Factur-X)"},
    "format_cii": {"fr": "Factur-X XML (CII)", "en": "Factur-X XML (CII)"},
    "format_ubl": {"fr": "UBL XML", "en": "UBL XML"},
    "format_edifact": {"fr": "EDIFACT", "en": "EDIFACT"},
    "format_attachment": {"fr": "Pièce jointe", "en": "Attachment"},
    "dispute_title": {"fr": "Contester cette facture", "en": "Dispute this invoice"},
    "dispute_reason": {"fr": "Motif", "en": "Reason"},
    "dispute_comment": {"fr": "Commentaire", "en": "Comment"},
    "dispute_submit": {"fr": "Envoyer la contestation", "en": "Send the dispute"},
    "dispute_recorded": {
        "fr": "Votre contestation a été enregistrée. Les relances sur cette facture sont suspendues.",
        "en": "Your dispute has been recorded. Reminders on this invoice have stopped.",
    },
    "reason_pricing": {"fr": "Prix incorrect", "en": "Wrong price"},
    "reason_quantity": {"fr": "Quantité incorrecte", "en": "Wrong quantity"},
    "reason_not_received": {"fr": "Marchandise ou prestation non reçue", "en": "Goods or service not received"},
    "reason_quality": {"fr": "Problème de qualité", "en": "Quality problem"},
    "reason_duplicate": {"fr": "Facture en double", "en": "Duplicate invoice"},
    "reason_already_paid": {"fr": "Déjà payée", "en": "Already paid"},
    "reason_other": {"fr": "Autre", "en": "Other"},
    "promise_title": {"fr": "Promettre un paiement", "en": "Promise to pay"},
    "promise_date": {"fr": "Date de paiement", "en": "Payment date"},
    "promise_submit": {"fr": "Enregistrer la promesse", "en": "Record the promise"},
    "promise_recorded": {
        "fr": "Merci : votre promesse de paiement est enregistrée. Les relances sont en pause jusqu'à cette date.",
        "en": "Thank you: your payment promise is recorded. Reminders pause until that date.",
    },
    "error_title": {"fr": "Accès impossible", "en": "Access denied"},
    "error_link": {
        "fr": "Ce lien n'est pas valide, a expiré ou a été révoqué. Demandez un nouveau lien à votre fournisseur.",
        "en": "This link is invalid, has expired or has been revoked. Ask your supplier for a new link.",
    },
    "error_not_found": {"fr": "Page introuvable.", "en": "Page not found."},
    "error_rate": {
        "fr": "Trop de requêtes : réessayez dans quelques instants.",
        "en": "Too many requests: try again in a moment.",
    },
    "error_form": {
        "fr": "Le formulaire a expiré : rechargez la page et recommencez.",
        "en": "The form has expired: reload the page and try again.",
    },
    "error_unavailable": {
        "fr": "Le service est momentanément indisponible.",
        "en": "The service is temporarily unavailable.",
    },
    "error_invalid": {"fr": "Saisie invalide\u00a0:", "en": "Invalid input:"},
    "error_reason": {"fr": "Choisissez un motif.", "en": "Choose a reason."},
    "error_comment": {
        "fr": "Le commentaire est limité à 2000 caractères.",
        "en": "The comment is limited to 2000 characters.",
    },
    "error_date": {
        "fr": "Indiquez une date valide, à partir d'aujourd'hui et au plus tard dans {days} jours.",
        "en": "Enter a valid date, from today and at most {days} days ahead.",
    },
    "error_not_open": {"fr": "Cette facture est déjà réglée.", "en": "This invoice is already settled."},
    "balance": {"fr": "Solde", "en": "Balance"},
    "debit": {"fr": "Débit", "en": "Debit"},
    "credit": {"fr": "Crédit", "en": "Credit"},
    "reference": {"fr": "Référence", "en": "Reference"},
    "kind": {"fr": "Type", "en": "Type"},
    "statement_as_of": {"fr": "Relevé établi le", "en": "Statement as of"},
    "customer_code": {"fr": "Code client", "en": "Customer code"},
    "language": {"fr": "Langue", "en": "Language"},
    "no_entries": {"fr": "Aucune écriture.", "en": "No entries."},
}

DISPUTE_REASONS = ("pricing", "quantity", "not_received", "quality", "duplicate", "already_paid", "other")


def translator(lang: str):
    lang = lang if lang in LANGUAGES else "fr"

    def t(key: str, **kwargs) -> str:
        text = MESSAGES.get(key, {}).get(lang) or key
        return text.format(**kwargs) if kwargs else text

    return t


@lru_cache(maxsize=256)
def parse_accept_language(header: str) -> str | None:
    """The best supported language of an Accept-Language header (q-values honoured), or None."""
    best, best_q = None, 0.0
    for part in header.split(",")[:20]:
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        # earlier entries win ties, as browsers list them by preference
        if primary in LANGUAGES and q > best_q:
            best, best_q = primary, q
    return best


def negotiate(
    query_lang: str | None,
    cookie_lang: str | None,
    accept_language: str | None,
    customer_lang: str | None,
    default: str = "fr",
) -> str:
    for candidate in (query_lang, cookie_lang):
        if candidate in LANGUAGES:
            return candidate
    if accept_language:
        found = parse_accept_language(accept_language[:500])
        if found:
            return found
    if customer_lang in LANGUAGES:
        return customer_lang
    return default


_LOCALES = {"fr": "fr_FR", "en": "en_GB"}


# Babel formatting costs tens of microseconds a call and a page repeats the same amounts and dates:
# memoised, the invoice list renders several times faster under load.
@lru_cache(maxsize=65_536)
def money(amount: Decimal | None, currency: str, lang: str) -> str:
    if amount is None:
        return ""
    return format_currency(amount, currency or "EUR", locale=_LOCALES.get(lang, "fr_FR"))


@lru_cache(maxsize=16_384)
def day(value: date | datetime | None, lang: str) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, "medium", locale=_LOCALES.get(lang, "fr_FR"))
    return format_date(value, "medium", locale=_LOCALES.get(lang, "fr_FR"))
