"""Where the compiled gettext catalogs of this extension live.

The catalogs are maintained in the repository's top-level ``i18n/`` folder. A built
wheel carries them compiled inside the package (``ckanext/jena/i18n``); an editable
checkout uses the top-level folder, where ``make`` compiles them.
"""
from __future__ import annotations

from pathlib import Path

DOMAIN = "ckanext-jena"
PACKAGE_DIR = Path(__file__).resolve().parent


def catalog_directory() -> Path:
    """The folder holding ``<locale>/LC_MESSAGES/ckanext-jena.mo``."""
    installed = PACKAGE_DIR / "i18n"
    if installed.is_dir():
        return installed
    return PACKAGE_DIR.parent.parent / "i18n"
