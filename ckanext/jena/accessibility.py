"""The accessibility statement's facts and the barrier feedback that ThürBITVO §3 asks for.

The views (``views/pages.py``) stay thin: checking a submitted report and mailing it to the
city lives here, so the rules are the same wherever a report comes from.
"""
from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.lib.mailer import MailerException  # not in the toolkit

log = logging.getLogger(__name__)

CONFORMITY_LEVELS = ("full", "partial", "none")
MAX_DESCRIPTION = 5000
MAX_SHORT_FIELD = 500
# Deliberately loose: the address is only used to answer, a typo must not lose the report.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A field that people never see; form-filling robots do, and reveal themselves by filling it.
HONEYPOT_FIELD = "homepage"


def statement_facts() -> dict[str, Any]:
    """What the statement page says that differs from city to city."""
    prepared = str(tk.config.get("ckanext.jena.accessibility.statement_date") or "")
    try:
        prepared = datetime.datetime.fromisoformat(prepared)
    except ValueError:
        log.warning("ckanext.jena.accessibility.statement_date is not a date (YYYY-MM-DD): %r", prepared)
    return {
        "conformity": tk.config.get("ckanext.jena.accessibility.conformity"),
        "prepared": prepared,
        "contact_email": tk.config.get("ckanext.jena.accessibility.contact_email") or "",
        "enforcement_name": tk.config.get("ckanext.jena.accessibility.enforcement_name") or "",
        "enforcement_url": tk.config.get("ckanext.jena.accessibility.enforcement_url") or "",
        "enforcement_email": tk.config.get("ckanext.jena.accessibility.enforcement_email") or "",
        "feedback_available": bool(feedback_recipient()),
    }


def feedback_recipient() -> str:
    """Where reports go: the feedback address, else the statement's contact address."""
    return (tk.config.get("ckanext.jena.accessibility.feedback_email")
            or tk.config.get("ckanext.jena.accessibility.contact_email") or "")


@dataclass
class FeedbackReport:
    """One submitted barrier report, trimmed, with the errors found per field."""
    description: str = ""
    page: str = ""
    name: str = ""
    email: str = ""
    is_spam: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form: Any) -> "FeedbackReport":
        def text(key: str) -> str:
            return (form.get(key) or "").strip()

        report = cls(description=text("description"), page=text("page"), name=text("name"),
                     email=text("email"), is_spam=bool(text(HONEYPOT_FIELD)))
        report.errors = report._check()
        return report

    def _check(self) -> dict[str, str]:
        errors = {}
        if not self.description:
            errors["description"] = tk._("Please describe the barrier you met.")
        elif len(self.description) > MAX_DESCRIPTION:
            errors["description"] = tk._("Please shorten the description to at most {limit} characters.").format(
                limit=MAX_DESCRIPTION)
        if self.email and not EMAIL_PATTERN.match(self.email):
            errors["email"] = tk._("Please enter a valid e-mail address, such as name@example.org, or leave the field empty.")
        for key in ("page", "name", "email"):
            if len(getattr(self, key)) > MAX_SHORT_FIELD and key not in errors:
                errors[key] = tk._("Please shorten this entry to at most {limit} characters.").format(
                    limit=MAX_SHORT_FIELD)
        return errors

    def mail_body(self, language: str) -> str:
        """The report as plain text for the city's staff; labels in both languages."""
        lines = [
            "Barriere gemeldet / Barrier reported",
            "",
            f"Seite / Page: {self.page or '-'}",
            f"Name: {self.name or '-'}",
            f"E-Mail / E-mail: {self.email or '-'}",
            f"Sprache der Seite / Page language: {language}",
            "",
            "Beschreibung / Description:",
            self.description,
        ]
        return "\n".join(lines)


class FeedbackNotSent(Exception):
    """The report could not be handed to the mail server (or no address is configured)."""


def send_feedback(report: FeedbackReport, language: str) -> None:
    """Mail a valid report to the configured address; replies go to the reporter if known."""
    recipient = feedback_recipient()
    if not recipient:
        raise FeedbackNotSent("no ckanext.jena.accessibility.feedback_email configured")
    headers = {"Reply-To": report.email} if report.email else None
    subject = f"[{tk.config.get('ckan.site_title')}] Barriere gemeldet / Barrier reported"
    try:
        tk.mail_recipient(recipient, recipient, subject, report.mail_body(language), headers=headers)
    except (MailerException, OSError) as error:
        log.error("Barrier report could not be mailed to %s: %s", recipient, error)
        raise FeedbackNotSent(str(error)) from error
