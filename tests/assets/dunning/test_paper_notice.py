"""The formal notice goes by post: rendered letter_html, enqueued, printed by the channels' paper adapter."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

from pypdf import PdfReader

from assets.dunning.batch import REMINDER_KINDS, build_reminder_batch, enqueue_batch, lines_for
from assets.dunning.data import load_day_facts
from assets.dunning.policy import parse_policy
from channels.dispatch import Dispatcher
from channels.recipients import load_from_duckdb
from stores import operational as ops
from tests.assets.dunning.world import World

RUN = date(2026, 11, 16)
NOW = datetime(2026, 11, 16, 9, tzinfo=timezone.utc)


def test_formal_notice_printed_as_a_letter(relance_home, tmp_path):
    policy_file = tmp_path / "notice.toml"
    policy_file.write_text(
        'name = "notice"\n[[steps]]\nname = "d30"\noffset = 30\nchannel = "paper"\n'
        'template = "formal_notice"\ntone = "formal"\n',
        encoding="utf-8",
    )
    policies = [parse_policy(policy_file.read_text(), policy_file)]
    world = World(relance_home.warehouse)
    world.add_customer("A", name="Dupont & Fils")
    world.add_invoice("A-1", "A", RUN - timedelta(days=61), RUN - timedelta(days=31), "2400.00")
    world.add_payment("P1", "A", "A-1", RUN - timedelta(days=20), "400.00", NOW)
    engine = ops.open_store(relance_home.operational_url)
    build_reminder_batch(world.con, engine, policies, RUN, NOW, as_of=RUN)
    facts = load_day_facts(world.con, engine, RUN, NOW, as_of=RUN)
    assert enqueue_batch(engine, relance_home, policies, facts, kinds=REMINDER_KINDS)["counts"]["queued"] == 1
    stats = Dispatcher(engine, relance_home, load_from_duckdb(world.con)).drain()
    world.close()
    assert stats.sent == 1 and stats.by_channel == {"paper": 1}, stats.as_dict()

    printed = list((relance_home.outbox("paper")).rglob("*.pdf"))
    assert printed, "the paper adapter wrote no letter"
    text = "\n".join(page.extract_text() for path in printed for page in PdfReader(io.BytesIO(path.read_bytes())).pages)
    assert "Mise en demeure de payer" in text and "A-1" in text and "2 000,00" in text.replace("\u202f", " ")
    assert "Dupont & Fils" in text
    # the sheet and the letter carry the company's identity, payment details and a portal link, and no
    # internal code (the step "d30", the template name) reaches the paper
    flat = " ".join(text.split())
    assert "Relance Démo SAS" in flat and "SIREN 732829320" in flat and "IBAN FR76" in flat and "/p/" in flat
    assert "d30" not in flat and "formal_notice" not in flat
    # no reminder before: the notice does not refer to one
    assert "resté sans effet" not in flat
    # the next day's run reads the outbox back: the line is sent, and the step is not planned again
    next_day = World(relance_home.warehouse)
    summary = build_reminder_batch(
        next_day.con, engine, policies, RUN + timedelta(days=1), NOW + timedelta(days=1), as_of=RUN + timedelta(days=1)
    )
    next_day.close()
    assert summary.drafts == 0
    assert [(line["step"], line["channel"], line["state"]) for line in lines_for(engine, RUN)] == [
        ("d30", "paper", "sent")
    ]


def test_the_company_logo_is_on_the_letter(relance_home, tmp_path, monkeypatch):
    """A logo configured in the company file (here a 2x2 PNG written by zlib) is embedded in the letter as a
    data: URL, the one resource a letter may carry."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    (tmp_path / "logo.png").write_bytes(png)
    from stores.home import CONFIG_ROOT

    company = (CONFIG_ROOT / "company.toml").read_text(encoding="utf-8").replace('logo = ""', 'logo = "logo.png"')
    (tmp_path / "company.toml").write_text(company, encoding="utf-8")
    monkeypatch.setenv("RELANCE_COMPANY_CONFIG", str(tmp_path / "company.toml"))
    policy_file = tmp_path / "notice.toml"
    policy_file.write_text(
        'name = "notice"\n[[steps]]\nname = "d30"\noffset = 30\nchannel = "paper"\ntemplate = "formal_notice"\n',
        encoding="utf-8",
    )
    policies = [parse_policy(policy_file.read_text(), policy_file)]
    world = World(relance_home.warehouse)
    world.add_customer("A")
    world.add_invoice("A-1", "A", RUN - timedelta(days=61), RUN - timedelta(days=31), "240.00")
    world.add_payment("P0", "A", None, RUN - timedelta(days=90), "1.00", NOW)
    engine = ops.open_store(relance_home.operational_url)
    build_reminder_batch(world.con, engine, policies, RUN, NOW, as_of=RUN)
    facts = load_day_facts(world.con, engine, RUN, NOW, as_of=RUN)
    enqueue_batch(engine, relance_home, policies, facts, kinds=REMINDER_KINDS)
    stats = Dispatcher(engine, relance_home, load_from_duckdb(world.con)).drain()
    world.close()
    assert stats.sent == 1, stats.as_dict()
    printed = list(relance_home.outbox("paper").rglob("*.pdf"))
    images = [
        image for path in printed for page in PdfReader(io.BytesIO(path.read_bytes())).pages for image in page.images
    ]
    assert images, "no logo in the letter"
    # and nothing else may be pulled in: a file the letter names is left out, not read
    from channels.adapters.paper import render_letter_pdf

    fetched = render_letter_pdf(f'<p>x</p><img src="file://{tmp_path / "logo.png"}">')
    assert not [image for page in PdfReader(io.BytesIO(fetched)).pages for image in page.images]
