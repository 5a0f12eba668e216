"""Platform, EDI and paper channels: files written atomically, read back, numbered and costed."""

from __future__ import annotations

import csv
import json
import threading
import time
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from channels.adapters.edi import EdiAdapter, EdiConfig
from channels.adapters.paper import load_tariff
from channels.adapters.platform import platform_dirs
from channels.dispatch import AdapterFactory, Dispatcher, DispatchSettings
from channels.inbound import read_platform_statuses
from demo.folder_platform import PlatformSimulator
from stores import operational as ops
from tests.channels.helpers import directory, pdf_bytes, queue_invoices

EDIFACT = (
    "UNA:+.? '\nUNB+UNOC:3+3012345000000:14+3012345000004:14+261127:1010+PLACEHOLDER'\n"
    "UNH+1+INVOIC:D:96A:UN:EAN008'\nBGM+380+F-1+9'\nDTM+137:20261127:102'\n"
    "NAD+BY+3012345000004::9'\nNAD+SU+3012345000000::9'\nMOA+77:120.00'\nUNT+8+1'\nUNZ+1+PLACEHOLDER'\n"
)


def _dispatch(engine, home, recipients, **settings):
    return Dispatcher(
        engine,
        home,
        recipients,
        adapters=AdapterFactory(home, link_builder=None),
        settings=DispatchSettings(**settings),
    ).drain()


def _events(engine, event_type):
    with engine.connect() as conn:
        return [
            dict(r._mapping)
            for r in conn.execute(
                select(ops.events).where(ops.events.c.event_type == event_type).order_by(ops.events.c.id)
            )
        ]


def test_platform_manifest_and_lifecycle_statuses_round_trip(relance_home):
    engine = ops.open_store(relance_home.operational_url)
    queue_invoices(
        engine,
        relance_home,
        ["F-1", "F-2"],
        channel="platform",
        formats={
            "ubl": b"<?xml version='1.0'?><Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'/>"
        },
    )
    stats = _dispatch(engine, relance_home, directory(preferred_channel="platform", siren="732829320"))
    assert stats.sent == 2
    outbox_dir, status_dir = platform_dirs(relance_home)
    simulator = PlatformSimulator(outbox_dir, status_dir)
    manifests = simulator.pending_manifests()
    assert [m["invoice_number"] for m in manifests] == ["F-1", "F-2"]
    for manifest in manifests:
        assert {f["format"] for f in manifest["files"]} == {"pdf", "ubl"}
        for entry in manifest["files"]:
            assert (outbox_dir / entry["name"]).stat().st_size == entry["size"]
        assert manifest["recipient"]["platform_id"] == "PLAT-C1"
    assert not list(outbox_dir.glob(".tmp-*"))

    simulator.report(manifests[0], ["200", "202", "204"])
    simulator.report(manifests[1], ["213"], reason="BR-FR-12: SIREN acheteur absent")
    (status_dir / "garbage.json").write_text("{not json")
    (status_dir / "bad-code.json").write_text(
        json.dumps({"submission": manifests[0]["submission"], "status_code": "299"})
    )
    first = read_platform_statuses(engine, status_dir)
    assert first.events == 4 and sorted(first.rejected_files) == ["bad-code.json", "garbage.json"]
    assert "unknown lifecycle status code '299'" in (status_dir / "rejected" / "bad-code.json.reason.txt").read_text()
    lifecycle = _events(engine, "lifecycle")
    assert [(e["invoice_number"], e["status_code"]) for e in lifecycle] == [
        ("F-1", "200"),
        ("F-1", "202"),
        ("F-1", "204"),
        ("F-2", "213"),
    ]
    assert lifecycle[3]["evidence"]["status_label"] == "Rejetée"
    assert lifecycle[3]["evidence"]["reason"].startswith("BR-FR-12")
    assert [e["invoice_number"] for e in _events(engine, "rejected")] == ["F-2"]

    # a crash before the files were moved: reading them again records nothing twice
    for path in (status_dir / "processed").glob("*.json"):
        path.rename(status_dir / path.name)
    again = read_platform_statuses(engine, status_dir)
    assert again.events == 0 and again.duplicates == 4
    assert len(_events(engine, "lifecycle")) == 4


