import logging
from email import message_from_bytes
from pathlib import Path

import pytest
from django.core.mail import EmailMessage

from photoshare.mail import MaildirBackend


def test_each_message_becomes_its_own_eml_file_and_the_log_says_where(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    backend = MaildirBackend(directory=str(tmp_path))
    messages = [
        EmailMessage("Confirm", "Open https://example.com/confirm/abc/", to=["alice@example.com"]),
        EmailMessage("Reset", "Open https://example.com/reset/xyz/", to=["bob@example.com"]),
    ]
    with caplog.at_level(logging.INFO, logger="photoshare.mail"):
        assert backend.send_messages(messages) == 2

    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 2
    parsed = {message_from_bytes(f.read_bytes())["To"]: f for f in files}
    alice_mail = message_from_bytes(parsed["alice@example.com"].read_bytes())
    assert alice_mail["Subject"] == "Confirm"
    assert "https://example.com/confirm/abc/" in alice_mail.get_payload(decode=True).decode()
    assert f"Mail to alice@example.com written to {parsed['alice@example.com']}" in caplog.text


def test_a_failed_write_raises_unless_told_to_fail_silently(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the mail folder should be")
    message = EmailMessage("Hi", "Body", to=["alice@example.com"])
    with pytest.raises(FileExistsError):
        MaildirBackend(directory=str(blocked)).send_messages([message])
