"""The jobs of pipelines/ drive the real channels: the dispatch job sends through the real SMTP server of
the channels tests (tests/channels/conftest.py), shared here rather than copied."""

from tests.channels.conftest import mail_server, smtp_env  # noqa: F401 - pytest fixtures used by name