def test_platform_refuses_invoices_without_an_e_invoice_or_an_address(relance_home):
    engine = ops.open_store(relance_home.operational_url)
    queue_invoices(engine, relance_home, ["F-1"], channel="platform")
    stats = _dispatch(engine, relance_home, directory(preferred_channel="platform", platform_id=None, siren=None))
    assert stats.failed == 1
    [failed] = _events(engine, "failed")
    assert "no platform id or SIREN" in failed["evidence"]["reason"]


def test_edi_interchanges_get_unique_control_numbers_in_their_envelope(relance_home):
    engine = ops.open_store(relance_home.operational_url)
    queue_invoices(
        engine,
        relance_home,
        [f"F-{i}" for i in range(3)],
        channel="edi",
        formats={"edifact": EDIFACT.encode("iso-8859-1")},
    )
    stats = _dispatch(engine, relance_home, directory(preferred_channel="edi"))
    assert stats.sent == 3
    files = sorted(relance_home.outbox("edi").glob("*.edi"))
    controls = []
    for path in files:
        text = path.read_text(encoding="iso-8859-1")
        unb = next(line for line in text.splitlines() if line.startswith("UNB+"))
        unz = next(line for line in text.splitlines() if line.startswith("UNZ+"))
        control = unb.rstrip("'").split("+")[5]
        assert unz.rstrip("'").split("+")[2] == control  # UNZ repeats the UNB reference
        assert "3012345000004:14" in unb
        controls.append(int(control))
    assert controls == [1, 2, 3]
    sent = _events(engine, "sent")
    assert sorted(e["evidence"]["interchange_control_reference"] for e in sent) == [1, 2, 3]


def test_edi_control_numbers_never_repeat_under_concurrency(opstore_url, tmp_path):
    from channels.adapters.base import Delivery, DeliveryItem
    from channels.recipients import Recipient

    engine = ops.open_store(opstore_url)
    source = tmp_path / "invoic.edi"
    source.write_bytes(EDIFACT.encode("iso-8859-1"))
    out = tmp_path / "edi"
    recipient = Recipient(customer_id="C1", edi_gln="3012345000004")
    references: list[int] = []
    lock = threading.Lock()
    errors = []

    def worker(offset):
        adapter = EdiAdapter(out, EdiConfig(sender_gln="3012345000000"), engine)
        try:
            for i in range(15):
                item = DeliveryItem(
                    outbox_id=offset * 100 + i,
                    idempotency_key=f"k{offset}-{i}",
                    kind="invoice",
                    invoice_number=f"F-{offset}-{i}",
                    payload={},
                    documents={"edifact": source},
                )
                receipt = adapter.send(Delivery(channel="edi", recipient=recipient, items=(item,), claim_token="t"))
                with lock:
                    references.append(int(receipt.reference))
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    assert errors == []
    assert sorted(references) == list(range(1, 61))
    assert len(list(out.glob("*.edi"))) == 60


def test_edi_refuses_a_customer_without_a_gln(relance_home):
    engine = ops.open_store(relance_home.operational_url)
    queue_invoices(engine, relance_home, ["F-1"], channel="edi", formats={"edifact": EDIFACT.encode("iso-8859-1")})
    stats = _dispatch(engine, relance_home, directory(preferred_channel="edi", edi_gln="12AB"))
    assert stats.failed == 1
    assert "no valid 13-digit GLN" in _events(engine, "failed")[0]["evidence"]["reason"]


def test_tariff_prices_by_weight_and_service():
    tariff = load_tariff()
    assert tariff.weight(2) == Decimal("16.0")  # two sheets and the envelope
    assert tariff.postage("lettre_verte", tariff.weight(2)) == Decimal("1.39")
    assert tariff.postage("lettre_verte", tariff.weight(3)) == Decimal("2.78")  # 21 g: next bracket
    assert tariff.postage("recommandee_ar", tariff.weight(1)) == Decimal("6.14")
    assert tariff.print_cost(3) == Decimal("0.33")


