"""Local-mode e-mail: every message is written to its own ``.eml`` file under ``var/mail/``.

Django's own file backend appends a whole connection's messages to one log file; one file per
message is what a person following a verification link wants, and the log line says where it went.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger("photoshare.mail")


class MaildirBackend(BaseEmailBackend):
    def __init__(self, *, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.directory = Path(kwargs.get("directory") or settings.PHOTOSHARE_MAIL_DIR)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            try:
                path = self._write(message)
            except OSError:
                if not self.fail_silently:
                    raise
                continue
            sent += 1
            # Plain text on purpose: this line is how a person running `make run` finds the link.
            logger.info("Mail to %s written to %s", ", ".join(message.recipients()), path)
        return sent

    def _write(self, message: EmailMessage) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        recipient = re.sub(r"[^A-Za-z0-9.@_-]", "_", (message.recipients() or ["nobody"])[0])
        path = self.directory / f"{stamp}-{recipient}.eml"
        path.write_bytes(message.message().as_bytes(linesep="\n"))
        return path
