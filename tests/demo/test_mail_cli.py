"""`relance mail serve` keeps what it receives; `relance mail list` and `show` browse it."""

from __future__ import annotations

import json
import os
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage

from tests.conftest import REPO_ROOT, free_port


def _relance(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_list_and_show(tmp_path):
    env = {**os.environ, "RELANCE_HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO_ROOT)}
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "mail", "serve", "--port", str(port), "--user", "demo:pw"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert "SMTP server on 127.0.0.1" in server.stdout.readline()
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@acme.example", "b@client.example", "Facture F-9"
        message["Message-ID"] = "<f9@acme.example>"
        message.set_content("Bonjour")
        message.add_attachment(b"%PDF-1.7 x", maintype="application", subtype="pdf", filename="F-9.pdf")
        deadline = time.time() + 20
        while True:
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
                    smtp.login("demo", "pw")
                    smtp.send_message(message)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=10)
    listed = _relance("mail", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    [record] = json.loads(listed.stdout)
    assert record["message_id"] == "<f9@acme.example>" and record["rcpt_tos"] == ["b@client.example"]
    shown = _relance("mail", "show", record["id"], env=env)
    assert "Subject: Facture F-9" in shown.stdout and "Bonjour" in shown.stdout
    assert "[attachment] F-9.pdf (application/pdf" in shown.stdout
    missing = _relance("mail", "show", "nope", env=env)
    assert missing.returncode == 1 and "no message 'nope'" in missing.stderr
    bad = _relance("mail", "serve", "--tls-cert", "x.pem", env=env)
    assert bad.returncode == 2 and "both --tls-cert and --tls-key" in bad.stderr
