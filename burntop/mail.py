"""Outgoing email: SMTP from the environment, or the server log in development."""
from __future__ import annotations

import logging
import os
import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import urlsplit

from flask import Flask, current_app

from burntop.links import base_url

log = logging.getLogger("burntop.mail")

SMTP_SETTINGS = ("SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME", "SMTP_PASSWORD", "SMTP_FROM", "SMTP_STARTTLS")


class MailUnavailable(Exception):
    """Email cannot be sent: no SMTP server configured in production, or the server failed."""


def init_app(app: Flask) -> None:
    """Copy the SMTP settings from the environment unless the app config already has them."""
    for name in SMTP_SETTINGS:
        app.config.setdefault(name, os.environ.get(name) or None)


def _starttls(value) -> bool:
    if value is None:
        return True
    return str(value).strip().lower() not in {"0", "false", "no", "off"}


def _sender(config) -> str:
    if config.get("SMTP_FROM"):
        return config["SMTP_FROM"]
    host = urlsplit(base_url()).hostname or "localhost"
    return f"burntop <no-reply@{host}>"


def can_send() -> bool:
    """True when a message would go somewhere: an SMTP server, or the log outside production."""
    config = current_app.config
    return bool(config.get("SMTP_HOST")) or config.get("BURNTOP_ENV") != "production"


def send(to: str, subject: str, body: str, *, log_line: str) -> None:
    """Send a plain-text message; without SMTP outside production, log `log_line` instead."""
    config = current_app.config
    if not config.get("SMTP_HOST"):
        if config.get("BURNTOP_ENV") == "production":
            raise MailUnavailable("email is not configured on this server (SMTP_HOST is unset)")
        log.info("%s (development: SMTP_HOST is unset, so this email was not sent)", log_line)
        return
    message = EmailMessage()
    message["From"] = _sender(config)
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    port = int(config.get("SMTP_PORT") or 587)
    try:
        # Port 465 speaks TLS from the first byte; the others upgrade with STARTTLS when asked to.
        if port == 465:
            smtp = smtplib.SMTP_SSL(config["SMTP_HOST"], port, timeout=15, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(config["SMTP_HOST"], port, timeout=15)
        with smtp:
            if port != 465 and _starttls(config.get("SMTP_STARTTLS")):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.error("could not send email to %s through %s:%s: %s", to, config["SMTP_HOST"], port, type(exc).__name__)
        raise MailUnavailable("the mail server did not accept the message") from exc


def send_sign_in_code(to: str, code: str, minutes: int) -> None:
    """Email a sign-in code (in development without SMTP, print it to the log)."""
    body = (f"Your burntop sign-in code is {code}\n\n"
            f"It works once and expires in {minutes} minutes.\n"
            "If you did not ask for it, ignore this email: nobody can sign in without the code.\n")
    send(to, f"{code} is your burntop sign-in code", body, log_line=f"sign-in code for {to}: {code}")
