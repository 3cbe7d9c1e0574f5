"""SMTP against a real server on loopback, and the file mailbox."""

from __future__ import annotations

from email import message_from_bytes
from pathlib import Path

from emails.render import RenderedEmail
from emails.transport import DeliveryError, FileMailbox, SmtpTransport, build_message
from tests.conftest import SmtpSink
from tests.support import free_port

EMAIL = RenderedEmail(subject="Hello", text="plain body", html="<p>html body</p>")


def test_smtp_delivers_both_parts(smtp: SmtpSink) -> None:
    message = build_message(
        sender="c@clinic.example", to="a@example.com", email=EMAIL, message_id="<m1@x>"
    )

    SmtpTransport(smtp.url).send(message)

    [received] = smtp.received()
    assert received["Message-ID"] == "<m1@x>"
    parts = {p.get_content_type(): p.get_payload(decode=True) for p in received.walk()}
    assert parts["text/plain"].strip() == b"plain body"  # type: ignore[union-attr]
    assert parts["text/html"].strip() == b"<p>html body</p>"  # type: ignore[union-attr]


def test_smtp_errors_are_classified(smtp: SmtpSink) -> None:
    message = build_message(sender="c@x", to="a@example.com", email=EMAIL, message_id="<m2@x>")
    outcomes = []
    for reply in ("550 5.1.1 unknown user", "452 4.2.2 mailbox full"):
        smtp.rcpt_reply = reply
        try:
            SmtpTransport(smtp.url).send(message)
        except DeliveryError as exc:
            outcomes.append(exc.permanent)
    try:
        SmtpTransport(f"smtp://127.0.0.1:{free_port()}").send(message)
    except DeliveryError as exc:
        outcomes.append(exc.permanent)

    assert outcomes == [True, False, False]


def test_the_mailbox_writes_one_eml_per_message_id(tmp_path: Path) -> None:
    mailbox = FileMailbox(tmp_path / "mail")
    message = build_message(sender="c@x", to="a@example.com", email=EMAIL, message_id="<m3@x>")

    mailbox.send(message)
    mailbox.send(message)  # a re-send replaces, never doubles

    [path] = list((tmp_path / "mail").iterdir())
    assert path.suffix == ".eml"
    assert message_from_bytes(path.read_bytes())["Message-ID"] == "<m3@x>"
