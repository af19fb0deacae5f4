"""Pages for every visitor: the accessibility statement and the form to report a barrier.

The same paths serve both languages (German at ``/accessibility``, English at
``/en/accessibility``), so the language switch stays on the page.
"""
from __future__ import annotations

from flask import Blueprint

import ckan.plugins.toolkit as tk

from ckanext.jena import accessibility
from ckanext.jena.views.csrf import require_csrf_token

pages = Blueprint("jena_pages", __name__)


def statement():
    return tk.render("jena/accessibility/statement.html", {"facts": accessibility.statement_facts()})


def feedback():
    """Show the form; on POST check the report, mail it and thank the visitor.

    The CSRF token is checked here because CKAN skips the check for anonymous visitors, who
    are the ones using this form. A filled honeypot gets the same thanks
    as a real report, so robots learn nothing, but nothing is sent.
    """
    facts = accessibility.statement_facts()
    if tk.request.method != "POST":
        report = accessibility.FeedbackReport(page=tk.request.args.get("page", "")[:accessibility.MAX_SHORT_FIELD])
        return _form(report, facts)

    require_csrf_token()
    report = accessibility.FeedbackReport.from_form(tk.request.form)
    if report.errors:
        return _form(report, facts, status=400)
    if not report.is_spam:
        try:
            accessibility.send_feedback(report, tk.h.lang())
        except accessibility.FeedbackNotSent:
            problem = tk._("Your report could not be sent. Please try again later or write to us by e-mail.")
            return _form(report, facts, status=503, problem=problem)
    return tk.redirect_to("jena_pages.accessibility_feedback_sent")


def feedback_sent():
    """Thanks after a report (its own address, so reloading never sends a report twice)."""
    return tk.render("jena/accessibility/feedback_sent.html", {"facts": accessibility.statement_facts()})


def _form(report, facts, status=200, problem=""):
    extra_vars = {"report": report, "errors": report.errors, "facts": facts, "problem": problem,
                  "honeypot": accessibility.HONEYPOT_FIELD,
                  "max_description": accessibility.MAX_DESCRIPTION}
    return tk.render("jena/accessibility/feedback.html", extra_vars), status


pages.add_url_rule("/accessibility", view_func=statement, endpoint="accessibility")
pages.add_url_rule("/accessibility/feedback", view_func=feedback, endpoint="accessibility_feedback",
                   methods=["GET", "POST"])
pages.add_url_rule("/accessibility/feedback/sent", view_func=feedback_sent,
                   endpoint="accessibility_feedback_sent")
