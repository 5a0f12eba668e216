"""Reminder and statement templates, rendered in a Jinja2 sandbox.

Templates live in config/templates/dunning/<template>/<language>/ as subject.txt, body.txt, body.html and
letter.html; a finance lead edits them, so they are untrusted: the SandboxedEnvironment refuses attribute
access to Python internals, StrictUndefined turns every unknown name into an error instead of a blank, and
HTML parts are autoescaped (a customer name like `<b>ACME</b>` is shown, not interpreted). Any failure is
raised as TemplateRenderError naming the template, language and part, and nothing is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency
from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound, select_autoescape
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from assets.dunning.policy import TEMPLATE_DIR

LOCALES = {"fr": "fr_FR", "en": "en_GB"}


class TemplateRenderError(RuntimeError):
    """A template could not be rendered safely; the message says which one and why."""


@dataclass(frozen=True)
class RenderedMessage:
    subject: str | None
    text: str | None
    html: str | None
    letter_html: str | None


def _money(value: Any, currency: str = "EUR", language: str = "fr") -> str:
    return format_currency(Decimal(str(value)), currency or "EUR", locale=LOCALES.get(language, "fr_FR"))


def _day(value: Any, language: str = "fr") -> str:
    if not isinstance(value, date):
        value = date.fromisoformat(str(value))
    return format_date(value, format="long", locale=LOCALES.get(language, "fr_FR"))


class DunningTemplates:
    def __init__(self, template_dir: Path = TEMPLATE_DIR):
        self.template_dir = Path(template_dir)
        self.env = SandboxedEnvironment(
            loader=FileSystemLoader(str(self.template_dir)),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True, default=False),
            undefined=StrictUndefined,
            keep_trailing_newline=False,
        )
        self.env.filters["money"] = _money
        self.env.filters["day"] = _day

    def _render_part(
        self, template: str, language: str, part: str, context: Mapping[str, Any], required: bool
    ) -> str | None:
        name = f"{template}/{language}/{part}"
        try:
            compiled = self.env.get_template(name)
        except TemplateNotFound:
            if required:
                raise TemplateRenderError(
                    f"template {template!r} ({language}) has no {part} "
                    f"(looked in {self.template_dir / template / language})"
                ) from None
            return None
        except TemplateError as exc:
            raise TemplateRenderError(f"template {name} is not valid Jinja: {exc}") from None
        try:
            return compiled.render(**context)
        except SecurityError as exc:
            raise TemplateRenderError(
                f"template {name} was refused by the sandbox (it reaches for Python internals): {exc}"
            ) from None
        except TemplateError as exc:
            raise TemplateRenderError(f"template {name} failed: {exc}") from None
        except (TypeError, ValueError, ArithmeticError, AttributeError, LookupError) as exc:
            raise TemplateRenderError(f"template {name} failed: {type(exc).__name__}: {exc}") from None

    def render(self, template: str, language: str, channel: str, context: Mapping[str, Any]) -> RenderedMessage:
        """Render the parts a channel needs: e-mail gets subject and bodies, paper a letter, others bodies."""
        context = {**context, "language": language}
        if channel == "paper":
            letter = self._render_part(template, language, "letter.html", context, required=True)
            subject = self._render_part(template, language, "subject.txt", context, required=False)
            return RenderedMessage(subject.strip() if subject else None, None, None, letter)
        subject = self._render_part(template, language, "subject.txt", context, required=channel == "email")
        text = self._render_part(template, language, "body.txt", context, required=False)
        html = self._render_part(template, language, "body.html", context, required=False)
        if text is None and html is None:
            raise TemplateRenderError(f"template {template!r} ({language}) has neither body.txt nor body.html")
        # A header line cannot hold a newline: a subject spanning lines would let a template inject headers.
        subject = " ".join(subject.split()) if subject else None
        return RenderedMessage(subject, text, html, None)