def test_tariff_with_float_prices_is_refused(tmp_path):
    bad = tmp_path / "postage.toml"
    bad.write_text('default_service = "x"\n[services.x]\nbrackets = [{ max_grams = 20, price = 1.39 }]\n')
    with pytest.raises(ValueError, match="quoted decimal string"):
        load_tariff(bad)


@pytest.mark.slow
def test_paper_batch_has_one_address_sheet_per_letter_and_postage_totals(relance_home):
    engine = ops.open_store(relance_home.operational_url)
    queue_invoices(engine, relance_home, ["F-1", "F-2"], channel="paper", pdf=pdf_bytes(pages=2))
    queue_invoices(
        engine,
        relance_home,
        ["F-3"],
        channel="paper",
        pdf=pdf_bytes(pages=4),
        payload_extra={"postal_service": "recommandee_ar"},
    )
    stats = _dispatch(engine, relance_home, directory(preferred_channel="paper", name="Dupont & Fils"))
    assert stats.sent == 3
    [batch] = list((relance_home.outbox("paper") / "batches").iterdir())
    reader = PdfReader(batch / "batch.pdf")
    with open(batch / "manifest.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    assert [r["invoice_number"] for r in rows] == ["F-1", "F-2", "F-3"]
    assert len(reader.pages) == 3 + 2 + 2 + 4
    for row in rows:
        sheet = reader.pages[int(row["first_page"]) - 1].extract_text()
        assert "Dupont & Fils" in sheet and "75002 Paris" in sheet  # escaped in HTML, plain in the PDF
    address_sheets = [i for i, p in enumerate(reader.pages) if "75002 Paris" in (p.extract_text() or "")]
    assert len(address_sheets) == 3
    assert [r["pages"] for r in rows] == ["3", "3", "5"]
    # 3 sheets + envelope = 21 g: just over the 20 g bracket; 5 sheets = 31 g registered
    assert [r["weight_grams"] for r in rows] == ["21.0", "21.0", "31.0"]
    assert [r["postage"] for r in rows] == ["2.78", "2.78", "7.35"]
    summary = json.loads((batch / "summary.json").read_text())
    assert Decimal(summary["postage"]) == sum(Decimal(r["postage"]) for r in rows)
    costs = {e["invoice_number"]: Decimal(e["evidence"]["postage"]) for e in _events(engine, "sent")}
    assert costs == {"F-1": Decimal("2.78"), "F-2": Decimal("2.78"), "F-3": Decimal("7.35")}


def test_relance_platform_simulate_answers_each_submission_once(relance_home):
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT

    engine = ops.open_store(relance_home.operational_url)
    queue_invoices(engine, relance_home, ["F-1", "F-2", "F-3"], channel="platform")
    _dispatch(engine, relance_home, directory(preferred_channel="platform"))

    def simulate():
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pipelines.cli",
                "platform",
                "simulate",
                "--codes",
                "200,201",
                "--reject-every",
                "3",
            ],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env={**__import__("os").environ, "PYTHONPATH": str(REPO_ROOT)},
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    assert simulate()["status_files_written"] == 3
    assert simulate()["status_files_written"] == 0
    stats = read_platform_statuses(engine, platform_dirs(relance_home)[1])
    assert stats.events == 5  # two submissions with 200 and 201, the third rejected with 213
    assert sorted(e["status_code"] for e in _events(engine, "lifecycle")) == ["200", "200", "201", "201", "213"]


@pytest.mark.slow
def test_parallel_chunks_seal_each_letter_into_exactly_one_batch(relance_home):
    from concurrent.futures import ThreadPoolExecutor

    engine = ops.open_store(relance_home.operational_url)
    queue_invoices(engine, relance_home, [f"F-{i}" for i in range(6)], channel="paper")
    recipients = directory(preferred_channel="paper")

    def chunk(index):
        return (
            Dispatcher(
                engine,
                relance_home,
                recipients,
                adapters=AdapterFactory(relance_home, link_builder=None),
                settings=DispatchSettings(),
            )
            .drain(chunk_index=index, chunk_count=3)
            .sent
        )

    with ThreadPoolExecutor(3) as pool:
        assert sum(pool.map(chunk, range(3))) == 6
    printed = []
    for batch in (relance_home.outbox("paper") / "batches").iterdir():
        with open(batch / "manifest.csv", encoding="utf-8") as fh:
            printed += [r["invoice_number"] for r in csv.DictReader(fh, delimiter=";")]
    assert sorted(printed) == [f"F-{i}" for i in range(6)]
    assert not list((relance_home.outbox("paper") / "open").glob("*.pdf"))


