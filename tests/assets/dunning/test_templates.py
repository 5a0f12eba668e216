"""Templates run sandboxed: reaching for Python internals fails with a clear error and nothing is sent;
HTML parts are autoescaped; French and English versions render."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from assets.dunning.batch import REMINDER_KINDS, build_reminder_batch, enqueue_batch, lines_for
from assets.dunning.data import load_day_facts
from assets.dunning.policy import TEMPLATE_DIR, load_policies
from assets.dunning.templates import DunningTemplates, TemplateRenderError
from stores import operational as ops
from stores.operational import audit_log, outbox, select
from tests.assets.dunning.world import World

RUN = date(2026, 10, 16)
NOW = datetime(2026, 10, 16, 9, tzinfo=timezone.utc)
CONTEXT = {
    "customer": {
        "customer_id": "A",
        "name": "<script>alert(1)</script> & Fils",
        "address_line1": "1 rue",
        "address_line2": None,
        "postcode": "75002",
        "city": "Paris",
    },
    "invoices": [
        {
            "invoice_number": "F-1",
            "issue_date": date(2026, 9, 15),
            "due_date": date(2026, 10, 15),
            "open_amount": Decimal("1234.50"),
            "currency": "EUR",
        }
    ],
    "total_open": Decimal("1234.50"),
    "currency": "EUR",
    "today": RUN,
    "sender": {"name": "ACME"},
    "company": {
        "name": "ACME <SAS>",
        "address_lines": ["1 rue de la Paix", "75001 Paris"],
        "siren": "732829320",
        "vat_id": "FR44732829320",
        "email": "factures@acme.example",
        "phone": "",
        "legal_information": "",
        "logo": "",
    },
    "payment": {
        "iban": "FR76 3000 6000 0112 3456 7890 189",
        "bic": "AGRIFRPPXXX",
        "account_name": "ACME",
        "reference": "F-1",
    },
    "portal_link": "https://portal.example/p/token?via=email",
    "reminded_before": False,
    "last_reminded": None,
    "step": "d1",
    "tone": "friendly",
}


@pytest.mark.parametrize(
    "escape",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ invoices.__class__.__base__.__subclasses__() }}",
        "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
        "{{ customer.name.format.__globals__ }}",
    ],
)
def test_reaching_for_python_internals_is_refused(tmp_path, escape):
    folder = tmp_path / "evil" / "fr"
    folder.mkdir(parents=True)
    (folder / "subject.txt").write_text("Relance", encoding="utf-8")
    (folder / "body.txt").write_text(f"Bonjour {escape}", encoding="utf-8")
    with pytest.raises(
        TemplateRenderError,
        match=r"template evil/fr/body.txt was refused by the sandbox \(it "
        r"reaches for Python internals\): access to attribute",
    ):
        DunningTemplates(tmp_path).render("evil", "fr", "email", CONTEXT)


def test_unknown_names_fail_instead_of_rendering_blank(tmp_path):
    folder = tmp_path / "typo" / "en"
    folder.mkdir(parents=True)
    (folder / "subject.txt").write_text("Hi {{ custmer.name }}", encoding="utf-8")
    (folder / "body.txt").write_text("x", encoding="utf-8")
    with pytest.raises(TemplateRenderError, match="'custmer' is undefined"):
        DunningTemplates(tmp_path).render("typo", "en", "email", CONTEXT)


def test_html_is_autoescaped_text_is_not_and_both_languages_render():
    templates = DunningTemplates()
    fr = templates.render("reminder_friendly", "fr", "email", CONTEXT)
    assert fr.subject == "Rappel : facture F-1 arrivée à échéance"
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Fils" in fr.html and "<script>" not in fr.html
    assert "1\u202f234,50\u00a0€" in fr.text and "15 octobre 2026" in fr.text
    en = templates.render("reminder_friendly", "en", "email", CONTEXT)
    assert en.subject == "Reminder: invoice F-1 now due" and "€1,234.50" in en.text
    letter = templates.render("formal_notice", "fr", "paper", CONTEXT)
    assert letter.letter_html.startswith("<!doctype html>") and "Mise en demeure" in letter.letter_html


def test_a_refused_template_sends_nothing_and_says_why(tmp_path, relance_home):
    templates_dir = tmp_path / "templates"
    shutil.copytree(TEMPLATE_DIR, templates_dir)
    (templates_dir / "reminder_friendly" / "fr" / "body.txt").write_text(
        "{{ ''.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8"
    )
    policy_dir = tmp_path / "policies"
    policy_dir.mkdir()
    (policy_dir / "p.toml").write_text(
        'name = "p"\n[[steps]]\nname = "d1"\noffset = 1\nchannel = "email"\ntemplate = "reminder_friendly"\n',
        encoding="utf-8",
    )
    policies = load_policies(policy_dir, templates_dir)
    world = World(relance_home.warehouse)
    world.add_customer("A")
    world.add_invoice("A-1", "A", RUN - timedelta(days=31), RUN - timedelta(days=1), "100.00")
    world.add_payment("P0", "A", None, RUN - timedelta(days=40), "1.00", NOW)
    engine = ops.open_store(relance_home.operational_url)
    build_reminder_batch(world.con, engine, policies, RUN, NOW, as_of=RUN)
    facts = load_day_facts(world.con, engine, RUN, NOW, as_of=RUN)
    result = enqueue_batch(
        engine, relance_home, policies, facts, kinds=REMINDER_KINDS, templates=DunningTemplates(templates_dir)
    )
    world.close()
    assert result["counts"] == {"error": 1}
    assert "reminder_friendly/fr/body.txt was refused by the sandbox" in result["errors"][0]
    (line,) = lines_for(engine, RUN)
    assert line["state"] == "error" and line["reason"].startswith("template_error: template reminder_friendly/fr")
    with engine.connect() as conn:
        assert conn.execute(select(outbox.c.id)).all() == []
        audit = conn.execute(select(audit_log.c.action, audit_log.c.detail)).all()
    assert [a.action for a in audit] == ["template_error"] and "sandbox" in audit[0].detail["error"]
