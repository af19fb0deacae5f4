"""Template helpers of the Jena portal (available as ``h.jena_*``)."""
from __future__ import annotations

import ckan.plugins.toolkit as tk

__all__ = ["jena_footer_links"]


def jena_footer_links() -> list[dict[str, str]]:
    """The legally required links of the city's websites (imprint, privacy), as configured.

    Links without a configured URL are left out rather than pointing nowhere.
    """
    candidates = [
        ("ckanext.jena.imprint_url", tk._("Imprint")),
        ("ckanext.jena.privacy_url", tk._("Privacy")),
    ]
    return [
        {"url": tk.config.get(option), "label": label}
        for option, label in candidates
        if tk.config.get(option)
    ]
