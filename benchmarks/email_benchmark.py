"""E-mail throughput: invoices per second from the outbox to a local SMTP server, 30 KB PDF each.

The measured path is the production one: claim due rows from the operational store, read the PDF from the
document store, build the MIME message, send it over one reused SMTP connection, record `sent` with its
Message-ID (one transaction per message). The server is `relance mail serve` in its own process, which
writes every message to disk (fsync) before answering 250, like the demo.

Side by side, the reference: the same number of prebuilt messages pushed with bare smtplib over one
connection (no store, no MIME building): the ceiling the transport allows on this machine.

    .venv/bin/python benchmarks/email_benchmark.py [--invoices 1000] [--pdf-kb 30] [--workers 1]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"mail server did not listen on {port}")


def pdf_of_size(kb: int) -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment("lines.bin", os.urandom(kb * 1024 - 600))  # incompressible, like a real invoice PDF
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def seed(home_root: Path, invoices: int, pdf: bytes) -> None:
    from channels import outbox as ob
    from stores.documents import DocumentStore
    from stores.home import Home
    from stores.operational import open_store

    home = Home(home_root).ensure()
    engine = open_store(home.operational_url)
    digest = DocumentStore(home.documents).put(pdf)
    with engine.begin() as conn:
        for i in range(invoices):
            ob.enqueue(
                conn,
                idempotency_key=f"invoice:B-{i:06d}:email",
                kind="invoice",
                customer_id=f"C{i % 200}",
                channel="email",
                invoice_number=f"B-{i:06d}",
                payload={"documents": {"pdf": digest}},
            )
    engine.dispose()


def drain_worker(home_root: str, chunk: int, chunks: int, queue) -> None:
    from channels.dispatch import AdapterFactory, Dispatcher, DispatchSettings
    from channels.recipients import Recipient, RecipientDirectory
    from stores.home import Home
    from stores.operational import open_store

    home = Home(Path(home_root))
    directory = RecipientDirectory(
        Recipient(customer_id=f"C{i}", name=f"Client {i}", email=f"ap{i}@client.example") for i in range(200)
    )
    dispatcher = Dispatcher(
        open_store(home.operational_url),
        home,
        directory,
        adapters=AdapterFactory(home, link_builder=lambda c: f"https://portal.example/c/{c}"),
        settings=DispatchSettings(batch_size=100),
    )
    cpu = time.process_time()
    stats = dispatcher.drain(chunk_index=chunk, chunk_count=chunks)
    queue.put((stats.sent, time.process_time() - cpu))


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of another process, from /proc (the server's CPU share of the run)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reference_run(port: int, invoices: int, pdf: bytes) -> float:
    from email.message import EmailMessage

    messages = []
    for i in range(invoices):
        m = EmailMessage()
        m["From"], m["To"], m["Subject"] = "ref@acme.example", "ap@client.example", f"Ref {i}"
        m["Message-ID"] = f"<ref-{i}@acme.example>"
        m.set_content("reference")
        m.add_attachment(pdf, maintype="application", subtype="pdf", filename="r.pdf")
        messages.append(m.as_bytes(policy=m.policy.clone(linesep="\r\n")))
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for data in messages:
            smtp.sendmail("ref@acme.example", ["ap@client.example"], data)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--pdf-kb", type=int, default=30)
    parser.add_argument("--workers", type=int, default=1, help="drain processes, each with its own connection")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="relance-email-bench-"))
    port = free_port()
    env = {**os.environ, "RELANCE_HOME": str(work / "home"), "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "mail", "serve", "--port", str(port), "--folder", str(work / "mail")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        pdf = pdf_of_size(args.pdf_kb)
        seed(work / "home", args.invoices, pdf)
        os.environ.update(
            {
                "RELANCE_HOME": str(work / "home"),
                "RELANCE_SMTP_HOST": "127.0.0.1",
                "RELANCE_SMTP_PORT": str(port),
                "RELANCE_SMTP_SECURITY": "none",
                "RELANCE_SMTP_FROM": "Factures ACME <factures@acme.example>",
                "RELANCE_SMTP_ARCHIVE": str(work / "mail"),
            }
        )
        os.environ.pop("RELANCE_OPERATIONAL_URL", None)
        queue = multiprocessing.get_context("fork").Queue()
        server_cpu = process_cpu_seconds(server.pid)
        start = time.perf_counter()
        procs = [
            multiprocessing.get_context("fork").Process(
                target=drain_worker, args=(str(work / "home"), i, args.workers, queue)
            )
            for i in range(args.workers)
        ]
        for p in procs:
            p.start()
        results = [queue.get() for _ in procs]
        for p in procs:
            p.join()
        elapsed = time.perf_counter() - start
        server_cpu = process_cpu_seconds(server.pid) - server_cpu
        sent = sum(r[0] for r in results)
        client_cpu = sum(r[1] for r in results)

        from channels.mailstore import MailStore

        received = MailStore(work / "mail").list()
        assert sent == args.invoices, f"sent {sent} of {args.invoices}"
        assert len({r.message_id for r in received}) == args.invoices, "server count differs"
        size = received[0].size
        reference = reference_run(port, args.invoices, pdf)
        load = os.getloadavg()
        print(
            f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} (shared with other work); "
            f"invoices: {args.invoices}; PDF {len(pdf) / 1024:.1f} KiB; "
            f"message {size / 1024:.1f} KiB; drain workers: {args.workers}"
        )
        print(f"{'run':<44} {'seconds':>8} {'invoices/s':>11}")
        print(
            f"{'relance outbox -> SMTP (claim, build, send, record)':<44} {elapsed:>8.2f} "
            f"{args.invoices / elapsed:>11.1f}"
        )
        print(
            f"{'reference: bare smtplib, prebuilt messages':<44} {reference:>8.2f} {args.invoices / reference:>11.1f}"
        )
        per_client = 1000 * client_cpu / args.invoices
        per_server = 1000 * server_cpu / args.invoices
        print(
            f"CPU per invoice: relance {per_client:.2f} ms, SMTP server {per_server:.2f} ms -> on an otherwise idle "
            f"2-core machine the pair is bound at about {1000 / max(per_client, per_server):.0f} invoices/s"
        )
        return 0
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
