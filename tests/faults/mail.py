"""A mail backend for tests whose mail is sent by another process (a Celery
worker started by the test): each message becomes a file in $TEST_MAIL_DIR,
which the test counts."""

import os
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class DirectoryBackend(BaseEmailBackend):
    def send_messages(self, messages) -> int:
        directory = Path(os.environ["TEST_MAIL_DIR"])
        for message in messages:
            path = directory / f"{uuid.uuid4().hex}.eml"
            path.write_bytes(message.message().as_bytes())
        return len(messages)
