"""Delivery: SMTP in production and tests, a file mailbox by default, memory for unit tests."""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.utils import formatdate
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from emails.render import Attachment, RenderedEmail

SMTP_TIMEOUT_SECONDS = 15


class DeliveryError(Exception):
    """Delivery failed. `permanent` errors (5xx) are not worth retrying."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


def build_message(
    *,
    sender: str,
    to: str,
    email: RenderedEmail,
    message_id: str,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A multipart/alternative message, inside multipart/mixed when there are attachments.
    The Message-ID is the caller's stable id."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = email.subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(email.text)
    msg.add_alternative(email.html, subtype="html")
    for attachment in email.attachments:
        _attach(msg, attachment)
    return msg


def _attach(msg: EmailMessage, attachment: Attachment) -> None:
    # Parse the type with the email package's own header rules, so parameters such as a
    # calendar's `method` reach the part: mail clients offer "add to calendar" from it.
    header = Message()
    header["Content-Type"] = attachment.content_type
    params = dict((header.get_params() or [])[1:])  # [0] is the type itself
    msg.add_attachment(
        attachment.data,
        maintype=header.get_content_maintype(),
        subtype=header.get_content_subtype(),
        filename=attachment.filename,
        params=params,
    )


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class SmtpTransport:
    """smtp://user:pass@host:port (STARTTLS when offered) or smtps:// (implicit TLS)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://host:port or smtps://host:port")
        self._implicit_tls = parts.scheme == "smtps"
        self._host = parts.hostname
        self._port = parts.port or (465 if self._implicit_tls else 25)
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None

    def send(self, message: EmailMessage) -> None:
        try:
            with self._connect() as smtp:
                if self._username and self._password:
                    smtp.login(self._username, self._password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(
                f"recipient refused ({codes})", permanent=all(c >= 500 for c in codes)
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP {exc.smtp_code}", permanent=exc.smtp_code >= 500) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP unavailable: {type(exc).__name__}", permanent=False) from exc

    def _connect(self) -> smtplib.SMTP:
        if self._implicit_tls:
            return smtplib.SMTP_SSL(
                self._host,
                self._port,
                timeout=SMTP_TIMEOUT_SECONDS,
                context=ssl.create_default_context(),
            )
        smtp = smtplib.SMTP(self._host, self._port, timeout=SMTP_TIMEOUT_SECONDS)
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        return smtp


class FileMailbox:
    """One RFC 5322 .eml file per message, written atomically, for a machine with no SMTP."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        # Named after the Message-ID, so a re-sent message overwrites rather than doubles.
        message_id = str(message["Message-ID"]).strip("<>")
        stem = "".join(c if c.isalnum() or c in "-." else "_" for c in message_id)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".eml")
        with os.fdopen(fd, "wb") as fh:
            fh.write(message.as_bytes())
        os.replace(tmp, self.directory / f"{stem}.eml")


@dataclass
class InMemoryTransport:
    sent: list[EmailMessage] = field(default_factory=list)

    def send(self, message: EmailMessage) -> None:
        self.sent.append(message)


def transport_from_settings(smtp_url: str, mailbox_dir: Path) -> Transport:
    """SMTP when a URL is configured, else the file mailbox."""
    if smtp_url:
        return SmtpTransport(smtp_url)
    return FileMailbox(mailbox_dir)