@pytest.mark.parametrize("channel", ["platform", "edi", "paper"])
def test_a_crash_after_the_file_was_written_is_settled_without_writing_it_again(relance_home, channel):
    """Worker died after handing one document over and before recording it, with another still unsent:
    recovery finds the first by its deterministic name and queues only the second."""
    from channels import outbox as ob

    engine = ops.open_store(relance_home.operational_url)
    queue_invoices(
        engine, relance_home, ["F-1", "F-2"], channel=channel, formats={"edifact": EDIFACT.encode("iso-8859-1")}
    )
    recipients = directory(preferred_channel=channel)
    crashed = Dispatcher(
        engine,
        relance_home,
        recipients,
        adapters=AdapterFactory(relance_home, link_builder=None),
        settings=DispatchSettings(lease_seconds=1.5),
    )
    token, rows = ob.claim_due(engine, limit=2)
    [first] = [d for _, d in crashed.group(rows[:1], token)]
    crashed.adapters.get(channel).send(first)  # handed over, then the worker "dies": no record, no seal
    time.sleep(1.6)  # the dead worker's lease runs out

    restart = Dispatcher(
        engine,
        relance_home,
        recipients,
        adapters=AdapterFactory(relance_home, link_builder=None),
        settings=DispatchSettings(lease_seconds=1.5),
    )
    stats = restart.drain()
    assert stats.recovered["recovered_sent"] == 1 and stats.recovered["requeued"] == 1
    assert stats.sent == 1
    with engine.connect() as conn:
        states = dict(conn.execute(select(ops.outbox.c.invoice_number, ops.outbox.c.state)).all())
    assert states == {"F-1": "sent", "F-2": "sent"}
    [recovered] = [e for e in _events(engine, "sent") if e["evidence"].get("recovered_after_crash")]
    assert recovered["invoice_number"] == "F-1"
    if channel == "platform":
        assert len(list(platform_dirs(relance_home)[0].glob("*.json"))) == 2
    elif channel == "edi":
        assert len(list(relance_home.outbox("edi").glob("*.edi"))) == 2
    else:
        batches = list((relance_home.outbox("paper") / "batches").iterdir())
        letters = [p for b in batches for p in (b / "letters").glob("*.pdf")]
        assert len(letters) == 2


def test_a_real_invoic_is_re_enveloped_and_still_passes_its_structural_check(relance_home, tmp_path):
    """The documents part writes the INVOIC; the EDI channel gives it the next interchange number."""
    from channels.documents.company import load_company
    from channels.documents.edifact import check_invoic, parse_interchange, write_invoic
    from channels.documents.loading import build_invoice
    from tests.channels.documents.conftest import customer_row, invoice_row, line_rows

    invoice = build_invoice(
        load_company(home_root=tmp_path), invoice_row(), customer_row(edi_gln="3041234567898"), line_rows()
    )
    engine = ops.open_store(relance_home.operational_url)
    with engine.begin() as conn:  # numbers already used for other partners
        for _ in range(41):
            ops.next_sequence(conn, "edi-interchange")
    queue_invoices(
        engine,
        relance_home,
        ["FA-2026-0042"],
        channel="edi",
        formats={"edifact": write_invoic(invoice, interchange_reference="DRAFT")},
    )
    stats = _dispatch(engine, relance_home, directory(preferred_channel="edi", edi_gln="3041234567898"))
    assert stats.sent == 1
    [written] = relance_home.outbox("edi").glob("*.edi")
    data = written.read_bytes()
    assert check_invoic(data).valid
    interchange = parse_interchange(data)
    assert interchange.get_header_segment().elements[4] == "42"
    assert interchange.get_footer_segment().elements[1] == "42"
