"""CSRF checks for the extension's own forms, for anonymous visitors too.

CKAN (2.11, 2.12) exempts every request without a logged-in session user from Flask-WTF's CSRF
check (it treats them like API-token calls), so a form that anonymous visitors send would go
unchecked. Views of such forms call ``require_csrf_token()`` before they act.
"""
from __future__ import annotations

from flask import current_app
from flask_wtf.csrf import ValidationError, validate_csrf

import ckan.plugins.toolkit as tk


def require_csrf_token() -> None:
    """Abort with 400 unless the POSTed form carries the session's CSRF token.

    Follows ``WTF_CSRF_ENABLED``: where the operator switched CSRF protection off, so is this.
    """
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    token = tk.request.form.get(current_app.config.get("WTF_CSRF_FIELD_NAME") or "csrf_token")
    try:
        validate_csrf(token)
    except ValidationError:
        tk.abort(400, tk._("The form has expired or was not sent from this portal. "
                           "Please reload the page and send it again."))
